/*
 * test_calendar.c -- working-time deadlines on the official calendar
 * (src/calendar.c with the data generated from chinese-days).
 *
 * The 2026 dates asserted here are those of the package data: Spring
 * Festival holidays 02-15..02-23 with 调休 Saturdays 02-14 and 02-28;
 * Mid-autumn 09-25..09-27; National Day 10-01..10-07 with 调休 Sunday 09-20
 * and Saturday 10-10.  2025: National Day 10-01..10-08, 调休 09-28 and 10-11.
 */
#include "t.h"

#include "calendar.h"

static calendar *cal;
static char got[64];

static int64_t at(const char *local) {
    int64_t ms = 0;
    if (jc_parse_time(local, &ms) != JC_OK) {
        fprintf(stderr, "bad time %s\n", local);
        abort();
    }
    return ms;
}

/* The deadline, as "YYYY-MM-DD HH:MM" local, or "error N". */
static const char *deadline(const char *start, int64_t amount, calendar_unit unit, int *prov) {
    int64_t d;
    int p = -1;
    jc_err rc = calendar_add(cal, at(start), amount, unit, &d, &p);
    if (rc) {
        snprintf(got, sizeof got, "error %d", rc);
        return got;
    }
    if (prov) *prov = p;
    jc_fmt_local(d, got, sizeof got);
    return got;
}

static void fresh(void) {
    calendar_free(cal);
    cal = NULL;
    if (calendar_new(&cal) != JC_OK) abort();
}

TEST(data_is_generated_from_package) {
    fresh();
    ASSERT_EQ(calendar_last_known_year(cal), 2026);
    ASSERT(strstr(calendar_data_source(), "chinese-days"));
    calendar_day d;
    ASSERT_OK(calendar_day_info(cal, 20261001, &d));
    ASSERT_EQ(d.kind, CALENDAR_DAY_HOLIDAY);
    ASSERT_EQ(d.working, 0);
    ASSERT_STR_EQ(d.name, "国庆节");
    ASSERT_OK(calendar_day_info(cal, 20260214, &d)); /* Saturday, 调休 */
    ASSERT_EQ(d.kind, CALENDAR_DAY_ADJUSTED_WORKDAY);
    ASSERT_EQ(d.working, 1);
    ASSERT_STR_EQ(d.name, "春节");
    ASSERT_OK(calendar_day_info(cal, 20260920, &d)); /* Sunday, 调休 */
    ASSERT_EQ(d.kind, CALENDAR_DAY_ADJUSTED_WORKDAY);
    ASSERT_OK(calendar_day_info(cal, 20260307, &d)); /* ordinary Saturday */
    ASSERT_EQ(d.kind, CALENDAR_DAY_WEEKEND);
    ASSERT_EQ(d.working, 0);
    ASSERT_OK(calendar_day_info(cal, 20260309, &d)); /* ordinary Monday */
    ASSERT_EQ(d.kind, CALENDAR_DAY_WORKDAY);
    ASSERT_OK(calendar_day_info(cal, 20240229, &d));
    ASSERT_EQ(calendar_day_info(cal, 20260229, &d), JC_ERR_INVALID);
    ASSERT_EQ(calendar_day_info(cal, 19991231, &d), JC_ERR_INVALID);
    ASSERT_EQ(calendar_day_length_ms(cal), 7 * 3600000LL);
}

TEST(spring_festival_2026) {
    fresh();
    /* Fri 02-13 16:00 + 3 working days (21 h): 1.5 h Fri, 7 h on the 调休
     * Saturday 02-14, holidays to 02-23, 7 h Tue 02-24, 5.5 h Wed 02-25. */
    ASSERT_STR_EQ(deadline("2026-02-13T16:00", 3, CALENDAR_WORKING_DAYS, NULL),
                  "2026-02-25 16:00");
    /* One working hour from Fri 02-27 17:00 lands on the 调休 Saturday 02-28. */
    ASSERT_STR_EQ(deadline("2026-02-27T17:00", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-02-28 09:30");
    /* Reported during the holiday: counting starts Tue 02-24 09:00. */
    ASSERT_STR_EQ(deadline("2026-02-17T10:00", 2, CALENDAR_WORKING_HOURS, NULL),
                  "2026-02-24 11:00");
    int64_t w;
    ASSERT_OK(calendar_working_ms_between(cal, at("2026-02-13T09:00"), at("2026-02-24T09:00"),
                                          &w));
    ASSERT_EQ(w, 14 * 3600000LL); /* Fri + 调休 Sat */
    ASSERT_OK(calendar_working_ms_between(cal, at("2026-02-24T09:00"), at("2026-02-13T09:00"),
                                          &w));
    ASSERT_EQ(w, -14 * 3600000LL);
}

TEST(national_day_2026) {
    fresh();
    /* Last working day before the holiday, Wed 09-30 16:00, + 3 working days:
     * 1.5 h, Thu 10-08 7 h, Fri 10-09 7 h, 5.5 h on the 调休 Saturday 10-10. */
    ASSERT_STR_EQ(deadline("2026-09-30T16:00", 3, CALENDAR_WORKING_DAYS, NULL),
                  "2026-10-10 16:00");
    /* Friday 09-25 is Mid-autumn: from 16:00 counting starts Mon 09-28. */
    ASSERT_STR_EQ(deadline("2026-09-25T16:00", 3, CALENDAR_WORKING_DAYS, NULL),
                  "2026-09-30 17:30");
    /* Fri 09-18 16:00 + 1 working day ends on the 调休 Sunday 09-20. */
    ASSERT_STR_EQ(deadline("2026-09-18T16:00", 1, CALENDAR_WORKING_DAYS, NULL),
                  "2026-09-20 16:00");
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-09-20T10:00")), 1);
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-10-05T10:00")), 0);
}

TEST(national_day_2025_friday_before) {
    fresh();
    /* Fri 2025-09-26 16:00 + 3 working days: 1.5 h, 调休 Sunday 09-28 7 h,
     * Mon 09-29 7 h, Tue 09-30 5.5 h -> before the holiday starts. */
    ASSERT_STR_EQ(deadline("2025-09-26T16:00", 3, CALENDAR_WORKING_DAYS, NULL),
                  "2025-09-30 16:00");
    /* + 4 working days crosses the 8-day holiday to Thu 10-09. */
    ASSERT_STR_EQ(deadline("2025-09-26T16:00", 4, CALENDAR_WORKING_DAYS, NULL),
                  "2025-10-09 16:00");
}

TEST(working_hours_boundaries) {
    fresh();
    ASSERT_STR_EQ(deadline("2026-03-10T11:00", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-03-10 12:00"); /* ends exactly at the lunch break */
    ASSERT_STR_EQ(deadline("2026-03-10T11:30", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-03-10 14:00");
    ASSERT_STR_EQ(deadline("2026-03-10T12:00", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-03-10 14:30"); /* the lunch break does not count */
    ASSERT_STR_EQ(deadline("2026-03-10T17:30", 30, CALENDAR_WORKING_MINUTES, NULL),
                  "2026-03-11 09:30");
    ASSERT_STR_EQ(deadline("2026-03-10T07:00", 1, CALENDAR_WORKING_DAYS, NULL),
                  "2026-03-10 17:30"); /* a whole day from before opening */
    ASSERT_STR_EQ(deadline("2026-03-13T17:00", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-03-16 09:30"); /* Friday -> Monday */
    ASSERT_STR_EQ(deadline("2026-03-10T10:17", 0, CALENDAR_WORKING_HOURS, NULL),
                  "2026-03-10 10:17");
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-10T09:00")), 1);
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-10T08:59:59")), 0);
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-10T11:59:59")), 1);
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-10T12:00")), 0);
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-10T13:30")), 1);
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-10T17:30")), 0);
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-14T10:00")), 0); /* Saturday */
    /* UTC input: 01:00Z is 09:00 in Shanghai. */
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-10T01:00:00Z")), 1);
    int64_t w;
    ASSERT_OK(calendar_working_ms_between(cal, at("2026-03-10T10:00"), at("2026-03-10T14:00"),
                                          &w));
    ASSERT_EQ(w, (2 * 60 + 30) * 60000LL);
}

TEST(natural_hours) {
    fresh();
    int prov = -1;
    ASSERT_STR_EQ(deadline("2026-09-30T16:00", 48, CALENDAR_NATURAL_HOURS, &prov),
                  "2026-10-02 16:00"); /* holidays do not matter */
    ASSERT_EQ(prov, 0);
    ASSERT_STR_EQ(deadline("2026-12-31T23:00", 2, CALENDAR_NATURAL_HOURS, &prov),
                  "2027-01-01 01:00");
    ASSERT_EQ(prov, 0);
    ASSERT_STR_EQ(deadline("2026-03-10T10:00", 90, CALENDAR_NATURAL_MINUTES, NULL),
                  "2026-03-10 11:30");
}

TEST(provisional_past_2026) {
    fresh();
    int prov = -1;
    ASSERT_STR_EQ(deadline("2026-12-01T10:00", 1, CALENDAR_WORKING_DAYS, &prov),
                  "2026-12-02 10:00");
    ASSERT_EQ(prov, 0);
    /* 2027 is not published: 01-01 counts as an ordinary Friday, flagged. */
    ASSERT_STR_EQ(deadline("2026-12-31T16:00", 3, CALENDAR_WORKING_DAYS, &prov),
                  "2027-01-05 16:00");
    ASSERT_EQ(prov, 1);
    ASSERT_STR_EQ(deadline("2026-12-31T16:00", 1, CALENDAR_WORKING_HOURS, &prov),
                  "2026-12-31 17:00");
    ASSERT_EQ(prov, 0);
    ASSERT_STR_EQ(deadline("2026-03-10T10:00", -1, CALENDAR_WORKING_HOURS, NULL), "error 2");
    ASSERT_STR_EQ(deadline("2026-03-10T10:00", 1, (calendar_unit)42, NULL), "error 2");
    ASSERT_STR_EQ(deadline("2099-12-31T10:00", 1, CALENDAR_WORKING_DAYS, NULL), "error 2");
}

TEST(overrides) {
    fresh();
    calendar_day d;
    /* A typhoon day off on Tuesday 03-10 moves a deadline by one day. */
    ASSERT_STR_EQ(deadline("2026-03-09T16:00", 1, CALENDAR_WORKING_DAYS, NULL),
                  "2026-03-10 16:00");
    ASSERT_OK(calendar_override(cal, 20260310, CALENDAR_SET_HOLIDAY, "台风停工"));
    ASSERT_OK(calendar_day_info(cal, 20260310, &d));
    ASSERT_EQ(d.kind, CALENDAR_DAY_HOLIDAY);
    ASSERT_EQ(d.overridden, 1);
    ASSERT_STR_EQ(d.name, "台风停工");
    ASSERT_STR_EQ(deadline("2026-03-09T16:00", 1, CALENDAR_WORKING_DAYS, NULL),
                  "2026-03-11 16:00");
    /* A Saturday declared a working day counts. */
    ASSERT_OK(calendar_override(cal, 20260314, CALENDAR_SET_WORKDAY, NULL));
    ASSERT_OK(calendar_day_info(cal, 20260314, &d));
    ASSERT_EQ(d.kind, CALENDAR_DAY_ADJUSTED_WORKDAY);
    ASSERT_STR_EQ(deadline("2026-03-13T17:00", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-03-14 09:30");
    /* An official holiday turned into a working day. */
    ASSERT_OK(calendar_override(cal, 20261008, CALENDAR_SET_HOLIDAY, "延长假期"));
    ASSERT_OK(calendar_override(cal, 20261007, CALENDAR_SET_WORKDAY, "提前上班"));
    ASSERT_STR_EQ(deadline("2026-09-30T17:00", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-10-07 09:30");
    /* Replacing an override and removing it. */
    ASSERT_OK(calendar_override(cal, 20261007, CALENDAR_SET_HOLIDAY, "国庆节"));
    ASSERT_STR_EQ(deadline("2026-09-30T17:00", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-10-09 09:30");
    ASSERT_OK(calendar_clear_override(cal, 20261008));
    ASSERT_OK(calendar_clear_override(cal, 20261007));
    ASSERT_STR_EQ(deadline("2026-09-30T17:00", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-10-08 09:30");
    ASSERT_EQ(calendar_clear_override(cal, 20261007), JC_ERR_NOTFOUND);
    ASSERT_OK(calendar_day_info(cal, 20261007, &d));
    ASSERT_EQ(d.overridden, 0);
    ASSERT_EQ(d.kind, CALENDAR_DAY_HOLIDAY);
    ASSERT_EQ(calendar_override(cal, 20260230, CALENDAR_SET_HOLIDAY, NULL), JC_ERR_INVALID);
    ASSERT_EQ(calendar_override(cal, 20260301, (calendar_set)7, NULL), JC_ERR_INVALID);
    ASSERT_EQ(calendar_override(cal, 20260301, CALENDAR_SET_HOLIDAY, "\xff\xfe"),
              JC_ERR_INVALID);
}

TEST(configurable_hours) {
    fresh();
    calendar_interval bad[] = {{13 * 60, 17 * 60}, {9 * 60, 12 * 60}};
    ASSERT_EQ(calendar_set_hours(cal, bad, 2), JC_ERR_INVALID); /* unsorted */
    calendar_interval bad2[] = {{9 * 60, 9 * 60}};
    ASSERT_EQ(calendar_set_hours(cal, bad2, 1), JC_ERR_INVALID);
    calendar_interval bad3[] = {{9 * 60, 1441}};
    ASSERT_EQ(calendar_set_hours(cal, bad3, 1), JC_ERR_INVALID);
    ASSERT_EQ(calendar_day_length_ms(cal), 7 * 3600000LL); /* unchanged */
    /* Summer hours 08:30-12:00, 14:00-18:00 = 7.5 h. */
    calendar_interval summer[] = {{8 * 60 + 30, 12 * 60}, {14 * 60, 18 * 60}};
    ASSERT_OK(calendar_set_hours(cal, summer, 2));
    ASSERT_EQ(calendar_day_length_ms(cal), 450 * 60000LL);
    ASSERT_STR_EQ(deadline("2026-03-10T17:00", 1, CALENDAR_WORKING_DAYS, NULL),
                  "2026-03-11 17:00");
    ASSERT_STR_EQ(deadline("2026-03-10T11:30", 1, CALENDAR_WORKING_HOURS, NULL),
                  "2026-03-10 14:30");
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-10T08:45")), 1);
    ASSERT_EQ(calendar_is_working_time(cal, at("2026-03-10T13:45")), 0);
    calendar_free(cal);
    cal = NULL;
    calendar_free(NULL);
}

T_MAIN(T(data_is_generated_from_package), T(spring_festival_2026), T(national_day_2026),
       T(national_day_2025_friday_before), T(working_hours_boundaries), T(natural_hours),
       T(provisional_past_2026), T(overrides), T(configurable_hours))
