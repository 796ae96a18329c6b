/*
 * t_fixture.h -- rows unit tests put into a t_store.h store: an area, a
 * user (test_case.c, test_intake.c, test_sensor_alarm.c).
 */
#ifndef JC_T_FIXTURE_H
#define JC_T_FIXTURE_H

#include "store.h"

#include <stdio.h>
#include <string.h>

/* An area code under parent at level, named after its code. */
__attribute__((unused)) static jc_err t_put_area(jc_conn *w, const char *code, const char *parent, const char *level) {
    jc_area a = {0};
    snprintf(a.code, sizeof a.code, "%s", code);
    snprintf(a.parent, sizeof a.parent, "%s", parent);
    snprintf(a.level, sizeof a.level, "%s", level);
    snprintf(a.name, sizeof a.name, "区域%s", code);
    return store_area_put(w, &a);
}

/* The district 110101, street 110101001, community 110101001001 and its
 * grid 110101001001001. */
__attribute__((unused)) static jc_err t_put_grid(jc_conn *w) {
    jc_err e;
    if ((e = t_put_area(w, "110101", "", "district")) || (e = t_put_area(w, "110101001", "110101", "street")) ||
        (e = t_put_area(w, "110101001001", "110101001", "community")) ||
        (e = t_put_area(w, "110101001001001", "110101001001", "grid")))
        return e;
    return JC_OK;
}

/* A user with role in area (dept: a department's staff), *u as stored. */
__attribute__((unused)) static jc_err t_put_user(jc_conn *w, jc_user *u, const char *name, jc_role role,
                                                 const char *area, int64_t dept) {
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    u->role = role;
    snprintf(u->area, sizeof u->area, "%s", area);
    u->dept_id = dept;
    snprintf(u->pw_hash, sizeof u->pw_hash, "x");
    return store_user_insert(w, u);
}

#endif
