/*
 * clock.h -- the platform clock shared through the database (see clock.c).
 */
#ifndef JC_CLOCK_H
#define JC_CLOCK_H

#include "http.h"
#include "jc.h"

typedef struct jc_conn jc_conn;

/* Reads meta('clock') and applies it to jc_now_ms() (real time if absent). */
jc_err clock_load(jc_conn *c) JC_MUST_CHECK;
/* Stores a simulated clock starting now at start_ms, speed x real time
 * (speed <= 0: real time); until_real: once it catches up with real time it
 * stays there (jc_clock_set_until_real).  Runs on the writer. */
jc_err clock_save(jc_conn *w, int64_t start_ms, double speed, int until_real) JC_MUST_CHECK;

/* `jiceng clock show|set|real` (a command of the core module). */
int cmd_clock(int argc, char **argv);

/* GET /api/v1/clock (clock.c): a route table of the core module's row. */
extern const jc_route_table clock__routes;

#endif
