/*
 * sensor_seen_pg.c -- the PostgreSQL half of two operations of
 * sensor_store.h, seen and seen_trim: the keys (device, ts, kind) of the MQTT
 * readings received in the last SENSOR_SEEN_MS, so that a message the broker
 * sends again after a crash between commit and PUBACK is counted once
 * (src/mqtt.c; sensor_sqlite.c's db_seen is the SQLite twin).  Kept apart
 * from sensor_pg.c, written on another branch at the same time: joining the
 * two is adding `.seen = sensor_pg_seen, .seen_trim = sensor_pg_seen_trim`
 * to sensor_store_pg and sensor_seen_pg_migration as the next entry of
 * sensor_pg_migrations.
 *
 * Several instances: a message redelivered to another instance of a $share
 * group meets the first one's key at the primary key; ON CONFLICT DO
 * NOTHING makes it a duplicate there too (the reading job holds the
 * module's advisory lock, so the first instance's key is committed or its
 * job has not started).
 */
#include "sensor_store.h"

#include "store_pg.h"

#define TAG "sensor"

const char sensor_seen_pg_migration[] =
    "CREATE TABLE sensor_seen(device text COLLATE \"C\" NOT NULL, at bigint NOT NULL, kind integer NOT NULL,"
    "  seen_at bigint NOT NULL, PRIMARY KEY(device, at, kind));"
    "CREATE INDEX sensor_seen_at ON sensor_seen(seen_at);";

jc_err sensor_pg_seen(jc_conn *w, const char *device, int64_t at, int kind, int64_t now, int *fresh) {
    static const char sql[] = "INSERT INTO sensor_seen(device, at, kind, seen_at) VALUES($1, $2, $3, $4)"
                              " ON CONFLICT (device, at, kind) DO NOTHING";
    pg_params p = {0};
    pgp_text(&p, device);
    pgp_i64(&p, at);
    pgp_i64(&p, kind);
    pgp_i64(&p, now);
    int64_t n = 0;
    jc_err e = pg_run_done(w, sql, &p, TAG, "seen", &n);
    *fresh = !e && n > 0;
    return e;
}

jc_err sensor_pg_seen_trim(jc_conn *w, int64_t before) {
    static const char sql[] = "DELETE FROM sensor_seen WHERE seen_at < $1";
    pg_params p = {0};
    pgp_i64(&p, before);
    return pg_run_done(w, sql, &p, TAG, "seen trim", NULL);
}
