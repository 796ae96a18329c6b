/*
 * calendar.h -- working time on the official Chinese calendar.
 *
 * Dispatch deadlines (受理/处置/核查时限) are counted in working time: the
 * working hours of working days in Asia/Shanghai (UTC+8, no DST).  A working
 * day is Monday to Friday unless it is an official holiday, plus the
 * adjusted working days (调休) that move a weekend day into the working week.
 * The holiday data comes from the npm package chinese-days, converted at
 * build time by scripts/gen_calendar.mjs into $(BUILD)/gen/calendar_data.c.
 * Staff corrections (overrides) sit on top of it; the caller persists and
 * audits them.  Rules and defaults: docs/dispatch.md.
 *
 * Defaults: working hours 09:00-12:00 and 13:30-17:30 (7 hours a day),
 * configurable with calendar_set_hours.  One working day of a deadline is
 * the length of one working day in working time (rule in calendar_add).
 *
 * Range: instants from 2000-01-01 to 2099-12-31 (local dates); outside it
 * functions return JC_ERR_INVALID.  Dates are written as integers YYYYMMDD.
 *
 * Threads: a calendar is read-only for calendar_add, _working_ms_between,
 * _is_working_time and _day_info, which may run concurrently.  Mutations
 * (set_hours, override, clear) must not run concurrently with anything;
 * callers build a new calendar and swap pointers to change one in service.
 */
#ifndef CALENDAR_H
#define CALENDAR_H

#include "jc.h"

#include <stddef.h>
#include <stdint.h>

#define CALENDAR_FIRST_YEAR 2000 /* range of the day tables */
#define CALENDAR_LAST_YEAR 2099
#define CALENDAR_MAX_INTERVALS 8 /* working intervals per day */
#define CALENDAR_MAX_OVERRIDES 10000
#define CALENDAR_MAX_NAME 63     /* bytes of an override's name */

typedef struct calendar calendar;

typedef enum {
    CALENDAR_WORKING_HOURS = 0,
    CALENDAR_WORKING_DAYS = 1,
    CALENDAR_NATURAL_HOURS = 2,
    CALENDAR_WORKING_MINUTES = 3,
    CALENDAR_NATURAL_MINUTES = 4
} calendar_unit;

/* What a date is. */
typedef enum {
    CALENDAR_DAY_WORKDAY = 0,          /* an ordinary Monday..Friday */
    CALENDAR_DAY_WEEKEND = 1,          /* an ordinary Saturday/Sunday */
    CALENDAR_DAY_HOLIDAY = 2,          /* official holiday (or staff-set rest day) */
    CALENDAR_DAY_ADJUSTED_WORKDAY = 3  /* 调休: a weekend day worked (or staff-set) */
} calendar_day_kind;

/* For overrides: what staff declare a date to be. */
typedef enum { CALENDAR_SET_HOLIDAY = 0, CALENDAR_SET_WORKDAY = 1 } calendar_set;

/* One working interval in minutes after local midnight, [start, end). */
typedef struct {
    int start_min, end_min;
} calendar_interval;

typedef struct {
    calendar_day_kind kind;
    int working;        /* 1 when the day has working hours */
    int overridden;     /* 1 when a staff override decides it */
    const char *name;   /* "国庆节", an override's name, or "" -- valid until
                           the next mutation of the calendar */
} calendar_day;

/* Creates a calendar with the built-in official data and default hours.
 * Caller frees with calendar_free.  JC_ERR_NOMEM. */
jc_err calendar_new(calendar **out) JC_MUST_CHECK;
/* Frees a calendar; NULL is a no-op. */
void calendar_free(calendar *cal);

/* The last year the built-in official data knows (2026 for chinese-days
 * 1.5.7), and the package it came from ("chinese-days 1.5.7"). */
int calendar_last_known_year(const calendar *cal);
const char *calendar_data_source(void);

/* Replaces the working intervals of every working day.  They must be 1 to
 * CALENDAR_MAX_INTERVALS, each 0 <= start < end <= 1440, sorted and not
 * overlapping; else JC_ERR_INVALID and nothing changes. */
jc_err calendar_set_hours(calendar *cal, const calendar_interval *iv, size_t n) JC_MUST_CHECK;

/* Staff correction: declares date ymd (YYYYMMDD) a holiday or a working day,
 * replacing any earlier override of that date.  name (may be NULL) is shown
 * in calendar_day_info; at most CALENDAR_MAX_NAME bytes of valid UTF-8.
 * JC_ERR_INVALID for a bad date or name, JC_ERR_TOOBIG past
 * CALENDAR_MAX_OVERRIDES, JC_ERR_NOMEM.  On failure nothing changes. */
jc_err calendar_override(calendar *cal, int ymd, calendar_set what,
                         const char *name) JC_MUST_CHECK;
/* Removes the override of ymd, so the official data decides again.
 * JC_ERR_NOTFOUND when ymd has no override, JC_ERR_INVALID for a bad date. */
jc_err calendar_clear_override(calendar *cal, int ymd) JC_MUST_CHECK;

/* Describes date ymd.  JC_ERR_INVALID for a bad or out-of-range date. */
jc_err calendar_day_info(const calendar *cal, int ymd, calendar_day *out) JC_MUST_CHECK;

/* The deadline that is `amount` units after start_ms (UTC ms).
 *  - natural hours/minutes: start + amount, calendar ignored, never
 *    provisional.
 *  - working hours/minutes: the earliest instant at which `amount` of
 *    working time has elapsed since start.  Time before the first working
 *    interval after start does not count; a deadline that falls exactly on
 *    the end of an interval is that end (17:30, not 09:00 next day).
 *  - working days: amount x (length of one working day) of working time,
 *    counted the same way.  From Friday 16:00 "1 working day" is thus
 *    16:00 on the next working day; from before 09:00 on a working day it
 *    is 17:30 that same day.
 * amount: 0 .. 100000 (0 gives start itself).  *provisional is set to 1
 * when the deadline's local date is past calendar_last_known_year (the
 * official calendar of that year is not published yet), else 0.
 * JC_ERR_INVALID for a bad unit or amount or a range overflow. */
jc_err calendar_add(const calendar *cal, int64_t start_ms, int64_t amount, calendar_unit unit,
                    int64_t *deadline_ms, int *provisional) JC_MUST_CHECK;

/* Working time (ms) elapsed from a to b; negative when b < a.
 * JC_ERR_INVALID out of range. */
jc_err calendar_working_ms_between(const calendar *cal, int64_t a_ms, int64_t b_ms,
                                   int64_t *out_ms) JC_MUST_CHECK;

/* 1 when instant t is inside a working interval of a working day
 * ([start, end): 17:30 itself is not working time), else 0; out of range 0. */
int calendar_is_working_time(const calendar *cal, int64_t t_ms);

/* Length of one working day in ms (7 h by default). */
int64_t calendar_day_length_ms(const calendar *cal);

/* ---- internal: the generated official data (build/gen/calendar_data.c) -- */
typedef struct {
    int32_t ymd;        /* YYYYMMDD */
    char kind;          /* 'H' holiday, 'W' adjusted working day (调休) */
    const char *name;   /* "国庆节" */
    const char *name_en;
} calendar__entry;
extern const calendar__entry calendar__builtin[];
extern const size_t calendar__builtin_len;
extern const int calendar__builtin_last_year;
extern const char calendar__builtin_source[];

#endif
