/*
 * alarm.c -- evaluation of alarm rules over a reading or the clock, rule
 * validation, device types and their metrics (see alarm.h).  No I/O.
 */
#include "alarm.h"
#include "reason.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[AK__COUNT] = {"threshold", "rate", "inactivity", "offline", "battery"};
static const char *const sev_names[SEV__COUNT] = {"info", "minor", "major", "critical"};

const char *alarm_kind_name(alarm_kind k) { return (unsigned)k < AK__COUNT ? kind_names[k] : "?"; }
int alarm_kind_parse(const char *s) {
    for (int i = 0; i < AK__COUNT; i++)
        if (s && !strcmp(s, kind_names[i])) return i;
    return -1;
}
const char *alarm_severity_name(alarm_severity s) { return (unsigned)s < SEV__COUNT ? sev_names[s] : "?"; }
int alarm_severity_parse(const char *s) {
    for (int i = 0; i < SEV__COUNT; i++)
        if (s && !strcmp(s, sev_names[i])) return i;
    return -1;
}

/* Types, their metrics (space separated) and default case category. */
static const struct {
    const char *type, *metrics, *category;
} types[] = {
    {"smoke", "smoke temperature battery", "0603"},
    {"gas", "gas battery", "0701"},
    {"water_level", "level battery", "0501"},
    {"manhole_tilt", "tilt battery", "0201"},
    {"door_contact", "door battery", "0901"},
    {"ebike_charging", "current temperature battery", "0602"},
    {"noise", "db battery", "0301"},
    {"generic", NULL, ""},
};
const char *const alarm_types[] = {"smoke", "gas", "water_level", "manhole_tilt", "door_contact",
                                   "ebike_charging", "noise", "generic", NULL};

static int type_index(const char *type) {
    for (size_t i = 0; i < JC_ARRAY_LEN(types); i++)
        if (type && !strcmp(type, types[i].type)) return (int)i;
    return -1;
}

int alarm_type_known(const char *type) { return type_index(type) >= 0; }

static int metric_name_ok(const char *m) {
    size_t n = strlen(m);
    if (n < 1 || n > 31 || m[0] < 'a' || m[0] > 'z') return 0;
    for (size_t i = 0; i < n; i++)
        if (!((m[i] >= 'a' && m[i] <= 'z') || (m[i] >= '0' && m[i] <= '9') || m[i] == '_')) return 0;
    return 1;
}

int alarm_metric_known(const char *type, const char *metric) {
    int t = type_index(type);
    if (t < 0 || !metric || !metric_name_ok(metric)) return 0;
    if (!types[t].metrics) return 1;
    size_t n = strlen(metric);
    for (const char *p = types[t].metrics; *p;) {
        size_t l = strcspn(p, " ");
        if (l == n && !strncmp(p, metric, n)) return 1;
        p += l;
        while (*p == ' ') p++;
    }
    return 0;
}

int alarm_value_in_range(const char *metric, double v) {
    if (!isfinite(v)) return 0;
    if (!strcmp(metric, "battery")) return v >= 0 && v <= 100;
    if (!strcmp(metric, "db")) return v >= 0 && v <= 200;
    if (!strcmp(metric, "tilt")) return v >= -180 && v <= 180;
    if (!strcmp(metric, "door") || !strcmp(metric, "smoke")) return v >= 0 && v <= 1e6;
    if (!strcmp(metric, "temperature")) return v >= -60 && v <= 1500;
    return fabs(v) <= 1e9;
}

const char *alarm_case_category(const alarm_rule *r) {
    if (r->category[0]) return r->category;
    int t = type_index(r->type);
    return t >= 0 ? types[t].category : "";
}

int alarm_parse_hhmm(const char *s) {
    if (!s || strlen(s) != 5 || s[2] != ':') return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) return -1;
    return h * 60 + m;
}

/* The English message and, after it, the detail code the UI words
 * (src/reason.h). */
static int bad(char *msg, size_t msz, const char *text, const char *code) {
    snprintf(msg, msz, "%s", text);
    char detail[48];
    reason_buf rb;
    reason_begin(&rb, detail, sizeof detail, code);
    reason_attach(msg, msz, &rb);
    return 1;
}

jc_err alarm_rule_validate(const alarm_rule *r, char *msg, size_t msz) {
    int b = 0;
    if (!alarm_type_known(r->type)) b = bad(msg, msz, "unknown device type", "rule_type");
    else if ((unsigned)r->kind >= AK__COUNT) b = bad(msg, msz, "unknown kind", "rule_kind");
    else if ((unsigned)r->severity >= SEV__COUNT) b = bad(msg, msz, "unknown severity", "rule_severity");
    else if (r->kind != AK_OFFLINE && !alarm_metric_known(r->type, r->metric))
        b = bad(msg, msz, "unknown metric for this device type", "rule_metric");
    else if (r->kind == AK_THRESHOLD || r->kind == AK_BATTERY) {
        if (!isfinite(r->high) || !isfinite(r->low)) b = bad(msg, msz, "high and low must be numbers", "rule_high_low");
        else if (r->low >= r->high) b = bad(msg, msz, "low must be below high (hysteresis)", "rule_hysteresis");
    } else if (r->kind == AK_RATE) {
        if (!isfinite(r->rate) || r->rate == 0) b = bad(msg, msz, "rate must be a non-zero number (per minute)", "rule_rate");
    } else if (r->kind == AK_INACTIVITY) {
        if (r->duration_s <= 0 || r->duration_s > 30LL * 86400) b = bad(msg, msz, "duration_s must be 1..2592000", "rule_duration");
        else if ((r->win_from == ALARM_NO_WINDOW) != (r->win_to == ALARM_NO_WINDOW))
            b = bad(msg, msz, "a window needs both from and to", "rule_window");
        else if (r->win_from != ALARM_NO_WINDOW &&
                 (r->win_from < 0 || r->win_from >= 1440 || r->win_to < 0 || r->win_to >= 1440 ||
                  r->win_from == r->win_to))
            b = bad(msg, msz, "bad window: from and to are HH:MM and differ", "rule_window_bad");
    } else if (r->kind == AK_OFFLINE) {
        if (!isfinite(r->k) || r->k < 1 || r->k > 1000) b = bad(msg, msz, "k must be 1..1000", "rule_k");
    }
    return b ? JC_ERR_INVALID : JC_OK;
}

#define DAY_MS 86400000LL
#define LOCAL_OFFSET_MS (8LL * 3600 * 1000)

static int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
    int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

int64_t alarm_window_overlap_ms(int from_min, int to_min, int64_t t0, int64_t t1) {
    if (t1 <= t0) return 0;
    if (from_min == ALARM_NO_WINDOW || to_min == ALARM_NO_WINDOW) return t1 - t0;
    /* Beyond 400 days the answer exceeds any allowed duration anyway. */
    if (t1 - t0 > 400 * DAY_MS) t0 = t1 - 400 * DAY_MS;
    int64_t l0 = t0 + LOCAL_OFFSET_MS, l1 = t1 + LOCAL_OFFSET_MS, sum = 0;
    int64_t d0 = l0 / DAY_MS - 1, d1 = l1 / DAY_MS;
    int64_t f = (int64_t)from_min * 60000, t = (int64_t)to_min * 60000;
    for (int64_t d = d0; d <= d1; d++) {
        int64_t base = d * DAY_MS;
        if (from_min < to_min) sum += overlap(l0, l1, base + f, base + t);
        else sum += overlap(l0, l1, base + f, base + DAY_MS + t);
    }
    return sum;
}

alarm_eval alarm_eval_reading(const alarm_rule *r, int active, double v, int has_prev, double prev,
                              int64_t prev_at, int64_t at) {
    if (!r->enabled || !isfinite(v)) return ALARM_NONE;
    switch (r->kind) {
    case AK_THRESHOLD:
        if (v >= r->high) return ALARM_RAISE;
        if (active && v <= r->low) return ALARM_CLEAR;
        return ALARM_NONE;
    case AK_BATTERY:
        if (v <= r->low) return ALARM_RAISE;
        if (active && v >= r->high) return ALARM_CLEAR;
        return ALARM_NONE;
    case AK_RATE: {
        if (!has_prev || at <= prev_at) return ALARM_NONE;
        double per_min = (v - prev) / ((double)(at - prev_at) / 60000.0);
        int hit = r->rate > 0 ? per_min >= r->rate : per_min <= r->rate;
        if (hit) return ALARM_RAISE;
        return active ? ALARM_CLEAR : ALARM_NONE;
    }
    case AK_INACTIVITY:
        return active && v != 0 ? ALARM_CLEAR : ALARM_NONE;
    default:
        return ALARM_NONE;
    }
}

alarm_eval alarm_eval_inactivity(const alarm_rule *r, int active, int64_t last_activity, int64_t now) {
    if (!r->enabled || r->kind != AK_INACTIVITY || active) return ALARM_NONE;
    int64_t quiet = alarm_window_overlap_ms(r->win_from, r->win_to, last_activity, now);
    return quiet >= r->duration_s * 1000 ? ALARM_RAISE : ALARM_NONE;
}

alarm_eval alarm_eval_offline(const alarm_rule *r, int active, int64_t last_seen, int64_t interval_s,
                              int64_t now) {
    if (!r->enabled || r->kind != AK_OFFLINE || active || interval_s <= 0) return ALARM_NONE;
    return (double)(now - last_seen) >= r->k * (double)interval_s * 1000.0 ? ALARM_RAISE : ALARM_NONE;
}
