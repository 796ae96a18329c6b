/*
 * warning.h -- judgement and early warning in the running server (研判预警):
 * the text classifier behind POST /api/v1/classify, the category suggestion
 * recorded for each new case, counts per (day, community, category), the
 * early-warning ticker (EARS C1/C2/C3 or CUSUM from detect.h over every
 * (category, community) series and every category for the street), the
 * warning lifecycle (open -> acknowledged | dismissed | escalated to a case)
 * and hotspots (hotspot.h).  See docs/warnings.md.
 *
 * warning.c holds the model, the detection logic, the HTTP handlers and the
 * CLI; warning_sqlite.c its tables and SQL (warning_int.h between them).
 */
#ifndef JC_WARNING_H
#define JC_WARNING_H

#include "jc.h"
#include "model.h"

typedef struct jc_conn jc_conn;

/* The hook for case_create (runs on the writer, inside the creating job):
 * brings daily_counts up to date (which counts case k) and records the
 * classifier's suggestion for k in case_suggestions.  Idempotent: the ticker
 * does the same for cases created without the hook, so calling it is only
 * about immediacy.  Errors are JC_ERR_DB (the job's savepoint rolls back). */
jc_err warning_on_case_created(jc_conn *w, const jc_case *k) JC_MUST_CHECK;

/* The module's tick (module.h): catches up counts and suggestions and
 * runs the detectors when counts changed or the simulated day rolled over. */
jc_err warning_tick(jc_conn *w, int64_t now_ms) JC_MUST_CHECK;

/* Rebuilds daily_counts from the cases table (after an import or repair). */
jc_err warning_counts_rebuild(jc_conn *w) JC_MUST_CHECK;

/* The open warnings whose area starts with prefix ("" any) into *n (the
 * dashboard, stats.c). */
jc_err warning_open_count(jc_conn *c, const char *prefix, int64_t *n) JC_MUST_CHECK;

#endif
