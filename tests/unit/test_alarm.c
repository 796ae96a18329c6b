/*
 * test_alarm.c -- alarm rule evaluation (src/alarm.c): threshold hysteresis,
 * rate of change, inactivity windows (also across midnight), offline, low
 * battery, validation, device types and metrics.
 */
#include "t.h"

#include "alarm.h"

#include <math.h>

#define H (3600LL * 1000)
#define MIN (60LL * 1000)
/* 2026-11-27 00:00 Asia/Shanghai in UTC ms. */
#define DAY0 (1795737600000LL - 8 * H)

static alarm_rule rule(alarm_kind k) {
    alarm_rule r = {0};
    snprintf(r.type, sizeof r.type, "water_level");
    snprintf(r.metric, sizeof r.metric, "level");
    r.kind = k;
    r.high = 30, r.low = 20, r.rate = 5, r.k = 3;
    r.win_from = r.win_to = ALARM_NO_WINDOW;
    r.severity = SEV_MAJOR;
    r.enabled = 1;
    return r;
}

TEST(threshold_hysteresis) {
    alarm_rule r = rule(AK_THRESHOLD);
    ASSERT_EQ(alarm_eval_reading(&r, 0, 29.9, 0, 0, 0, 0), ALARM_NONE);
    ASSERT_EQ(alarm_eval_reading(&r, 0, 30, 0, 0, 0, 0), ALARM_RAISE);
    ASSERT_EQ(alarm_eval_reading(&r, 1, 31, 0, 0, 0, 0), ALARM_RAISE); /* a repeat */
    ASSERT_EQ(alarm_eval_reading(&r, 1, 25, 0, 0, 0, 0), ALARM_NONE);  /* between low and high: stays */
    ASSERT_EQ(alarm_eval_reading(&r, 1, 20.5, 0, 0, 0, 0), ALARM_NONE);
    ASSERT_EQ(alarm_eval_reading(&r, 1, 20, 0, 0, 0, 0), ALARM_CLEAR);
    ASSERT_EQ(alarm_eval_reading(&r, 0, 10, 0, 0, 0, 0), ALARM_NONE);  /* nothing to clear */
    ASSERT_EQ(alarm_eval_reading(&r, 0, NAN, 0, 0, 0, 0), ALARM_NONE);
    r.enabled = 0;
    ASSERT_EQ(alarm_eval_reading(&r, 0, 99, 0, 0, 0, 0), ALARM_NONE);
}

TEST(rate_of_change) {
    alarm_rule r = rule(AK_RATE);
    ASSERT_EQ(alarm_eval_reading(&r, 0, 10, 0, 0, 0, MIN), ALARM_NONE);         /* no previous */
    ASSERT_EQ(alarm_eval_reading(&r, 0, 14, 1, 10, 0, MIN), ALARM_NONE);        /* 4/min */
    ASSERT_EQ(alarm_eval_reading(&r, 0, 15, 1, 10, 0, MIN), ALARM_RAISE);       /* 5/min */
    ASSERT_EQ(alarm_eval_reading(&r, 0, 20, 1, 10, 0, 2 * MIN), ALARM_RAISE);   /* 5/min over 2 min */
    ASSERT_EQ(alarm_eval_reading(&r, 0, 19, 1, 10, 0, 2 * MIN), ALARM_NONE);
    ASSERT_EQ(alarm_eval_reading(&r, 1, 21, 1, 20, 0, MIN), ALARM_CLEAR);       /* slowed down */
    ASSERT_EQ(alarm_eval_reading(&r, 0, 99, 1, 10, MIN, MIN), ALARM_NONE);      /* same instant */
    r.rate = -5;                                                                /* a fall */
    ASSERT_EQ(alarm_eval_reading(&r, 0, 4, 1, 10, 0, MIN), ALARM_RAISE);
    ASSERT_EQ(alarm_eval_reading(&r, 0, 16, 1, 10, 0, MIN), ALARM_NONE);
}

TEST(battery_low) {
    alarm_rule r = rule(AK_BATTERY);
    snprintf(r.metric, sizeof r.metric, "battery");
    ASSERT_EQ(alarm_eval_reading(&r, 0, 21, 0, 0, 0, 0), ALARM_NONE);
    ASSERT_EQ(alarm_eval_reading(&r, 0, 20, 0, 0, 0, 0), ALARM_RAISE);
    ASSERT_EQ(alarm_eval_reading(&r, 1, 25, 0, 0, 0, 0), ALARM_NONE);
    ASSERT_EQ(alarm_eval_reading(&r, 1, 30, 0, 0, 0, 0), ALARM_CLEAR);
}

TEST(window_overlap_plain_and_midnight) {
    /* 07:00-22:00, from 06:00 to 08:00 the same day: 1 h inside. */
    ASSERT_EQ(alarm_window_overlap_ms(420, 1320, DAY0 + 6 * H, DAY0 + 8 * H), H);
    /* Whole day: 15 h. */
    ASSERT_EQ(alarm_window_overlap_ms(420, 1320, DAY0, DAY0 + 24 * H), 15 * H);
    /* Two days: 30 h. */
    ASSERT_EQ(alarm_window_overlap_ms(420, 1320, DAY0, DAY0 + 48 * H), 30 * H);
    /* 22:00-06:00 crosses midnight: 21:00 -> 01:00 next day = 3 h. */
    ASSERT_EQ(alarm_window_overlap_ms(1320, 360, DAY0 + 21 * H, DAY0 + 25 * H), 3 * H);
    /* 05:00 -> 07:00: only 05-06 of the previous night's window. */
    ASSERT_EQ(alarm_window_overlap_ms(1320, 360, DAY0 + 5 * H, DAY0 + 7 * H), H);
    /* Midday outside the night window. */
    ASSERT_EQ(alarm_window_overlap_ms(1320, 360, DAY0 + 10 * H, DAY0 + 18 * H), 0);
    ASSERT_EQ(alarm_window_overlap_ms(ALARM_NO_WINDOW, ALARM_NO_WINDOW, DAY0, DAY0 + 5 * H), 5 * H);
    ASSERT_EQ(alarm_window_overlap_ms(420, 1320, DAY0 + 5 * H, DAY0 + 4 * H), 0);
}

TEST(inactivity_window_across_midnight) {
    alarm_rule r = rule(AK_INACTIVITY);
    snprintf(r.type, sizeof r.type, "door_contact");
    snprintf(r.metric, sizeof r.metric, "door");
    r.win_from = 1320, r.win_to = 360; /* 22:00-06:00 */
    r.duration_s = 4 * 3600;
    int64_t last = DAY0 + 21 * H; /* door opened 21:00 */
    ASSERT_EQ(alarm_eval_inactivity(&r, 0, last, DAY0 + 25 * H), ALARM_NONE);     /* 01:00: 3 h */
    ASSERT_EQ(alarm_eval_inactivity(&r, 0, last, DAY0 + 26 * H), ALARM_RAISE);    /* 02:00: 4 h */
    ASSERT_EQ(alarm_eval_inactivity(&r, 1, last, DAY0 + 27 * H), ALARM_NONE);     /* already active */
    /* Daytime quiet does not count: opened 06:00, at 21:59 still 0 h inside. */
    ASSERT_EQ(alarm_eval_inactivity(&r, 0, DAY0 + 6 * H, DAY0 + 22 * H - 1), ALARM_NONE);
    /* Activity clears it. */
    ASSERT_EQ(alarm_eval_reading(&r, 1, 1, 0, 0, 0, 0), ALARM_CLEAR);
    ASSERT_EQ(alarm_eval_reading(&r, 1, 0, 0, 0, 0, 0), ALARM_NONE);
    /* "Not opened for 12 h between 07:00 and 22:00". */
    r.win_from = 420, r.win_to = 1320, r.duration_s = 12 * 3600;
    ASSERT_EQ(alarm_eval_inactivity(&r, 0, DAY0 + 8 * H, DAY0 + 19 * H + 59 * MIN), ALARM_NONE);
    ASSERT_EQ(alarm_eval_inactivity(&r, 0, DAY0 + 8 * H, DAY0 + 20 * H), ALARM_RAISE);
    /* Opened 20:00: 2 h that evening + 10 h the next day = 17:00 next day. */
    ASSERT_EQ(alarm_eval_inactivity(&r, 0, DAY0 + 20 * H, DAY0 + 24 * H + 16 * H), ALARM_NONE);
    ASSERT_EQ(alarm_eval_inactivity(&r, 0, DAY0 + 20 * H, DAY0 + 24 * H + 17 * H), ALARM_RAISE);
}

TEST(offline) {
    alarm_rule r = rule(AK_OFFLINE);
    ASSERT_EQ(alarm_eval_offline(&r, 0, 0, 60, 179999), ALARM_NONE);
    ASSERT_EQ(alarm_eval_offline(&r, 0, 0, 60, 180000), ALARM_RAISE);
    ASSERT_EQ(alarm_eval_offline(&r, 1, 0, 60, 999999), ALARM_NONE);
    ASSERT_EQ(alarm_eval_offline(&r, 0, 0, 0, 999999), ALARM_NONE);
}

TEST(validation) {
    char msg[128];
    alarm_rule r = rule(AK_THRESHOLD);
    ASSERT_OK(alarm_rule_validate(&r, msg, sizeof msg));
    r.low = 30;
    ASSERT_EQ(alarm_rule_validate(&r, msg, sizeof msg), JC_ERR_INVALID);
    ASSERT(strstr(msg, "low"));
    r = rule(AK_THRESHOLD);
    snprintf(r.metric, sizeof r.metric, "smoke");
    ASSERT_EQ(alarm_rule_validate(&r, msg, sizeof msg), JC_ERR_INVALID);
    r = rule(AK_THRESHOLD);
    snprintf(r.type, sizeof r.type, "toaster");
    ASSERT_EQ(alarm_rule_validate(&r, msg, sizeof msg), JC_ERR_INVALID);
    r = rule(AK_INACTIVITY);
    r.duration_s = 3600;
    r.win_from = 420;
    ASSERT_EQ(alarm_rule_validate(&r, msg, sizeof msg), JC_ERR_INVALID);
    r.win_to = 420;
    ASSERT_EQ(alarm_rule_validate(&r, msg, sizeof msg), JC_ERR_INVALID);
    r.win_to = 60;
    ASSERT_OK(alarm_rule_validate(&r, msg, sizeof msg));
    r = rule(AK_RATE);
    r.rate = 0;
    ASSERT_EQ(alarm_rule_validate(&r, msg, sizeof msg), JC_ERR_INVALID);
    r = rule(AK_OFFLINE);
    r.metric[0] = 0;
    ASSERT_OK(alarm_rule_validate(&r, msg, sizeof msg));
    r.k = 0.5;
    ASSERT_EQ(alarm_rule_validate(&r, msg, sizeof msg), JC_ERR_INVALID);
    ASSERT_EQ(alarm_parse_hhmm("07:00"), 420);
    ASSERT_EQ(alarm_parse_hhmm("23:59"), 1439);
    ASSERT_EQ(alarm_parse_hhmm("24:00"), -1);
    ASSERT_EQ(alarm_parse_hhmm("7:00"), -1);
}

TEST(types_metrics_ranges) {
    ASSERT(alarm_metric_known("smoke", "smoke"));
    ASSERT(alarm_metric_known("smoke", "battery"));
    ASSERT(!alarm_metric_known("smoke", "level"));
    ASSERT(alarm_metric_known("generic", "pm25"));
    ASSERT(!alarm_metric_known("generic", "PM25"));
    ASSERT(!alarm_metric_known("nope", "smoke"));
    ASSERT(alarm_value_in_range("battery", 100));
    ASSERT(!alarm_value_in_range("battery", 101));
    ASSERT(!alarm_value_in_range("level", INFINITY));
    ASSERT(!alarm_value_in_range("level", NAN));
    ASSERT(!alarm_value_in_range("level", 1e12));
    alarm_rule r = rule(AK_INACTIVITY);
    snprintf(r.type, sizeof r.type, "door_contact");
    ASSERT_STR_EQ(alarm_case_category(&r), "0901");
    snprintf(r.category, sizeof r.category, "1001");
    ASSERT_STR_EQ(alarm_case_category(&r), "1001");
}

T_MAIN(T(threshold_hysteresis), T(rate_of_change), T(battery_low), T(window_overlap_plain_and_midnight),
       T(inactivity_window_across_midnight), T(offline), T(validation), T(types_metrics_ranges))
