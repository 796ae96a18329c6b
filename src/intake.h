/*
 * intake.h -- the one intake of reports: every channel that opens a case
 * (the web and the API, a hotline call, a grid worker's patrol finding,
 * Open311, a sensor alarm, an early warning, the demo data) hands its report
 * to case_report() with its channel tag.  The intake validates it with one
 * set of rules and error codes, classifies it (the category's priority),
 * lets the case loop locate and merge duplicates (dispatch's hooks), writes
 * the audit entry, registers it at once where the channel says so, and
 * answers every channel with the same result.
 *
 * What stays in a channel is what only it has: parsing its own input (JSON,
 * an Open311 form and its service codes, a device's reading), and the rows
 * of its own module written beside the case (an Open311 token, an alarm).
 * How a new channel calls the intake: docs/hacking.md, "Reporting a case".
 */
#ifndef JC_INTAKE_H
#define JC_INTAKE_H

#include "jc.h"
#include "model.h"

typedef struct jc_conn jc_conn;
typedef struct json_t json_t;

/* The channels; a case's `source` is its channel's name. */
typedef enum {
    INTAKE_WEB,     /* "web": the web UI (the default) */
    INTAKE_API,     /* "api": a program of a resident's or staff's */
    INTAKE_HOTLINE, /* "hotline": a call taken by staff */
    INTAKE_PATROL,  /* "patrol": a grid worker's finding, registered at once */
    INTAKE_OPEN311, /* "open311": Open311 GeoReport v2 (src/open311.c) */
    INTAKE_SENSOR,  /* "sensor": an alarm that opens a case (src/sensor.c) */
    INTAKE_WARNING, /* "warning": an early warning made a case (src/warning.c) */
    INTAKE__COUNT
} intake_channel;

/* Limits of a report's fields, in characters (codes: ASCII bytes). */
#define INTAKE_TITLE_MAX 200
#define INTAKE_BODY_MAX 5000
#define INTAKE_ADDRESS_MAX 200
#define INTAKE_PHONE_MAX 20
#define INTAKE_CATEGORY_MAX 15
#define INTAKE_AREA_MAX 23

/* The channel's name ("web" ...), its case's source. */
const char *intake_channel_name(intake_channel ch);
/* The channel named s, or -1 when there is none. */
int intake_channel_parse(const char *s);

/* 1 when s is a code of the catalogue (a category's, an area's, a field's):
 * 1..max ASCII letters, digits or characters of extra; else 0. */
int intake_code_ok(const char *s, size_t max, const char *extra);

/* A report as its channel hands it in.  Texts are the channel's (copied by
 * case_report); NULL or "" for none. */
typedef struct {
    intake_channel channel;
    /* 1 when the reporter named the channel (a report's `source` over the
     * API): only the roles of the channel's table may (403 otherwise), and
     * the platform's channels (sensor, warning) then do not register at once */
    int named;
    const char *title, *body, *address, *phone, *category, *area;
    int has_point;
    double lon, lat; /* WGS-84 */
    const char *extra; /* JSON object text kept with the case (attributes, Open311's client) */
    unsigned flags;    /* CASE_F_* the channel knows (unlocated) */
    const char *payload_hash; /* the request body's, for the audit entry; NULL none */
} intake_report;

/* The answer of the intake, the same for every channel. */
typedef struct {
    jc_err err;          /* JC_OK, or why the report was refused / not stored */
    char field[24];      /* the field at fault ("" none) */
    char message[256];   /* English, for developers; may carry a reason code after
                          * REASON_DETAIL_SEP (src/reason.h), as http_reply_error sends it */
    int64_t case_id;     /* the case opened (its number: case_no) */
    char case_no[40];
    jc_state state;      /* as stored: reported, registered/dispatched when registered
                          * at once, merged when merged into an open case */
    int64_t merged_into; /* the open case it merged into, 0 none */
    int registered;      /* 1 when the intake registered it at once */
} intake_result;

/* Checks rp, reported by actor, against the intake's rules without writing
 * anything: the channel (and who may name it), title (required,
 * <= INTAKE_TITLE_MAX), body, address, phone (digits, + - ( ) and spaces,
 * three digits at least), the category and area codes, the point (both
 * coordinates, in range), a point or an area (the actor's own area when none
 * is given), and a staff member's area within their scope.  Any thread; it
 * reads nothing.  JC_OK, or JC_ERR_INVALID (400) / JC_ERR_DENIED (403) with
 * res->message (and res->field) saying why. */
jc_err intake_check(const jc_user *actor, const intake_report *rp, intake_result *res) JC_MUST_CHECK;

/* Checks a report's attributes (a JSON object, or NULL) against the fields
 * of its category, read on c: only the category's field codes, a number for
 * a number field, one of the choices for a choice field, text of at most 500
 * characters, every required field given.  On success *extra is the case's
 * extra JSON text ({"attributes":{...}}, malloc'd) or NULL when there are
 * none.  JC_ERR_INVALID with res->message; an unknown category without
 * attributes passes (case_report refuses it). */
jc_err intake_attributes(jc_conn *c, const char *category, json_t *attrs, char **extra,
                         intake_result *res) JC_MUST_CHECK;

/* Reports a case: intake_check, then on the writer (w, inside the caller's
 * job) the case and its audit entry (case_create: the category's priority,
 * locating, duplicate merge), registration at once where the channel says
 * so (a grid worker's or community staff's patrol finding: one audit entry
 * for the request; the platform's own sensor and warning reports), and
 * *res.  *k (zeroed by the caller) gets the row as stored, its texts its own
 * (case_clear it); on error it is cleared.  rp is not changed, so a job that
 * is run again calls this again with the same rp.  Errors: those of
 * intake_check, JC_ERR_INVALID for an unknown category or area, another
 * error when the store failed (the job must then fail). */
jc_err case_report(jc_conn *w, const jc_user *actor, const intake_report *rp, jc_case *k,
                   intake_result *res) JC_MUST_CHECK;

#endif
