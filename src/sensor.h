/*
 * sensor.h -- IoT perception (module "sensor"): the device registry,
 * ingestion of readings (MQTT and HTTP), alarm rules and the alarm lifecycle
 * (active -> acknowledged -> cleared), grouping of alarms into cases,
 * silences, and retention of readings.  docs/sensors.md is the user's guide.
 *
 * Files: sensor.c (payload parsing, counters, HTTP routes, CLI),
 * sensor_sqlite.c (tables and everything that runs on the writer),
 * mqtt.c (the libmosquitto client), alarm.c (pure rule evaluation).
 */
#ifndef JC_SENSOR_H
#define JC_SENSOR_H

#include "jc.h"
#include "store.h"

/* Starts the MQTT client: connects to url ("mqtt://host[:port]"), subscribes
 * with QoS 1 to jiceng/v1/readings/# and jiceng/v1/heartbeat/+ (prefixed
 * "$share/<share_group>/" when share_group is not NULL), persistent session
 * (clean_session false) under client_id (NULL: "jiceng-<hostname>"),
 * reconnects by itself.  Readings go to st's writer in batches.
 * JC_ERR_INVALID for a bad url; JC_ERR_IO when the client cannot start. */
jc_err sensor_mqtt_start(jc_store *st, const char *url, const char *share_group,
                         const char *client_id) JC_MUST_CHECK;
/* Disconnects and waits for the readings already received to be handed to
 * the writer.  Call before store_close().  A no-op when not started. */
void sensor_mqtt_stop(void);

/* The module's tick (module.h): offline and inactivity alarms found from the
 * database, retention trims.  Does nothing when JICENG_SENSOR_MANUAL_TICK=1
 * (tests drive it through POST /api/v1/sensor/tick instead). */
jc_err sensor_tick(jc_conn *w, int64_t now_ms) JC_MUST_CHECK;

/* The alarms not cleared whose grid starts with prefix ("" any) into *n
 * (the dashboard, stats.c). */
jc_err sensor_alarms_active(jc_conn *c, const char *prefix, int64_t *n) JC_MUST_CHECK;

#endif
