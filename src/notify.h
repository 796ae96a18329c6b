/*
 * notify.h -- notifications (module "notify"): the message centre of every
 * user and outbound webhooks (docs/notify.md).
 *
 * Notifications are produced from the audit log, like the live stream
 * (events.c) learns of every change: each second the ticker reads the audit
 * entries written since it last looked (a high-water mark kept in the same
 * transaction, so nothing is lost or produced twice across a crash), decides
 * who must hear of each (a department for a new dispatch, the grid worker for
 * a verification task, the dispatchers of the area for a return ...) and
 * stores one row per audience, plus one outbox row per matching webhook.
 * The live stream sends the new rows to the browsers they concern
 * ("event: notify"); a sender thread posts the outbox to the webhooks, signed
 * with HMAC-SHA256, retrying with exponential backoff.
 */
#ifndef JC_NOTIFY_H
#define JC_NOTIFY_H

#include "jc.h"
#include "model.h"
#include "notify_store.h"
#include "store.h"
#include "http.h"

/* Entries older than this (platform time) when first read produce nothing:
 * a database upgraded with a long history does not flood anyone. */
#define NOTIFY_MAX_AGE_MS (7LL * 24 * 3600 * 1000)
/* Audit entries read per tick at most (a burst is caught up over ticks). */
#define NOTIFY_TICK_LIMIT 5000
/* Webhook retries: 1 s after the first failure, doubling, at most 1 h
 * apart; a delivery fails for good after this many attempts. */
#define NOTIFY_RETRY_BASE_MS 1000
#define NOTIFY_RETRY_MAX_MS (3600LL * 1000)
#define NOTIFY_MAX_ATTEMPTS 20

/* The module's tick (module.h): produces the notifications of the
 * audit entries written since the last tick, and their outbox rows. */
jc_err notify_tick(jc_conn *w, int64_t now_ms) JC_MUST_CHECK;
/* Marks every audit entry written so far as produced: no notification is made
 * of them.  For a store whose history was written at once (jiceng bench-fill):
 * history is not news, and the producer would otherwise read the whole chain
 * again, 30,000 entries a tick (minutes of a core per million cases). */
jc_err notify_skip_history(jc_conn *w) JC_MUST_CHECK;

/* 1 when notification n is for user u (its audience, not u's own action). */
int notify_for_user(const notify_row *n, const jc_user *u);

/* 1 when kind is one of the notification kinds ("dispatched", ...). */
int notify_kind_known(const char *kind);
/* A one-line Simplified Chinese text of kind for an outbound message
 * (static; "" for an unknown kind). */
const char *notify_kind_text(const char *kind);

/* The wait before attempt `attempts + 1` after `attempts` failed ones. */
int64_t notify_retry_delay_ms(int attempts);

/* Starts the webhook sender thread on st (jiceng serve); JC_ERR_INTERNAL
 * when the thread cannot start.  notify_stop ends it (a no-op when not
 * started). */
jc_err notify_start(jc_store *st) JC_MUST_CHECK;
void notify_stop(void);

/* The routes of notify_webhook.c, named in the module's row (notify.c). */
extern const jc_route_table notify__webhook_routes;

#endif
