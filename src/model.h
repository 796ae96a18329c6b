/*
 * model.h -- the domain rows every module shares: users and roles, areas,
 * departments, categories, cases and audit entries.  Fixed-size fields have
 * caps that input validation enforces before a row is built; variable text
 * (title, body, address, reason, extra) is heap-owned by the row and released
 * with the row's _clear function.
 */
#ifndef JC_MODEL_H
#define JC_MODEL_H

#include "jc.h"

/* ---- roles -------------------------------------------------------------- */
typedef enum {
    ROLE_RESIDENT = 0,
    ROLE_GRID_WORKER,
    ROLE_COMMUNITY_STAFF,
    ROLE_DISPATCHER,
    ROLE_DEPT_STAFF,
    ROLE_SUPERVISOR,
    ROLE_ADMIN,
    ROLE_SYSTEM, /* the platform itself (sensors, timers); never a login */
    ROLE__COUNT
} jc_role;
#define ROLE_BIT(r) (1u << (r))
/* "resident", "grid_worker" ...; role_parse returns -1 when unknown. */
const char *role_name(jc_role r);
int role_parse(const char *s);

typedef struct {
    int64_t id;
    char name[64];    /* login name, unique */
    char display[64]; /* shown name */
    jc_role role;
    char area[24];    /* area scope (prefix), "" = none */
    int64_t dept_id;  /* for dept_staff, else 0 */
    char pw_hash[160];
    char phone[24];
    int64_t created_ms;
    int disabled;
} jc_user;

/* ---- areas, departments, categories ------------------------------------- */
typedef struct {
    char code[24];   /* GB/T 2260: district 6, street 9, community 12, grid 15 digits */
    char parent[24];
    char level[12];  /* district | street | community | grid */
    char name[128];
    char *geojson;   /* heap, may be NULL */
} jc_area;
void area_clear(jc_area *a);

typedef struct {
    int64_t id;
    char code[32];
    char name[128];
    char name_en[128];
} jc_dept;

typedef struct {
    char code[16];
    char name[64];
    char name_en[96];
    char parent[16];
    char kind[12];     /* component | event */
    char dept_code[32];/* default lead department */
    double accept_h, handle_h, verify_h; /* default time limits (hours) */
    int urgent;
    char *fields;      /* heap JSON array of extra field definitions, may be NULL */
} jc_category;
void category_clear(jc_category *k);

/* ---- cases -------------------------------------------------------------- */
typedef enum {
    ST_REPORTED = 0, /* 信息收集 */
    ST_REGISTERED,   /* 立案 */
    ST_DISPATCHED,   /* 派遣 */
    ST_ACCEPTED,     /* 签收 */
    ST_HANDLING,     /* 处置 */
    ST_FEEDBACK,     /* 反馈 (awaiting verification) */
    ST_VERIFIED,     /* 核查通过 */
    ST_CLOSED,       /* 结案 */
    ST_RATED,        /* 评价 */
    ST_RETURNED,     /* 退回 (to the dispatcher) */
    ST_SUSPENDED,    /* 挂账 */
    ST_DEFERRED,     /* 缓办 */
    ST_VOIDED,       /* 作废 */
    ST_MERGED,       /* 合并 into another case */
    ST__COUNT
} jc_state;
const char *state_name(jc_state s);
int state_parse(const char *s); /* -1 when unknown */

typedef struct {
    int64_t id;
    char *title, *body, *address, *extra; /* heap; extra is a JSON object */
    char category[16];
    char source[16];  /* web | api | open311 | sensor | patrol | hotline | warning */
    jc_state state;
    char area[24];    /* grid (or community/street when not located finer) */
    int has_point;
    double lon, lat;  /* WGS-84 */
    int64_t reporter_id;
    char phone[24];
    int64_t dept_id;  /* current owner department, 0 = none */
    int priority;
    int64_t deadline_ms; /* current phase deadline, 0 = none */
    jc_state held_from;  /* state to resume to from suspended/deferred */
    int64_t merged_into;
    int escalation;
    char rating[16];  /* satisfied | basic | unsatisfied | "" */
    int64_t created_ms, updated_ms;
    int64_t version;
    unsigned flags;      /* CASE_F_* */
    int64_t assignee_id; /* the person on it now (verifying grid worker ...), 0 none */
    /* 1: the row is not stored yet (id reserved): a report whose chained
     * registration stores it; store_case_update then inserts it */
    int unsaved;
} jc_case;
enum {
    CASE_F_OWNERLESS = 1, /* 无主: no responsibility-list entry matched */
    CASE_F_UNLOCATED = 2, /* the point lies outside every grid */
    CASE_F_OVERDUE = 4,   /* a phase ran past its deadline */
    CASE_F_REMINDED = 8,  /* 80 % of a phase's time has passed */
    CASE_F_WHISTLE = 16,  /* an open whistle (吹哨) */
    CASE_F_DUPLICATE = 32 /* a suggested duplicate waits for a decision */
};
void case_clear(jc_case *k);
/* A deep copy of a case row into out (its texts its own); JC_ERR_NOMEM (out
 * is then cleared). */
jc_err case_copy(const jc_case *k, jc_case *out) JC_MUST_CHECK;
/* The public case number, "JC20261127-123" (local date of creation). */
void case_number(const jc_case *k, char *out, size_t outsz);
/* Parses a public number or a bare id; JC_ERR_INVALID otherwise. */
jc_err case_number_parse(const char *s, int64_t *id) JC_MUST_CHECK;

/* ---- audit -------------------------------------------------------------- */
typedef struct {
    int64_t seq;
    int64_t case_id; /* 0 for entries about no case (users, catalogue) */
    int64_t at_ms;
    int64_t actor_id;
    char actor[64];
    char role[24];
    char action[24];
    char from_state[16], to_state[16];
    char *reason;    /* heap, may be NULL */
    char payload_hash[65];
    char state_hash[65]; /* hash of the case row after the action ("" if none) */
    char prev_hash[65];
    char hash[65];
} jc_audit;
void audit_clear(jc_audit *e);

#endif
