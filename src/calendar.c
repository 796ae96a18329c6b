/*
 * calendar.c -- working time on the official Chinese calendar (contract in
 * calendar.h, rules in docs/dispatch.md).
 *
 * Design notes.  Every local date from 2000-01-01 to 2099-12-31 has a slot
 * in two tables rebuilt after each change: work[d] (1 = working day) and
 * cum[d], the working time (ms) of all days before d.  The working time
 * elapsed since 2000-01-01 00:00 local at an instant t is then
 *     W(t) = cum[day(t)] + (work[day(t)] ? within(ms of day) : 0)
 * so "working time between a and b" is W(b) - W(a), and "the deadline
 * amount after start" is a binary search for the first day whose cum
 * passes W(start) + amount, then a walk over at most 8 intervals.  Both are
 * O(log days) whatever the amount, which keeps routing decisions fast.
 * Cost of a mutation: rebuilding 36,525 slots, about 0.1 ms.
 */
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define LOCAL_OFFSET_MS (8LL * 3600 * 1000) /* Asia/Shanghai, no DST since 1991 */
#define MAX_AMOUNT 100000

typedef struct {
    int32_t ymd;
    calendar_set what;
    char name[CALENDAR_MAX_NAME + 1];
} override;

struct calendar {
    calendar_interval iv[CALENDAR_MAX_INTERVALS];
    size_t niv;
    int64_t day_ms; /* working ms in one working day */
    override *ov;   /* sorted by ymd */
    size_t nov, aov;
    int64_t base;   /* days since 1970-01-01 of 2000-01-01 */
    size_t ndays;
    uint8_t *work;  /* ndays */
    int64_t *cum;   /* ndays + 1 */
};

/* ---- date arithmetic (H. Hinnant's civil algorithms) ------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int32_t ymd_from_days(int64_t z) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t y = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return (int32_t)((y + (m <= 2)) * 10000 + m * 100 + d);
}

/* Valid YYYYMMDD inside the table range -> day slot; else -1. */
static int64_t slot_of_ymd(const calendar *cal, int ymd) {
    int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
    if (y < CALENDAR_FIRST_YEAR || y > CALENDAR_LAST_YEAR || m < 1 || m > 12 || d < 1)
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) return -1;
    return days_from_civil(y, (unsigned)m, (unsigned)d) - cal->base;
}

/* Local day slot of instant t (may be out of range). */
static int64_t slot_of_ms(const calendar *cal, int64_t t) {
    int64_t l = t + LOCAL_OFFSET_MS;
    int64_t days = l >= 0 ? l / DAY_MS : -((-l + DAY_MS - 1) / DAY_MS);
    return days - cal->base;
}

static int weekday_of_slot(const calendar *cal, int64_t slot) { /* 0 = Sunday */
    return (int)(((cal->base + slot) % 7 + 7 + 4) % 7);
}

/* ---- built-in data and overrides --------------------------------------- */

static const calendar__entry *builtin_find(int32_t ymd) {
    size_t lo = 0, hi = calendar__builtin_len;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (calendar__builtin[mid].ymd < ymd) lo = mid + 1;
        else hi = mid;
    }
    return lo < calendar__builtin_len && calendar__builtin[lo].ymd == ymd
               ? &calendar__builtin[lo] : NULL;
}

static size_t ov_lower(const calendar *cal, int32_t ymd) {
    size_t lo = 0, hi = cal->nov;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cal->ov[mid].ymd < ymd) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static const override *ov_find(const calendar *cal, int32_t ymd) {
    size_t i = ov_lower(cal, ymd);
    return i < cal->nov && cal->ov[i].ymd == ymd ? &cal->ov[i] : NULL;
}

static void describe(const calendar *cal, int64_t slot, calendar_day *out) {
    int32_t ymd = ymd_from_days(cal->base + slot);
    int wd = weekday_of_slot(cal, slot), weekend = wd == 0 || wd == 6;
    const override *o = ov_find(cal, ymd);
    const calendar__entry *b = builtin_find(ymd);
    out->overridden = o != NULL;
    out->name = "";
    if (o) {
        out->working = o->what == CALENDAR_SET_WORKDAY;
        out->name = o->name;
    } else if (b) {
        out->working = b->kind == 'W';
        out->name = b->name;
    } else {
        out->working = !weekend;
    }
    if (out->working) out->kind = weekend ? CALENDAR_DAY_ADJUSTED_WORKDAY : CALENDAR_DAY_WORKDAY;
    else out->kind = weekend && !o && !b ? CALENDAR_DAY_WEEKEND : CALENDAR_DAY_HOLIDAY;
}

static void rebuild(calendar *cal) {
    cal->cum[0] = 0;
    for (size_t d = 0; d < cal->ndays; d++) {
        calendar_day info;
        describe(cal, (int64_t)d, &info);
        cal->work[d] = (uint8_t)info.working;
        cal->cum[d + 1] = cal->cum[d] + (info.working ? cal->day_ms : 0);
    }
}

/* ---- lifecycle ---------------------------------------------------------- */

jc_err calendar_new(calendar **out) {
    calendar *cal = calloc(1, sizeof *cal);
    if (!cal) return JC_ERR_NOMEM;
    cal->base = days_from_civil(CALENDAR_FIRST_YEAR, 1, 1);
    cal->ndays = (size_t)(days_from_civil(CALENDAR_LAST_YEAR + 1, 1, 1) - cal->base);
    cal->work = malloc(cal->ndays);
    cal->cum = malloc((cal->ndays + 1) * sizeof *cal->cum);
    if (!cal->work || !cal->cum) {
        calendar_free(cal);
        return JC_ERR_NOMEM;
    }
    cal->iv[0] = (calendar_interval){9 * 60, 12 * 60};
    cal->iv[1] = (calendar_interval){13 * 60 + 30, 17 * 60 + 30};
    cal->niv = 2;
    cal->day_ms = 7 * 3600 * 1000LL;
    rebuild(cal);
    *out = cal;
    return JC_OK;
}

void calendar_free(calendar *cal) {
    if (!cal) return;
    free(cal->ov);
    free(cal->work);
    free(cal->cum);
    free(cal);
}

int calendar_last_known_year(const calendar *cal) {
    (void)cal;
    return calendar__builtin_last_year;
}

const char *calendar_data_source(void) { return calendar__builtin_source; }

int64_t calendar_day_length_ms(const calendar *cal) { return cal->day_ms; }

jc_err calendar_set_hours(calendar *cal, const calendar_interval *iv, size_t n) {
    if (!cal || !iv || n == 0 || n > CALENDAR_MAX_INTERVALS) return JC_ERR_INVALID;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (iv[i].start_min < 0 || iv[i].end_min > 1440 || iv[i].start_min >= iv[i].end_min)
            return JC_ERR_INVALID;
        if (i > 0 && iv[i].start_min < iv[i - 1].end_min) return JC_ERR_INVALID;
        total += (int64_t)(iv[i].end_min - iv[i].start_min) * 60000;
    }
    memcpy(cal->iv, iv, n * sizeof *iv);
    cal->niv = n;
    cal->day_ms = total;
    rebuild(cal);
    return JC_OK;
}

jc_err calendar_override(calendar *cal, int ymd, calendar_set what, const char *name) {
    if (!cal || slot_of_ymd(cal, ymd) < 0) return JC_ERR_INVALID;
    if (what != CALENDAR_SET_HOLIDAY && what != CALENDAR_SET_WORKDAY) return JC_ERR_INVALID;
    if (!name) name = "";
    size_t nl = strlen(name);
    if (nl > CALENDAR_MAX_NAME || !jc_utf8_valid(name, nl)) return JC_ERR_INVALID;
    size_t i = ov_lower(cal, ymd);
    if (!(i < cal->nov && cal->ov[i].ymd == ymd)) {
        if (cal->nov >= CALENDAR_MAX_OVERRIDES) return JC_ERR_TOOBIG;
        if (cal->nov == cal->aov) {
            size_t na = cal->aov ? cal->aov * 2 : 16;
            override *p = realloc(cal->ov, na * sizeof *p);
            if (!p) return JC_ERR_NOMEM;
            cal->ov = p;
            cal->aov = na;
        }
        memmove(cal->ov + i + 1, cal->ov + i, (cal->nov - i) * sizeof *cal->ov);
        cal->nov++;
    }
    cal->ov[i].ymd = ymd;
    cal->ov[i].what = what;
    memcpy(cal->ov[i].name, name, nl + 1);
    rebuild(cal);
    return JC_OK;
}

jc_err calendar_clear_override(calendar *cal, int ymd) {
    if (!cal || slot_of_ymd(cal, ymd) < 0) return JC_ERR_INVALID;
    size_t i = ov_lower(cal, ymd);
    if (!(i < cal->nov && cal->ov[i].ymd == ymd)) return JC_ERR_NOTFOUND;
    memmove(cal->ov + i, cal->ov + i + 1, (cal->nov - i - 1) * sizeof *cal->ov);
    cal->nov--;
    rebuild(cal);
    return JC_OK;
}

jc_err calendar_day_info(const calendar *cal, int ymd, calendar_day *out) {
    int64_t slot = cal ? slot_of_ymd(cal, ymd) : -1;
    if (slot < 0) return JC_ERR_INVALID;
    describe(cal, slot, out);
    return JC_OK;
}

/* ---- working time -------------------------------------------------------- */

/* Working ms of a working day before ms-of-day m. */
static int64_t within(const calendar *cal, int64_t m) {
    int64_t w = 0;
    for (size_t i = 0; i < cal->niv; i++) {
        int64_t s = cal->iv[i].start_min * 60000LL, e = cal->iv[i].end_min * 60000LL;
        if (m <= s) break;
        w += (m < e ? m : e) - s;
    }
    return w;
}

/* W(t); JC_ERR_INVALID when t is outside the table. */
static jc_err worked(const calendar *cal, int64_t t, int64_t *out) {
    int64_t slot = slot_of_ms(cal, t);
    if (slot < 0 || slot >= (int64_t)cal->ndays) return JC_ERR_INVALID;
    int64_t m = t + LOCAL_OFFSET_MS - (cal->base + slot) * DAY_MS;
    *out = cal->cum[slot] + (cal->work[slot] ? within(cal, m) : 0);
    return JC_OK;
}

int calendar_is_working_time(const calendar *cal, int64_t t) {
    int64_t slot = slot_of_ms(cal, t);
    if (slot < 0 || slot >= (int64_t)cal->ndays || !cal->work[slot]) return 0;
    int64_t m = t + LOCAL_OFFSET_MS - (cal->base + slot) * DAY_MS;
    for (size_t i = 0; i < cal->niv; i++)
        if (m >= cal->iv[i].start_min * 60000LL && m < cal->iv[i].end_min * 60000LL) return 1;
    return 0;
}

jc_err calendar_working_ms_between(const calendar *cal, int64_t a, int64_t b, int64_t *out) {
    int64_t wa, wb;
    if (!cal || worked(cal, a, &wa) || worked(cal, b, &wb)) return JC_ERR_INVALID;
    *out = wb - wa;
    return JC_OK;
}

static int year_of(const calendar *cal, int64_t t) {
    return (int)(ymd_from_days(cal->base + slot_of_ms(cal, t)) / 10000);
}

jc_err calendar_add(const calendar *cal, int64_t start, int64_t amount, calendar_unit unit,
                    int64_t *deadline, int *provisional) {
    if (!cal || amount < 0 || amount > MAX_AMOUNT) return JC_ERR_INVALID;
    int64_t need; /* ms of working time, or natural ms */
    switch (unit) {
    case CALENDAR_NATURAL_HOURS:
    case CALENDAR_NATURAL_MINUTES:
        need = amount * (unit == CALENDAR_NATURAL_HOURS ? 3600000LL : 60000LL);
        if (start > INT64_MAX - need) return JC_ERR_INVALID;
        *deadline = start + need;
        *provisional = 0;
        return JC_OK;
    case CALENDAR_WORKING_HOURS: need = amount * 3600000LL; break;
    case CALENDAR_WORKING_MINUTES: need = amount * 60000LL; break;
    case CALENDAR_WORKING_DAYS: need = amount * cal->day_ms; break;
    default: return JC_ERR_INVALID;
    }
    int64_t w0;
    if (worked(cal, start, &w0)) return JC_ERR_INVALID;
    int64_t t;
    if (need == 0) {
        t = start;
    } else {
        int64_t target = w0 + need;
        /* First slot e with cum[e] >= target; the deadline lies in day e-1. */
        size_t lo = 0, hi = cal->ndays + 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cal->cum[mid] < target) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0 || lo > cal->ndays) return JC_ERR_INVALID; /* past 2099 */
        size_t d = lo - 1;
        int64_t rem = target - cal->cum[d], m = -1;
        for (size_t i = 0; i < cal->niv; i++) {
            int64_t s = cal->iv[i].start_min * 60000LL, e = cal->iv[i].end_min * 60000LL;
            if (rem <= e - s) {
                m = s + rem;
                break;
            }
            rem -= e - s;
        }
        if (m < 0) return JC_ERR_INTERNAL;
        t = (cal->base + (int64_t)d) * DAY_MS + m - LOCAL_OFFSET_MS;
    }
    *deadline = t;
    *provisional = year_of(cal, t) > calendar__builtin_last_year;
    return JC_OK;
}
