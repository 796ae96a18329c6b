/*
 * alarm.h -- alarm rules as data and their evaluation (module "sensor").
 *
 * Pure functions only: a rule, the latest reading (or the clock) and whether
 * an alarm of this rule is already active for the device go in; "raise",
 * "clear" or "nothing" comes out.  Storage of rules and alarms, silences,
 * grouping and cases live in sensor_sqlite.c; this file has no I/O so the
 * semantics can be unit-tested (tests/unit/test_alarm.c).
 *
 * Kinds:
 *   threshold    raise when value >= high; an active alarm clears only when
 *                value <= low (hysteresis: low < high).
 *   rate         Δvalue per minute between two successive readings of the
 *                metric; rate > 0 raises at Δ/min >= rate, rate < 0 raises at
 *                Δ/min <= rate (a fall); clears on the next reading under it.
 *   inactivity   no "activity" reading (value != 0 of the metric, e.g. door
 *                opened) for duration_s counted only inside a daily local
 *                (Asia/Shanghai) window [from, to); to < from crosses midnight,
 *                no window = the whole day.  Cleared by the next activity.
 *   offline      no reading or heartbeat for k x the device's interval.
 *                Cleared by the next reading or heartbeat.
 *   battery      raise when battery <= low; clears at >= high.
 * A repeated trigger of an active threshold/rate/battery alarm returns
 * ALARM_RAISE again (the caller counts repeats on the one active alarm);
 * tick-driven kinds (inactivity, offline) raise once.
 */
#ifndef JC_ALARM_H
#define JC_ALARM_H

#include "jc.h"

typedef enum { AK_THRESHOLD = 0, AK_RATE, AK_INACTIVITY, AK_OFFLINE, AK_BATTERY, AK__COUNT } alarm_kind;
typedef enum { SEV_INFO = 0, SEV_MINOR, SEV_MAJOR, SEV_CRITICAL, SEV__COUNT } alarm_severity;
typedef enum { ALARM_NONE = 0, ALARM_RAISE, ALARM_CLEAR } alarm_eval;

#define ALARM_NO_WINDOW (-1)

typedef struct {
    int64_t id;
    char type[24];      /* device type the rule applies to */
    char device[64];    /* "" = every device of the type; else an override */
    char metric[32];    /* "" for offline */
    alarm_kind kind;
    double high, low;   /* threshold, battery */
    double rate;        /* rate: Δ per minute */
    int win_from, win_to; /* inactivity: local minutes of day, or ALARM_NO_WINDOW */
    int64_t duration_s; /* inactivity */
    double k;           /* offline: multiples of the heartbeat interval */
    alarm_severity severity;
    int opens_case;     /* an alarm of this rule opens (or joins) a case */
    char category[16];  /* case category ("" = the type's default) */
    int enabled;
    char name[64];
} alarm_rule;

/* "threshold" ...; alarm_kind_parse returns -1 when unknown. */
const char *alarm_kind_name(alarm_kind k);
int alarm_kind_parse(const char *s);
/* "info" ...; alarm_severity_parse returns -1 when unknown. */
const char *alarm_severity_name(alarm_severity s);
int alarm_severity_parse(const char *s);

/* 1 when type is a known device type ("smoke", "gas" ..., "generic"). */
int alarm_type_known(const char *type);
/* The device types, NULL-terminated. */
extern const char *const alarm_types[];
/* 1 when metric is valid for type (generic: any [a-z][a-z0-9_]{0,30}). */
int alarm_metric_known(const char *type, const char *metric);
/* 1 when value is within the physical range of metric (battery 0..100 ...). */
int alarm_value_in_range(const char *metric, double value);
/* The case category of an alarm of this rule on a device of its type
 * (rule->category if set, else the type's default; "" = none). */
const char *alarm_case_category(const alarm_rule *r);

/* Parses "HH:MM" into minutes of the day; -1 when malformed. */
int alarm_parse_hhmm(const char *s);
/* Checks a rule's fields for its kind; JC_ERR_INVALID with a reason. */
jc_err alarm_rule_validate(const alarm_rule *r, char *msg, size_t msz) JC_MUST_CHECK;

/* Milliseconds of [t0, t1) (UTC ms) that fall inside the daily local window
 * [from, to) (minutes; to < from crosses midnight; ALARM_NO_WINDOW = all). */
int64_t alarm_window_overlap_ms(int from_min, int to_min, int64_t t0, int64_t t1);

/* A reading of the rule's metric: value at `at`; has_prev/prev/prev_at the
 * previous reading of the same metric (rate).  active: an alarm of this rule
 * is active or acknowledged for the device. */
alarm_eval alarm_eval_reading(const alarm_rule *r, int active, double value, int has_prev,
                              double prev, int64_t prev_at, int64_t at);
/* Inactivity at now, the last activity at last_activity (or the install /
 * registration time when there was none). */
alarm_eval alarm_eval_inactivity(const alarm_rule *r, int active, int64_t last_activity, int64_t now);
/* Offline at now given the last reading/heartbeat and the interval (s). */
alarm_eval alarm_eval_offline(const alarm_rule *r, int active, int64_t last_seen,
                              int64_t interval_s, int64_t now);

#endif
