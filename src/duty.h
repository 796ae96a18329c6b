/*
 * duty.h -- the responsibility list (权责清单) as an in-memory matcher.
 *
 * Dispatch (issue 3) routes a case of category C located in grid G to the
 * department the published responsibility list names for C in the area that
 * contains G.  Each entry covers one category in one area scope: a district
 * (6 digits of GB/T 2260), a street (9) or a community (12).  For a grid code
 * the most specific entry wins: the one whose scope is the longest prefix of
 * the grid code (community before street before district).  The pair
 * (category, scope) is unique in a list, so there is never a tie at one
 * length and the choice is deterministic.
 *
 * The list is pure and storage-free; the lead module persists it.  Import
 * from CSV is all or nothing (format in docs/dispatch.md).
 *
 * Threads: a list is read-only for duty_match/duty_explain/duty_list_get,
 * which may run concurrently; duty_list_add must not run concurrently with
 * anything.  Replace a list in service by importing a new one and swapping.
 */
#ifndef DUTY_H
#define DUTY_H

#include "calendar.h"
#include "jc.h"

#include <stddef.h>
#include <stdint.h>

#define DUTY_MAX_ID 32           /* bytes of an entry id */
#define DUTY_MAX_CODE 32         /* bytes of a category or department code */
#define DUTY_MAX_CO 8            /* co-handling departments per entry */
#define DUTY_MAX_BASIS 4000      /* bytes of legal basis text */
#define DUTY_MAX_ENTRIES 200000  /* entries per list */
#define DUTY_MAX_CSV (32u << 20) /* bytes of one CSV import */
#define DUTY_MAX_ERRORS 100      /* error lines reported by an import */
#define DUTY_MAX_AMOUNT 100000   /* largest time limit amount */

typedef enum { DUTY_ACCEPT = 0, DUTY_HANDLE = 1, DUTY_VERIFY = 2, DUTY_NPHASES = 3 } duty_phase;

/* A time limit: amount of unit (CALENDAR_WORKING_HOURS, _WORKING_DAYS,
 * _NATURAL_HOURS, _WORKING_MINUTES or _NATURAL_MINUTES); feed it to
 * calendar_add. */
typedef struct {
    int64_t amount;
    calendar_unit unit;
} duty_limit;

typedef struct {
    char id[DUTY_MAX_ID + 1];
    char category[DUTY_MAX_CODE + 1];
    char scope[13];                   /* 6, 9 or 12 digits */
    char lead_dept[DUTY_MAX_CODE + 1];
    char co_depts[DUTY_MAX_CO][DUTY_MAX_CODE + 1];
    size_t n_co;
    const char *legal_basis;          /* owned by the list for its entries */
    duty_limit limit[DUTY_NPHASES];
    int may_delegate;                 /* 1: may be delegated to the community */
} duty_entry;

/* The codes an import or add is checked against (owned by the caller, used
 * only during the call).  A NULL array skips that check. */
typedef struct {
    const char *const *categories;
    size_t n_categories;
    const char *const *depts;
    size_t n_depts;
} duty_known;

typedef struct duty_list duty_list;

/* Creates an empty list; caller frees with duty_list_free.  JC_ERR_NOMEM. */
jc_err duty_list_new(duty_list **out) JC_MUST_CHECK;
/* Frees a list; NULL is a no-op. */
void duty_list_free(duty_list *list);

/* Validates e (the rules of a CSV row, known may be NULL) and adds a copy
 * (legal_basis copied too).  Errors: JC_ERR_INVALID (message in err),
 * JC_ERR_CONFLICT for a duplicate id or (category, scope), JC_ERR_TOOBIG,
 * JC_ERR_NOMEM.  On failure nothing changes.  Pointers from duty_match and
 * duty_list_get are invalidated by a successful add. */
jc_err duty_list_add(duty_list *list, const duty_entry *e, const duty_known *known, char *err,
                     size_t errsz) JC_MUST_CHECK;

/* Parses a responsibility-list CSV (UTF-8, optional BOM, header row naming
 * the columns id, category, scope, lead_dept, co_depts, legal_basis, accept,
 * handle, verify, may_delegate in any order) into a NEW list *out, owned by
 * the caller.  Every row is checked against known; when any row is bad,
 * nothing is imported: JC_ERR_INVALID, *out untouched, and errors receives
 * one line per problem, "row N: ..." (row 1 is the header; at most
 * DUTY_MAX_ERRORS lines, then a count).  JC_ERR_TOOBIG past DUTY_MAX_CSV or
 * DUTY_MAX_ENTRIES; JC_ERR_NOMEM.  errors may be NULL. */
jc_err duty_import_csv(const char *data, size_t len, const duty_known *known, duty_list **out,
                       jc_buf *errors) JC_MUST_CHECK;

/* Number of entries, and entry i (0 <= i < count; NULL otherwise). */
size_t duty_list_count(const duty_list *list);
const duty_entry *duty_list_get(const duty_list *list, size_t i);

/* The most specific entry for category in grid_code (a code of >= 6 digits:
 * grid, community, street or district).  *entry points into the list.
 * JC_ERR_NOTFOUND when no entry covers it; JC_ERR_INVALID for a malformed
 * grid code or category. */
jc_err duty_match(const duty_list *list, const char *category, const char *grid_code,
                  const duty_entry **entry) JC_MUST_CHECK;

/* Like duty_match, and appends to out a human-readable explanation (Chinese
 * terms with codes) of which scopes were checked, which entry won and why,
 * and its legal basis.  The explanation is written also when nothing
 * matches (then JC_ERR_NOTFOUND).  JC_ERR_NOMEM/TOOBIG from the buffer. */
jc_err duty_explain(const duty_list *list, const char *category, const char *grid_code,
                    const duty_entry **entry, jc_buf *out) JC_MUST_CHECK;

/* The same explanation as data, for a reader's own language: one step per
 * scope checked, most specific first (community, street, district; a
 * shorter code checks fewer).  *entry as duty_match.  JC_ERR_NOTFOUND when
 * nothing covers it (the steps are set all the same). */
typedef struct {
    int level;               /* 0 community (12 digits), 1 street (9), 2 district (6) */
    char scope[16];          /* that prefix of the grid code */
    const duty_entry *entry; /* the list's entry for exactly this scope, or NULL */
    int applies;             /* 1: this entry won (the most specific one) */
} duty_step;
jc_err duty_explain_steps(const duty_list *list, const char *category, const char *grid_code,
                          duty_step steps[3], size_t *n, const duty_entry **entry) JC_MUST_CHECK;

/* Parses a limit cell: "<amount><unit>", unit one of wh (working hours), wd
 * (working days), h (natural hours), wmin (working minutes), min (natural
 * minutes); e.g. "24wh", "3wd", "48h".  JC_ERR_INVALID otherwise. */
jc_err duty_parse_limit(const char *s, duty_limit *out) JC_MUST_CHECK;

#endif
