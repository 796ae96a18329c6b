/*
 * stats_sqlite.c -- the SQLite half of the dashboard's figures
 * (stats_store.h): the counters, kept by triggers on the cases table in
 * the transaction that writes a case (exact, rolled back with it), and
 * their reads.
 *
 * Design notes
 *  - GET /api/v1/stats counted every case in scope per request (3.6 s at
 *    1.15 M cases, and a dashboard per user).  The counters hold one row
 *    per combination of area, lead department, category, state and marks
 *    that occurs, so a request reads a few thousand rows whatever the
 *    store's size.
 *  - But "a few thousand" grew with the store towards its bound (grids x
 *    department-category pairs x states x marks): 24,054 rows for the
 *    street at 1 M cases, 9.8 ms of server CPU per request, 7x its figure
 *    at 10 k.  So the street's and a community's requests read counters
 *    per community without the department (stats_comm, stats_comm_days;
 *    1,872 and ~300 rows at 1 M), and no finished case keeps marks; the
 *    grid counters serve a department's requests (keyed by department
 *    first: one range each, migration 4) and a grid's (by indexes on the
 *    area).
 *  - A department's request read the grid counters, keyed by department
 *    first (migration 4), and they too grew towards their bound: 2,124
 *    rows for dept_chengguan at 1 M cases, 1.30 ms of server CPU per
 *    request against 0.45 at 10 k (3.1x in p99 at 10 M).  Migration 5 keeps
 *    a department's counters without the area: per category, state and
 *    marks (stats_dept_cat: its figures by state, totals and by category),
 *    per community, state and overdue (stats_dept_comm: by community) and
 *    per day (stats_dept_days), none for cases without a department.  Its
 *    request (no area) reads 221 rows at 1 M (79 at 10 k): 0.35 ms at both,
 *    the same bytes.  With an area it reads the grid counters as before.
 *  - A case written changes its counters only when what they count
 *    changed (the triggers' WHEN): a reminder, a rating or an assignee
 *    does not touch them.  The community counters cost the writer two
 *    statements more per insert and five per counted update: 88 -> 98 us
 *    of CPU per dispatched finding (bench/bench_writer.c, medians of five
 *    runs at load 6-9, 2026-12-07).  A department's counters: three more
 *    per insert and seven per counted update (their WHERE skips most when
 *    the department stays): 77 -> 85 us (medians of five runs of 20,000
 *    findings, load 6-7, 2026-12-08).  Migration 6 adds a street's
 *    counters (stats_comm_sm, stats_street_cat: the street's request reads
 *    411 rows at 3 M, not 2,480) and moves a case in one upsert per table:
 *    75.6 (stats 4) -> 85.9 (5) -> 91.9 us (6), medians of five runs at
 *    load 8-9, 2026-12-08.
 */
#include "stats_store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>

/* overdue, escalated, ownerless of a row X of cases */
#define MARKS(X) "(((" X ".flags & 4) != 0) | ((" X ".escalation > 0) << 1) | ((" X ".flags & 1) << 2))"
/* the local (UTC+8) day of a time in ms, as days since 1970-01-01 */
#define DAY(T) "((" T " + 28800000) / 86400000)"

/* The marks a counter row keeps: those of an open case only.  A closed,
 * rated, voided or merged case's marks are counted nowhere (the figures'
 * overdue, escalated and ownerless are of open cases), so its row keeps 0
 * (at 1 M cases, bench-fill: 19,874 grid rows instead of 24,054).  Not
 * `state IN (...)`: in a trigger that builds a table per row and made a
 * case's update 7x dearer. */
#define OPEN_MARKS(X)                                                                                      \
    "(CASE WHEN " X ".state = 'closed' OR " X ".state = 'rated' OR " X ".state = 'voided' OR " X ".state = 'merged'" \
    " THEN 0 ELSE " MARKS(X) " END)"

/* The counters recounted from the cases and the log, with M the marks kept. */
#define REBUILD_WITH(M)                                                                                    \
    "DELETE FROM stats_counts; DELETE FROM stats_days;"                                                     \
    "INSERT INTO stats_counts(area, dept_id, category, state, marks, n)"                                  \
    " SELECT area, coalesce(dept_id, 0), category, state, " M("cases") ", count(*) FROM cases"            \
    " GROUP BY 1, 2, 3, 4, 5;"                                                                             \
    "INSERT INTO stats_days(day, area, dept_id, created, closed)"                                          \
    " SELECT " DAY("created_at") ", area, coalesce(dept_id, 0), count(*), 0 FROM cases GROUP BY 1, 2, 3;" \
    "INSERT INTO stats_days(day, area, dept_id, created, closed)"                                          \
    " SELECT " DAY("a.at") ", c.area, coalesce(c.dept_id, 0), 0, count(*) FROM audit a"                   \
    " JOIN cases c ON c.id = a.case_id WHERE a.to_state = 'closed' AND a.from_state <> 'closed'"          \
    " GROUP BY 1, 2, 3 ON CONFLICT(day, area, dept_id) DO UPDATE SET closed = closed + excluded.closed;"
/* The community counters (stats_comm, stats_comm_days) summed from those of
 * the grids (after REBUILD_WITH or in a migration). */
#define REBUILD_COMM                                                                                       \
    "DELETE FROM stats_comm; DELETE FROM stats_comm_days;"                                                  \
    "INSERT INTO stats_comm(community, category, state, marks, n)"                                         \
    " SELECT substr(area, 1, 12), category, state, marks, sum(n) FROM stats_counts WHERE n > 0"           \
    " GROUP BY 1, 2, 3, 4;"                                                                                \
    "INSERT INTO stats_comm_days(day, community, created, closed)"                                         \
    " SELECT day, substr(area, 1, 12), sum(created), sum(closed) FROM stats_days GROUP BY 1, 2;"
/* A department's counters (stats_dept_cat, stats_dept_comm,
 * stats_dept_days) summed from those of the grids (after REBUILD_WITH or in
 * a migration); no rows for cases without a lead department (no
 * department's request reads them). */
#define REBUILD_DEPT                                                                                       \
    "DELETE FROM stats_dept_cat; DELETE FROM stats_dept_comm; DELETE FROM stats_dept_days;"                 \
    "INSERT INTO stats_dept_cat(dept_id, category, state, marks, n)"                                       \
    " SELECT dept_id, category, state, marks, sum(n) FROM stats_counts WHERE n > 0 AND dept_id <> 0"      \
    " GROUP BY 1, 2, 3, 4;"                                                                                \
    "INSERT INTO stats_dept_comm(dept_id, community, state, overdue, n)"                                   \
    " SELECT dept_id, substr(area, 1, 12), state, marks & 1, sum(n) FROM stats_counts"                    \
    " WHERE n > 0 AND dept_id <> 0 GROUP BY 1, 2, 3, 4;"                                                   \
    "INSERT INTO stats_dept_days(dept_id, day, created, closed)"                                           \
    " SELECT dept_id, day, sum(created), sum(closed) FROM stats_days WHERE dept_id <> 0 GROUP BY 1, 2;"
/* A street's counters (stats_comm_sm, stats_street_cat) summed from those
 * per community (after REBUILD_COMM or in a migration). */
#define REBUILD_STREET                                                                                     \
    "DELETE FROM stats_comm_sm; DELETE FROM stats_street_cat;"                                              \
    "INSERT INTO stats_comm_sm(community, state, marks, n)"                                                \
    " SELECT community, state, marks, sum(n) FROM stats_comm WHERE n > 0 GROUP BY 1, 2, 3;"               \
    "INSERT INTO stats_street_cat(street, category, state, n)"                                             \
    " SELECT substr(community, 1, 9), category, state, sum(n) FROM stats_comm WHERE n > 0 GROUP BY 1, 2, 3;"
#define REBUILD REBUILD_WITH(OPEN_MARKS) REBUILD_COMM REBUILD_DEPT REBUILD_STREET

/* The counters per community (the first 12 digits of the area) without the
 * lead department: the grid counters summed, what the street's and a
 * community's requests read.  At 1 M cases (bench-fill) the street reads
 * 1,872 rows of these instead of 24,054 of stats_counts, and ~300 day rows
 * for a 30-day window instead of ~15,000.  Kept by the same triggers. */
#define COMM(X) "substr(" X ".area, 1, 12)"
#define COMM_TABLES                                                                                         \
    "CREATE TABLE stats_comm(community TEXT NOT NULL, category TEXT NOT NULL, state TEXT NOT NULL,"       \
    "  marks INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(community, category, state, marks)) WITHOUT ROWID;" \
    "CREATE TABLE stats_comm_days(day INTEGER NOT NULL, community TEXT NOT NULL, created INTEGER NOT NULL," \
    "  closed INTEGER NOT NULL, PRIMARY KEY(day, community)) WITHOUT ROWID;"
#define COMM_INSERT                                                                                         \
    "  INSERT INTO stats_comm(community, category, state, marks, n)"                                       \
    "   VALUES(" COMM("new") ", new.category, new.state, " OPEN_MARKS("new") ", 1)"                        \
    "   ON CONFLICT(community, category, state, marks) DO UPDATE SET n = n + 1;"                           \
    "  INSERT INTO stats_comm_days(day, community, created, closed)"                                       \
    "   VALUES(" DAY("new.created_at") ", " COMM("new") ", 1, 0)"                                          \
    "   ON CONFLICT(day, community) DO UPDATE SET created = created + 1;"
/* (-1 and +1 on one row when only the department changed: no change) */
#define COMM_UPDATE                                                                                         \
    "  UPDATE stats_comm SET n = n - 1 WHERE community = " COMM("old") " AND category = old.category"      \
    "   AND state = old.state AND marks = " OPEN_MARKS("old") ";"                                          \
    "  INSERT INTO stats_comm(community, category, state, marks, n)"                                       \
    "   VALUES(" COMM("new") ", new.category, new.state, " OPEN_MARKS("new") ", 1)"                        \
    "   ON CONFLICT(community, category, state, marks) DO UPDATE SET n = n + 1;"                           \
    "  UPDATE stats_comm_days SET created = created - 1 WHERE day = " DAY("old.created_at")                \
    "   AND community = " COMM("old") " AND " COMM("old") " IS NOT " COMM("new") ";"                       \
    "  INSERT INTO stats_comm_days(day, community, created, closed)"                                       \
    "   SELECT " DAY("new.created_at") ", " COMM("new") ", 1, 0 WHERE " COMM("old") " IS NOT " COMM("new") \
    "   ON CONFLICT(day, community) DO UPDATE SET created = created + 1;"                                  \
    "  INSERT INTO stats_comm_days(day, community, created, closed)"                                       \
    "   SELECT " DAY("new.updated_at") ", " COMM("new") ", 0, 1"                                           \
    "   WHERE new.state = 'closed' AND old.state IS NOT 'closed'"                                          \
    "   ON CONFLICT(day, community) DO UPDATE SET closed = closed + 1;"

/* A department's counters without the area: what a department's request
 * (no area) reads.  stats_dept_cat gives the figures by state, the totals
 * and those by category; stats_dept_comm those by community (marks reduced
 * to overdue); stats_dept_days the days.  Each is bounded by the
 * department's categories, states and marks, or its communities, or the
 * days: not by the grids its cases fall in (the grid counters a
 * department's request read grew from ~900 rows at 10 k cases to ~4,000 at
 * 10 M).  D(X) is X's lead department, 0 none (no rows). */
#define D(X) "coalesce(" X ".dept_id, 0)"
#define DEPT_TABLES                                                                                         \
    "CREATE TABLE stats_dept_cat(dept_id INTEGER NOT NULL, category TEXT NOT NULL, state TEXT NOT NULL,"  \
    "  marks INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(dept_id, category, state, marks)) WITHOUT ROWID;" \
    "CREATE TABLE stats_dept_comm(dept_id INTEGER NOT NULL, community TEXT NOT NULL, state TEXT NOT NULL,"  \
    "  overdue INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(dept_id, community, state, overdue)) WITHOUT ROWID;" \
    "CREATE TABLE stats_dept_days(dept_id INTEGER NOT NULL, day INTEGER NOT NULL, created INTEGER NOT NULL," \
    "  closed INTEGER NOT NULL, PRIMARY KEY(dept_id, day)) WITHOUT ROWID;"
#define DEPT_INSERT                                                                                         \
    "  INSERT INTO stats_dept_cat(dept_id, category, state, marks, n)"                                     \
    "   SELECT " D("new") ", new.category, new.state, " OPEN_MARKS("new") ", 1 WHERE " D("new") " <> 0"     \
    "   ON CONFLICT(dept_id, category, state, marks) DO UPDATE SET n = n + 1;"                             \
    "  INSERT INTO stats_dept_comm(dept_id, community, state, overdue, n)"                                 \
    "   SELECT " D("new") ", " COMM("new") ", new.state, " OPEN_MARKS("new") " & 1, 1 WHERE " D("new") " <> 0" \
    "   ON CONFLICT(dept_id, community, state, overdue) DO UPDATE SET n = n + 1;"                          \
    "  INSERT INTO stats_dept_days(dept_id, day, created, closed)"                                         \
    "   SELECT " D("new") ", " DAY("new.created_at") ", 1, 0 WHERE " D("new") " <> 0"                     \
    "   ON CONFLICT(dept_id, day) DO UPDATE SET created = created + 1;"
/* (an old row of department 0 is none: its update finds nothing) */
#define DEPT_UPDATE                                                                                         \
    "  UPDATE stats_dept_cat SET n = n - 1 WHERE dept_id = " D("old") " AND category = old.category"       \
    "   AND state = old.state AND marks = " OPEN_MARKS("old") ";"                                          \
    "  INSERT INTO stats_dept_cat(dept_id, category, state, marks, n)"                                     \
    "   SELECT " D("new") ", new.category, new.state, " OPEN_MARKS("new") ", 1 WHERE " D("new") " <> 0"     \
    "   ON CONFLICT(dept_id, category, state, marks) DO UPDATE SET n = n + 1;"                             \
    "  UPDATE stats_dept_comm SET n = n - 1 WHERE dept_id = " D("old") " AND community = " COMM("old")     \
    "   AND state = old.state AND overdue = " OPEN_MARKS("old") " & 1;"                                    \
    "  INSERT INTO stats_dept_comm(dept_id, community, state, overdue, n)"                                 \
    "   SELECT " D("new") ", " COMM("new") ", new.state, " OPEN_MARKS("new") " & 1, 1 WHERE " D("new") " <> 0" \
    "   ON CONFLICT(dept_id, community, state, overdue) DO UPDATE SET n = n + 1;"                          \
    "  UPDATE stats_dept_days SET created = created - 1 WHERE dept_id = " D("old")                         \
    "   AND day = " DAY("old.created_at") " AND old.dept_id IS NOT new.dept_id;"                           \
    "  INSERT INTO stats_dept_days(dept_id, day, created, closed)"                                         \
    "   SELECT " D("new") ", " DAY("new.created_at") ", 1, 0 WHERE " D("new") " <> 0"                      \
    "   AND old.dept_id IS NOT new.dept_id ON CONFLICT(dept_id, day) DO UPDATE SET created = created + 1;" \
    "  INSERT INTO stats_dept_days(dept_id, day, created, closed)"                                         \
    "   SELECT " D("new") ", " DAY("new.updated_at") ", 0, 1 WHERE " D("new") " <> 0"                      \
    "   AND new.state = 'closed' AND old.state IS NOT 'closed'"                                            \
    "   ON CONFLICT(dept_id, day) DO UPDATE SET closed = closed + 1;"

/* The counters of a scope of a street or wider: per community by state and
 * marks (by_state, the totals, by_community) and per street by category and
 * state (by_category); the street's request read stats_comm (community x
 * category x state x marks: 1,799 rows at 1 M cases, 605 at 10 k).  Each
 * changes only when what it counts changed (the WHERE of the update). */
#define STREET(X) "substr(" X ".area, 1, 9)"
#define STREET_TABLES                                                                                       \
    "CREATE TABLE stats_comm_sm(community TEXT NOT NULL, state TEXT NOT NULL, marks INTEGER NOT NULL,"    \
    "  n INTEGER NOT NULL, PRIMARY KEY(community, state, marks)) WITHOUT ROWID;"                            \
    "CREATE TABLE stats_street_cat(street TEXT NOT NULL, category TEXT NOT NULL, state TEXT NOT NULL,"     \
    "  n INTEGER NOT NULL, PRIMARY KEY(street, category, state)) WITHOUT ROWID;"
#define STREET_INSERT                                                                                       \
    "  INSERT INTO stats_comm_sm(community, state, marks, n)"                                              \
    "   VALUES(" COMM("new") ", new.state, " OPEN_MARKS("new") ", 1)"                                      \
    "   ON CONFLICT(community, state, marks) DO UPDATE SET n = n + 1;"                                     \
    "  INSERT INTO stats_street_cat(street, category, state, n)"                                           \
    "   VALUES(" STREET("new") ", new.category, new.state, 1)"                                             \
    "   ON CONFLICT(street, category, state) DO UPDATE SET n = n + 1;"
#define SM_MOVED                                                                                            \
    "(" COMM("old") " IS NOT " COMM("new") " OR old.state IS NOT new.state OR " OPEN_MARKS("old") " <> " OPEN_MARKS("new") ")"
#define CAT_MOVED                                                                                           \
    "(" STREET("old") " IS NOT " STREET("new") " OR old.category IS NOT new.category OR old.state IS NOT new.state)"
/* The triggers that keep the counters, with M the marks kept and INS, UPD
 * more statements for the insert and the update trigger (one trigger
 * each: a trigger's start costs more than a statement in it). */
#define TRIGGERS(M, INS, UPD)                                                                              \
    "CREATE TRIGGER stats_case_insert AFTER INSERT ON cases BEGIN"                                          \
    "  INSERT INTO stats_counts(area, dept_id, category, state, marks, n)"                                 \
    "   VALUES(new.area, coalesce(new.dept_id, 0), new.category, new.state, " M("new") ", 1)"              \
    "   ON CONFLICT(area, dept_id, category, state, marks) DO UPDATE SET n = n + 1;"                       \
    "  INSERT INTO stats_days(day, area, dept_id, created, closed)"                                        \
    "   VALUES(" DAY("new.created_at") ", new.area, coalesce(new.dept_id, 0), 1, 0)"                       \
    "   ON CONFLICT(day, area, dept_id) DO UPDATE SET created = created + 1;" INS                          \
    " END;"                                                                                                 \
    "CREATE TRIGGER stats_case_update AFTER UPDATE OF state, area, dept_id, category, flags, escalation ON cases" \
    " WHEN old.state IS NOT new.state OR old.area IS NOT new.area OR old.dept_id IS NOT new.dept_id"       \
    "  OR old.category IS NOT new.category OR " M("old") " <> " M("new") " BEGIN"                          \
    "  UPDATE stats_counts SET n = n - 1 WHERE area = old.area AND dept_id = coalesce(old.dept_id, 0)"     \
    "   AND category = old.category AND state = old.state AND marks = " M("old") ";"                       \
    "  INSERT INTO stats_counts(area, dept_id, category, state, marks, n)"                                 \
    "   VALUES(new.area, coalesce(new.dept_id, 0), new.category, new.state, " M("new") ", 1)"              \
    "   ON CONFLICT(area, dept_id, category, state, marks) DO UPDATE SET n = n + 1;"                       \
    "  UPDATE stats_days SET created = created - 1 WHERE day = " DAY("old.created_at") " AND area = old.area" \
    "   AND dept_id = coalesce(old.dept_id, 0) AND (old.area IS NOT new.area OR old.dept_id IS NOT new.dept_id);" \
    "  INSERT INTO stats_days(day, area, dept_id, created, closed)"                                        \
    "   SELECT " DAY("new.created_at") ", new.area, coalesce(new.dept_id, 0), 1, 0"                        \
    "   WHERE old.area IS NOT new.area OR old.dept_id IS NOT new.dept_id"                                  \
    "   ON CONFLICT(day, area, dept_id) DO UPDATE SET created = created + 1;"                              \
    "  INSERT INTO stats_days(day, area, dept_id, created, closed)"                                        \
    "   SELECT " DAY("new.updated_at") ", new.area, coalesce(new.dept_id, 0), 0, 1"                        \
    "   WHERE new.state = 'closed' AND old.state IS NOT 'closed'"                                          \
    "   ON CONFLICT(day, area, dept_id) DO UPDATE SET closed = closed + 1;" UPD                            \
    " END;"

/* The update trigger with one statement per table (migration 6): the
 * case's old counter -1 and its new one +1 as one upsert of up to three
 * rows (a row per change that applies), instead of an UPDATE and an
 * upsert each.  A trigger's statement costs about as much as its work
 * (~1.2 us each, bench_writer): 9 statements a counted update instead of
 * the 17 of migration 5's.  The old counter exists (the case was counted),
 * so its -1 row always meets its conflict. */
#define MOVE(T, COLS, TARGET, SET, ROWS) \
    "  INSERT INTO " T "(" COLS ") " ROWS " ON CONFLICT(" TARGET ") DO UPDATE SET " SET ";"
#define N_SET "n = n + excluded.n"
#define DAYS_SET "created = created + excluded.created, closed = closed + excluded.closed"
#define CLOSING "new.state = 'closed' AND old.state IS NOT 'closed'"
#define GRID_MOVED "(old.area IS NOT new.area OR old.dept_id IS NOT new.dept_id)"
#define COMM_MOVED "(" COMM("old") " IS NOT " COMM("new") ")"
#define DEPT_MOVED "(old.dept_id IS NOT new.dept_id)"
#define TRIGGERS_MOVE                                                                                      \
    "CREATE TRIGGER stats_case_insert AFTER INSERT ON cases BEGIN"                                          \
    "  INSERT INTO stats_counts(area, dept_id, category, state, marks, n)"                                 \
    "   VALUES(new.area, coalesce(new.dept_id, 0), new.category, new.state, " OPEN_MARKS("new") ", 1)"     \
    "   ON CONFLICT(area, dept_id, category, state, marks) DO UPDATE SET n = n + 1;"                       \
    "  INSERT INTO stats_days(day, area, dept_id, created, closed)"                                        \
    "   VALUES(" DAY("new.created_at") ", new.area, coalesce(new.dept_id, 0), 1, 0)"                       \
    "   ON CONFLICT(day, area, dept_id) DO UPDATE SET created = created + 1;"                              \
    COMM_INSERT DEPT_INSERT STREET_INSERT " END;"                                                          \
    "CREATE TRIGGER stats_case_update AFTER UPDATE OF state, area, dept_id, category, flags, escalation ON cases" \
    " WHEN old.state IS NOT new.state OR old.area IS NOT new.area OR old.dept_id IS NOT new.dept_id"       \
    "  OR old.category IS NOT new.category OR " OPEN_MARKS("old") " <> " OPEN_MARKS("new") " BEGIN"        \
    MOVE("stats_counts", "area, dept_id, category, state, marks, n", "area, dept_id, category, state, marks", N_SET, \
         "SELECT old.area, " D("old") ", old.category, old.state, " OPEN_MARKS("old") ", -1 WHERE 1"         \
         " UNION ALL SELECT new.area, " D("new") ", new.category, new.state, " OPEN_MARKS("new") ", 1 WHERE 1") \
    MOVE("stats_days", "day, area, dept_id, created, closed", "day, area, dept_id", DAYS_SET,              \
         "SELECT " DAY("old.created_at") ", old.area, " D("old") ", -1, 0 WHERE " GRID_MOVED                \
         " UNION ALL SELECT " DAY("new.created_at") ", new.area, " D("new") ", 1, 0 WHERE " GRID_MOVED      \
         " UNION ALL SELECT " DAY("new.updated_at") ", new.area, " D("new") ", 0, 1 WHERE " CLOSING)        \
    MOVE("stats_comm", "community, category, state, marks, n", "community, category, state, marks", N_SET, \
         "SELECT " COMM("old") ", old.category, old.state, " OPEN_MARKS("old") ", -1 WHERE 1"               \
         " UNION ALL SELECT " COMM("new") ", new.category, new.state, " OPEN_MARKS("new") ", 1 WHERE 1")    \
    MOVE("stats_comm_days", "day, community, created, closed", "day, community", DAYS_SET,                 \
         "SELECT " DAY("old.created_at") ", " COMM("old") ", -1, 0 WHERE " COMM_MOVED                       \
         " UNION ALL SELECT " DAY("new.created_at") ", " COMM("new") ", 1, 0 WHERE " COMM_MOVED             \
         " UNION ALL SELECT " DAY("new.updated_at") ", " COMM("new") ", 0, 1 WHERE " CLOSING)               \
    MOVE("stats_dept_cat", "dept_id, category, state, marks, n", "dept_id, category, state, marks", N_SET,  \
         "SELECT " D("old") ", old.category, old.state, " OPEN_MARKS("old") ", -1 WHERE " D("old") " <> 0"  \
         " UNION ALL SELECT " D("new") ", new.category, new.state, " OPEN_MARKS("new") ", 1 WHERE " D("new") " <> 0") \
    MOVE("stats_dept_comm", "dept_id, community, state, overdue, n", "dept_id, community, state, overdue", N_SET, \
         "SELECT " D("old") ", " COMM("old") ", old.state, " OPEN_MARKS("old") " & 1, -1 WHERE " D("old") " <> 0" \
         " UNION ALL SELECT " D("new") ", " COMM("new") ", new.state, " OPEN_MARKS("new") " & 1, 1 WHERE " D("new") " <> 0") \
    MOVE("stats_dept_days", "dept_id, day, created, closed", "dept_id, day", DAYS_SET,                     \
         "SELECT " D("old") ", " DAY("old.created_at") ", -1, 0 WHERE " D("old") " <> 0 AND " DEPT_MOVED   \
         " UNION ALL SELECT " D("new") ", " DAY("new.created_at") ", 1, 0 WHERE " D("new") " <> 0 AND " DEPT_MOVED \
         " UNION ALL SELECT " D("new") ", " DAY("new.updated_at") ", 0, 1 WHERE " D("new") " <> 0 AND " CLOSING) \
    MOVE("stats_comm_sm", "community, state, marks, n", "community, state, marks", N_SET,                  \
         "SELECT " COMM("old") ", old.state, " OPEN_MARKS("old") ", -1 WHERE " SM_MOVED                     \
         " UNION ALL SELECT " COMM("new") ", new.state, " OPEN_MARKS("new") ", 1 WHERE " SM_MOVED)          \
    MOVE("stats_street_cat", "street, category, state, n", "street, category, state", N_SET,               \
         "SELECT " STREET("old") ", old.category, old.state, -1 WHERE " CAT_MOVED                           \
         " UNION ALL SELECT " STREET("new") ", new.category, new.state, 1 WHERE " CAT_MOVED)                \
    " END;"

static const char *const stats_migrations[] = {
    /* 1: counters kept by triggers, filled from the cases and the log */
    "CREATE TABLE stats_counts(area TEXT NOT NULL, dept_id INTEGER NOT NULL, category TEXT NOT NULL,"
    "  state TEXT NOT NULL, marks INTEGER NOT NULL, n INTEGER NOT NULL,"
    "  PRIMARY KEY(area, dept_id, category, state, marks)) WITHOUT ROWID;"
    "CREATE TABLE stats_days(day INTEGER NOT NULL, area TEXT NOT NULL, dept_id INTEGER NOT NULL,"
    "  created INTEGER NOT NULL, closed INTEGER NOT NULL, PRIMARY KEY(day, area, dept_id)) WITHOUT ROWID;"
    TRIGGERS(MARKS, "", "") REBUILD_WITH(MARKS),
    /* 2: a finished case's row keeps no marks (OPEN_MARKS); counters per
     * community besides those per grid */
    "DROP TRIGGER stats_case_insert; DROP TRIGGER stats_case_update;" COMM_TABLES
        TRIGGERS(OPEN_MARKS, COMM_INSERT, COMM_UPDATE) REBUILD_WITH(OPEN_MARKS) REBUILD_COMM,
    /* 3: a department's counters and days by index (the upserts change n,
     * created and closed only: an entry is added when a combination is new) */
    "CREATE INDEX stats_counts_dept ON stats_counts(dept_id);"
    "CREATE INDEX stats_days_dept ON stats_days(dept_id, day);",
    /* 4: the grid counters and days keyed by department first: a
     * department's request reads its rows as one range of each table
     * instead of a seek into it per entry of stats_counts_dept and
     * stats_days_dept (at 3 M cases, bench-fill: 2,884 + 1,200 rows, 3.25
     * ms of server CPU per request, 4x its figure at 10 k); a grid's
     * request (no department) reads them by stats_counts_area and
     * stats_days_day.  The upserts' conflict targets name the same
     * columns.  The triggers name the tables: dropped and made again
     * around them. */
    "DROP TRIGGER stats_case_insert; DROP TRIGGER stats_case_update;"
    "DROP INDEX stats_counts_dept; DROP INDEX stats_days_dept;"
    "CREATE TABLE stats_days_new(day INTEGER NOT NULL, area TEXT NOT NULL, dept_id INTEGER NOT NULL,"
    "  created INTEGER NOT NULL, closed INTEGER NOT NULL, PRIMARY KEY(dept_id, day, area)) WITHOUT ROWID;"
    "INSERT INTO stats_days_new(day, area, dept_id, created, closed)"
    " SELECT day, area, dept_id, created, closed FROM stats_days;"
    "DROP TABLE stats_days; ALTER TABLE stats_days_new RENAME TO stats_days;"
    "CREATE INDEX stats_days_day ON stats_days(day, area);"
    "CREATE TABLE stats_counts_new(area TEXT NOT NULL, dept_id INTEGER NOT NULL, category TEXT NOT NULL,"
    "  state TEXT NOT NULL, marks INTEGER NOT NULL, n INTEGER NOT NULL,"
    "  PRIMARY KEY(dept_id, area, category, state, marks)) WITHOUT ROWID;"
    "INSERT INTO stats_counts_new(area, dept_id, category, state, marks, n)"
    " SELECT area, dept_id, category, state, marks, n FROM stats_counts;"
    "DROP TABLE stats_counts; ALTER TABLE stats_counts_new RENAME TO stats_counts;"
    "CREATE INDEX stats_counts_area ON stats_counts(area);"
    TRIGGERS(OPEN_MARKS, COMM_INSERT, COMM_UPDATE),
    /* 5: a department's counters without the area (DEPT_TABLES), filled
     * from the grid counters and kept by the same triggers */
    "DROP TRIGGER stats_case_insert; DROP TRIGGER stats_case_update;" DEPT_TABLES
        TRIGGERS(OPEN_MARKS, COMM_INSERT DEPT_INSERT, COMM_UPDATE DEPT_UPDATE) REBUILD_DEPT,
    /* 6: a street's counters (STREET_TABLES), filled from those per
     * community and kept by the same triggers, whose update moves a case
     * in one statement per table (TRIGGERS_MOVE) */
    "DROP TRIGGER stats_case_insert; DROP TRIGGER stats_case_update;" STREET_TABLES TRIGGERS_MOVE REBUILD_STREET,
};

const jc_schema schema_stats = {"stats", stats_migrations, (int)(sizeof stats_migrations / sizeof stats_migrations[0])};

static jc_err sq_rebuild(jc_conn *w) {
    return sq_exec(store_sqlite_db(w), "stats", REBUILD) == SQLITE_OK ? JC_OK : JC_ERR_DB;
}

/* stats_store_ops.add: upserts, as the triggers do (a finished case's
 * counter keeps marks 0: OPEN_MARKS). */
static jc_err sq_add(jc_conn *w, const stats_count *counts, size_t ncounts, const stats_day_add *days, size_t ndays) {
    static const char *const sql[9] = {
        "INSERT INTO stats_counts(area, dept_id, category, state, marks, n) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT(area, dept_id, category, state, marks) DO UPDATE SET n = n + excluded.n",
        "INSERT INTO stats_comm(community, category, state, marks, n) VALUES(substr(?1, 1, 12), ?3, ?4, ?5, ?6)"
        " ON CONFLICT(community, category, state, marks) DO UPDATE SET n = n + excluded.n",
        "INSERT INTO stats_days(day, area, dept_id, created, closed) VALUES(?3, ?1, ?2, ?4, ?5)"
        " ON CONFLICT(day, area, dept_id) DO UPDATE SET created = created + excluded.created,"
        " closed = closed + excluded.closed",
        "INSERT INTO stats_comm_days(day, community, created, closed) VALUES(?3, substr(?1, 1, 12), ?4, ?5)"
        " ON CONFLICT(day, community) DO UPDATE SET created = created + excluded.created,"
        " closed = closed + excluded.closed",
        /* a department's (DEPT_TABLES; none for department 0) */
        "INSERT INTO stats_dept_cat(dept_id, category, state, marks, n) VALUES(?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT(dept_id, category, state, marks) DO UPDATE SET n = n + excluded.n",
        "INSERT INTO stats_dept_comm(dept_id, community, state, overdue, n) VALUES(?2, substr(?1, 1, 12), ?4, ?5 & 1, ?6)"
        " ON CONFLICT(dept_id, community, state, overdue) DO UPDATE SET n = n + excluded.n",
        "INSERT INTO stats_dept_days(dept_id, day, created, closed) VALUES(?2, ?3, ?4, ?5)"
        " ON CONFLICT(dept_id, day) DO UPDATE SET created = created + excluded.created,"
        " closed = closed + excluded.closed",
        /* a street's or wider (STREET_TABLES) */
        "INSERT INTO stats_comm_sm(community, state, marks, n) VALUES(substr(?1, 1, 12), ?4, ?5, ?6)"
        " ON CONFLICT(community, state, marks) DO UPDATE SET n = n + excluded.n",
        "INSERT INTO stats_street_cat(street, category, state, n) VALUES(substr(?1, 1, 9), ?3, ?4, ?6)"
        " ON CONFLICT(street, category, state) DO UPDATE SET n = n + excluded.n",
    };
    static const int count_q[] = {0, 1, 7, 8, 4, 5}, day_q[] = {2, 3, 6};
    sqlite3 *db = store_sqlite_db(w);
    for (size_t i = 0; i < ncounts; i++) {
        const stats_count *c = &counts[i];
        int finished = !strcmp(c->state, "closed") || !strcmp(c->state, "rated") || !strcmp(c->state, "voided") ||
                       !strcmp(c->state, "merged");
        for (int i = 0; i < (c->dept_id ? 6 : 4); i++) {
            sqlite3_stmt *s = store_sqlite_prepare(w, sql[count_q[i]]);
            if (!s) return JC_ERR_DB;
            sqlite3_bind_text(s, 1, c->area, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, c->dept_id);
            sqlite3_bind_text(s, 3, c->category, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 4, c->state, -1, SQLITE_STATIC);
            sqlite3_bind_int(s, 5, finished ? 0 : c->marks);
            sqlite3_bind_int64(s, 6, c->n);
            jc_err e = sq_step_done(db, s, "stats", "add");
            if (e) return e;
        }
    }
    for (size_t i = 0; i < ndays; i++) {
        const stats_day_add *d = &days[i];
        for (int i = 0; i < (d->dept_id ? 3 : 2); i++) {
            sqlite3_stmt *s = store_sqlite_prepare(w, sql[day_q[i]]);
            if (!s) return JC_ERR_DB;
            sqlite3_bind_text(s, 1, d->area, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, d->dept_id);
            sqlite3_bind_int64(s, 3, d->day);
            sqlite3_bind_int64(s, 4, d->created);
            sqlite3_bind_int64(s, 5, d->closed);
            jc_err e = sq_step_done(db, s, "stats", "add");
            if (e) return e;
        }
    }
    return JC_OK;
}

/* Steps s calling fn for each (area, dept_id, category, state, marks, n,
 * created_day[, only]) row. */
static jc_err each_count(jc_conn *c, sqlite3_stmt *s, stats_count_fn fn, void *arg) {
    int rc, has_only = sqlite3_column_count(s) > 7;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        stats_count k = {sq_col_str(s, 0), sq_col_str(s, 2), sq_col_str(s, 3), sqlite3_column_int64(s, 1),
                         sqlite3_column_int(s, 4), sqlite3_column_int64(s, 5), sqlite3_column_int64(s, 6),
                         has_only ? sqlite3_column_int(s, 7) : 0};
        if (fn(&k, arg)) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "stats", "counts");
}

/* 1 when a scope (area prefix, dept) is read from the community counters:
 * no department and the area a community or wider. */
static int by_community(const char *area, int64_t dept) { return !dept && strlen(area) <= 12; }

static jc_err sq_counts(jc_conn *c, const char *area, int64_t dept, stats_count_fn fn, void *arg) {
    static const char grid[] = /* stats_counts_area */
        "SELECT area, dept_id, category, state, marks, n, 0 FROM stats_counts INDEXED BY stats_counts_area"
        " WHERE area >= ?1 AND area < ?1 || 'z' AND ?2 = 0 AND n > 0";
    static const char by_dept[] = /* the primary key's range */
        "SELECT area, dept_id, category, state, marks, n, 0 FROM stats_counts"
        " WHERE dept_id = ?2 AND area >= ?1 AND area < ?1 || 'z' AND n > 0";
    static const char comm[] =
        "SELECT community, 0, category, state, marks, n, 0 FROM stats_comm"
        " WHERE community >= ?1 AND community < ?1 || 'z' AND ?2 = 0 AND n > 0";
    /* a department's without an area: its rows per category and state, then
     * per community (STATS_ONLY_NO_COMM, STATS_ONLY_COMM) */
    static const char dept_all[] =
        "SELECT '', dept_id, category, state, marks, n, 0, 3 FROM stats_dept_cat WHERE dept_id = ?2 AND n > 0"
        " UNION ALL"
        " SELECT community, dept_id, '', state, overdue, n, 0, 4 FROM stats_dept_comm WHERE dept_id = ?2 AND n > 0";
    /* a street or wider: per community by state and marks (STATS_FIG_STATE |
     * STATS_FIG_COMM), per street by category and state (STATS_FIG_CAT) */
    static const char street[] =
        "SELECT community, 0, '', state, marks, n, 0, 5 FROM stats_comm_sm"
        " WHERE community >= ?1 AND community < ?1 || 'z' AND ?2 = 0 AND n > 0 UNION ALL"
        " SELECT street, 0, category, state, 0, n, 0, 2 FROM stats_street_cat"
        " WHERE street >= ?1 AND street < ?1 || 'z' AND ?2 = 0 AND n > 0";
    sqlite3_stmt *s = store_sqlite_prepare(c, dept                       ? (area[0] ? by_dept : dept_all)
                                              : !by_community(area, dept) ? grid
                                              : strlen(area) <= 9         ? street
                                                                          : comm);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, area, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, dept);
    return each_count(c, s, fn, arg);
}

#define DIRECT_COLS "area, coalesce(dept_id, 0), category, state, " MARKS("cases") ", 1, " DAY("created_at")

static jc_err sq_direct(jc_conn *c, int64_t reporter, stats_count_fn fn, void *arg) {
    static const char sql[] = "SELECT " DIRECT_COLS " FROM cases WHERE reporter_id = ?1";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, reporter);
    return each_count(c, s, fn, arg);
}

static jc_err each_day(jc_conn *c, sqlite3_stmt *s, void (*fn)(int64_t, int64_t, int64_t, void *), void *arg) {
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        fn(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2), arg);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "stats", "days");
}

static jc_err sq_days(jc_conn *c, const char *area, int64_t dept, int64_t d0, int64_t d1,
                        void (*fn)(int64_t day, int64_t created, int64_t closed, void *arg), void *arg) {
    static const char grid[] = /* stats_days_day */
        "SELECT day, sum(created), sum(closed) FROM stats_days INDEXED BY stats_days_day WHERE day >= ?2 AND day <= ?3"
        " AND area >= ?1 AND area < ?1 || 'z' AND ?4 = 0 GROUP BY day";
    static const char by_dept[] = /* the primary key's range */
        "SELECT day, sum(created), sum(closed) FROM stats_days WHERE dept_id = ?4 AND day >= ?2 AND day <= ?3"
        " AND area >= ?1 AND area < ?1 || 'z' GROUP BY day";
    static const char comm[] =
        "SELECT day, sum(created), sum(closed) FROM stats_comm_days WHERE day >= ?2 AND day <= ?3"
        " AND community >= ?1 AND community < ?1 || 'z' AND ?4 = 0 GROUP BY day";
    static const char dept_all[] = /* a department's without an area */
        "SELECT day, created, closed FROM stats_dept_days WHERE dept_id = ?4 AND day >= ?2 AND day <= ?3";
    sqlite3_stmt *s = store_sqlite_prepare(c, dept ? (area[0] ? by_dept : dept_all) : by_community(area, dept) ? comm : grid);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, area, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, d0);
    sqlite3_bind_int64(s, 3, d1);
    sqlite3_bind_int64(s, 4, dept);
    return each_day(c, s, fn, arg);
}

static jc_err sq_reporter_closed(jc_conn *c, int64_t reporter, int64_t d0, int64_t d1,
                                   void (*fn)(int64_t day, int64_t created, int64_t closed, void *arg),
                                   void *arg) {
    static const char sql[] =
        "SELECT " DAY("a.at") " AS d, 0, count(*) FROM cases c JOIN audit a ON a.case_id = c.id"
        " WHERE c.reporter_id = ?1 AND a.to_state = 'closed' AND a.from_state <> 'closed'"
        " AND d >= ?2 AND d <= ?3 GROUP BY d";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, reporter);
    sqlite3_bind_int64(s, 2, d0);
    sqlite3_bind_int64(s, 3, d1);
    return each_day(c, s, fn, arg);
}

static jc_err sq_names(jc_conn *c, void (*fn)(int area, const char *code, const char *name, void *arg), void *arg) {
    static const char sql[] =
        "SELECT 0, code, name FROM categories UNION ALL SELECT 1, code, name FROM areas WHERE level = 'community'";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) fn(sqlite3_column_int(s, 0), sq_col_str(s, 1), sq_col_str(s, 2), arg);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "stats", "names");
}

const stats_store_ops stats_store_sqlite = {
    .counts = sq_counts,
    .direct = sq_direct,
    .days = sq_days,
    .reporter_closed = sq_reporter_closed,
    .names = sq_names,
    .rebuild = sq_rebuild,
    .add = sq_add,
};
