/*
 * dispatch_schema.c -- the tables of automatic dispatch (module "dispatch").
 *
 *  duty_lists      each imported/edited version of the responsibility list
 *                  (权责清单) as CSV; exactly one is active.
 *  case_route      the latest routing decision of a case and why (an
 *                  automatic route stores its list version, entry and grid;
 *                  explanation and legal_basis are empty and written out on
 *                  reading; rows of earlier builds and manual routes hold
 *                  their text).
 *  case_owner      ownership intervals: which department owned (lead) or
 *                  co-handled a case from when to when and how it ended
 *                  (evaluation scores a unit only for what it owned).
 *  case_phase      one row per phase a unit worked on (accept, handle,
 *                  verify) with its deadline in working time, approved pause
 *                  time, and the escalation bookkeeping; next_at is when the
 *                  escalation ticker must look at it again (NULL: never);
 *                  the ticker keeps them in memory (dispatch.c); the armed
 *                  open phases are indexed by id (case_phase_open) for its
 *                  loads; level is the overdue level reached (1 超时督办,
 *                  2 领导督办; rows of earlier builds may hold more);
 *                  natural_time marks a limit in natural time.
 *  returns         退单: a department's return with its reason, and the
 *                  dispatcher's decision (upheld / rejected).
 *  whistles,       吹哨报到: summoned departments, their check-in deadline,
 *  whistle_members check-in time, lateness, completion and the caller's rating.
 *  calendar_days   staff corrections of the official calendar (versioned by
 *                  updated_at, audited).
 *  duplicates      a new report linked to an open case (auto-merged or
 *                  suggested) with its score.
 *  case_followers  residents who follow a case (their duplicate was merged).
 *  user_duty       grid workers' on/off duty.
 */
#include "store.h"

static const char *const dispatch_migrations[] = {
    "CREATE TABLE duty_lists(version INTEGER PRIMARY KEY, created_at INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL, note TEXT, csv TEXT NOT NULL, entries INTEGER NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE case_route(case_id INTEGER PRIMARY KEY, list_version INTEGER, entry_id TEXT,"
    "  category TEXT, scope TEXT, lead_dept TEXT, co_depts TEXT, legal_basis TEXT, grid TEXT,"
    "  located TEXT NOT NULL, manual INTEGER NOT NULL DEFAULT 0, explanation TEXT NOT NULL,"
    "  routed_at INTEGER NOT NULL);"
    "CREATE TABLE case_owner(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
    "  dept_id INTEGER NOT NULL, role TEXT NOT NULL CHECK(role IN('lead','co')),"
    "  start_at INTEGER NOT NULL, end_at INTEGER, end_reason TEXT);"
    "CREATE INDEX case_owner_case ON case_owner(case_id);"
    "CREATE INDEX case_owner_dept ON case_owner(dept_id, start_at);"
    "CREATE TABLE case_phase(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
    "  phase TEXT NOT NULL CHECK(phase IN('accept','handle','verify')), dept_id INTEGER,"
    "  user_id INTEGER, start_at INTEGER NOT NULL, deadline_at INTEGER,"
    "  provisional INTEGER NOT NULL DEFAULT 0, end_at INTEGER, end_reason TEXT,"
    "  paused_at INTEGER, paused_ms INTEGER NOT NULL DEFAULT 0,"
    "  reminded_at INTEGER, overdue_at INTEGER, level INTEGER NOT NULL DEFAULT 0, next_at INTEGER);"
    "CREATE INDEX case_phase_case ON case_phase(case_id);"
    "CREATE INDEX case_phase_next ON case_phase(next_at) WHERE next_at IS NOT NULL;"
    "CREATE TABLE returns(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, dept_id INTEGER NOT NULL,"
    "  reason_code TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL,"
    "  decision TEXT CHECK(decision IN('upheld','rejected')), decided_at INTEGER,"
    "  decided_by TEXT, note TEXT);"
    "CREATE INDEX returns_case ON returns(case_id);"
    "CREATE TABLE whistles(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
    "  raised_by INTEGER NOT NULL, raised_at INTEGER NOT NULL, checkin_minutes INTEGER NOT NULL,"
    "  note TEXT, state TEXT NOT NULL DEFAULT 'open' CHECK(state IN('open','done')),"
    "  done_at INTEGER);"
    "CREATE INDEX whistles_case ON whistles(case_id);"
    "CREATE TABLE whistle_members(whistle_id INTEGER NOT NULL, dept_id INTEGER NOT NULL,"
    "  checkin_deadline INTEGER NOT NULL, checked_in_at INTEGER, late INTEGER NOT NULL DEFAULT 0,"
    "  done_at INTEGER, done_note TEXT, rating INTEGER, rated_at INTEGER,"
    "  PRIMARY KEY(whistle_id, dept_id));"
    "CREATE TABLE calendar_days(ymd INTEGER PRIMARY KEY, kind TEXT NOT NULL"
    "  CHECK(kind IN('holiday','workday')), name TEXT, updated_by TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE TABLE duplicates(case_id INTEGER PRIMARY KEY, original_id INTEGER NOT NULL,"
    "  score REAL NOT NULL, distance_m REAL, auto INTEGER NOT NULL, at INTEGER NOT NULL);"
    "CREATE INDEX duplicates_original ON duplicates(original_id);"
    "CREATE TABLE case_followers(case_id INTEGER NOT NULL, user_id INTEGER NOT NULL,"
    "  PRIMARY KEY(case_id, user_id)) WITHOUT ROWID;"
    "CREATE TABLE user_duty(user_id INTEGER PRIMARY KEY, on_duty INTEGER NOT NULL DEFAULT 1);",
    /* 2: no query reads ownership by department (evaluation reads it by
     * case), and its scattered keys cost every dispatch a page */
    "DROP INDEX IF EXISTS case_owner_dept;",
    /* 3: SQLite checks "x IN (three or more values)" through a temporary
     * index built at every insert (1.8 us; 0.4 for the same test written
     * with OR): case_phase is rebuilt with its CHECK so written */
    "CREATE TABLE case_phase_v3(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
    "  phase TEXT NOT NULL CHECK(phase = 'accept' OR phase = 'handle' OR phase = 'verify'),"
    "  dept_id INTEGER, user_id INTEGER, start_at INTEGER NOT NULL, deadline_at INTEGER,"
    "  provisional INTEGER NOT NULL DEFAULT 0, end_at INTEGER, end_reason TEXT,"
    "  paused_at INTEGER, paused_ms INTEGER NOT NULL DEFAULT 0,"
    "  reminded_at INTEGER, overdue_at INTEGER, level INTEGER NOT NULL DEFAULT 0, next_at INTEGER);"
    "INSERT INTO case_phase_v3 SELECT * FROM case_phase;"
    "DROP TABLE case_phase;"
    "ALTER TABLE case_phase_v3 RENAME TO case_phase;"
    "CREATE INDEX case_phase_case ON case_phase(case_id);"
    "CREATE INDEX case_phase_next ON case_phase(next_at) WHERE next_at IS NOT NULL;",
    /* 4: the escalation ticker finds due phases in a heap in memory, read
     * from the table at its first tick; the index's keys scattered with the
     * deadlines and cost every dispatch ~2 us */
    "DROP INDEX IF EXISTS case_phase_next;",
    /* 5: what the ticker reads at a load, the armed open phases, by id:
     * the keys come in order, so an insert lands on the index's last page
     * (no cost measured, where next_at's scattered keys cost ~2 us), and a
     * load after another program's write reads the open phases, not every
     * phase ever opened */
    "CREATE INDEX case_phase_open ON case_phase(id) WHERE end_at IS NULL AND next_at IS NOT NULL;",
    /* 6: natural_time: the phase's limit counts natural time (an urgent
     * category), so its reminder falls at 80 % of the natural span; the
     * others' at 80 % of the working time (docs/dispatch.md, Escalation) */
    "ALTER TABLE case_phase ADD COLUMN natural_time INTEGER NOT NULL DEFAULT 0;",
};

const jc_schema schema_dispatch = {"dispatch", dispatch_migrations,
                                   (int)(sizeof dispatch_migrations / sizeof dispatch_migrations[0])};
