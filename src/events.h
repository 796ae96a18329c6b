/*
 * events.h -- live updates for the browser: GET /api/v1/events is a
 * Server-Sent Events stream of what happens to the cases (and sensor alarms
 * and early warnings) the caller may see.
 *
 * The source of truth is the database: each serving thread that has
 * subscribers polls, twice a second, the audit log (committed entries
 * only, so an event is never sent for a write that was rolled back), the
 * alarms and the warnings, from where it last looked, and writes the new
 * ones to its subscribers.  A subscriber that cannot keep up gets its queue
 * capped and the stream closed; the browser's EventSource reconnects and
 * reloads.
 */
#ifndef JC_EVENTS_H
#define JC_EVENTS_H

#include "http.h"

typedef struct events_thread events_thread;

/* Per serving thread (caller owns; events_thread_free). db is the thread's
 * read connection. */
events_thread *events_thread_new(jc_conn *db);
void events_thread_free(events_thread *et);
/* Called after every turn of the thread's event loop: polls and sends. */
void events_tick(events_thread *et);
/* Starts the stream for r (authenticated); answers r itself. */
void events_subscribe(events_thread *et, jc_req *r);

/* Route handler: GET /api/v1/events (server.c finds the thread's state). */
void events_handler(jc_req *r);

#endif
