/*
 * sensor_alarm.c -- the sensor module's decisions on the writer: which
 * readings make an alarm (the rules in force for a device, their
 * evaluation: src/alarm.c), the alarm lifecycle (raise, repeat, clear on a
 * reading or on coming back online, ack and clear by staff), what a silence
 * suppresses, grouping the alarms of one grid and category into one case
 * and opening it through the intake, and the ticker's offline and
 * inactivity scans.  Rows go through src/sensor_store.h (the backend's table:
 * sensor_sqlite.c, sensor_pg.c).
 *
 *  - Everything here runs on the single writer thread inside the writer's
 *    transaction; the cache of enabled rules is the store's own
 *    (store_writer_state, asserted to run on its writer), reached at every
 *    entry through state_enter(w); it is loaded on first use and dropped by
 *    sensor__rules_changed() (on PostgreSQL, read at every job: rules_load).
 *  - One open alarm per (device, rule) (a partial unique index): a repeat
 *    bumps count and last_at.
 */
#include "sensor_store.h"

#include "auth.h"
#include "case.h"
#include "intake.h"
#include "reason.h"
#include "store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rules in force ---------------------------------------------------------- */

/* The writer's cache of enabled rules and the tick's last inactivity scan:
 * one per store, kept on its writer; state_enter points the writer
 * thread's RC at its store's at every entry. */
typedef struct {
    alarm_rule *v;
    size_t n;
    int loaded;
    int64_t last_inactivity_scan;
} rule_cache;
static _Thread_local rule_cache *RC;
static const char rc_key;

static void rc_free(void *p) { free(((rule_cache *)p)->v); }

void sensor__rules_changed(void) {
    if (RC) RC->loaded = 0; /* none yet on this thread: nothing was loaded */
}

static jc_err state_enter(jc_conn *w) {
    RC = store_writer_state(w, &rc_key, sizeof *RC, rc_free);
    return RC ? JC_OK : JC_ERR_NOMEM;
}

/* Loaded once and kept while no rule changes on this writer; where the
 * store keeps nothing across batches (store_epoch 0: PostgreSQL, where
 * another instance may change a rule) read again at every job. */
static jc_err rules_load(jc_conn *w) {
    if (RC->loaded && store_epoch(w) != 0) return JC_OK;
    alarm_rule *v;
    size_t n;
    jc_err e = sensor_db_rules(w, &v, &n);
    if (e) return e;
    free(RC->v);
    RC->v = v, RC->n = n, RC->loaded = 1;
    return JC_OK;
}

/* The rules in force for a device: its own overrides, then the type's rules
 * not overridden (same kind and metric).  Pointers into the cache. */
static size_t dev_rules(const char *type, const char *id, const alarm_rule **out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < RC->n && n < max; i++)
        if (!strcmp(RC->v[i].type, type) && !strcmp(RC->v[i].device, id)) out[n++] = &RC->v[i];
    size_t own = n;
    for (size_t i = 0; i < RC->n && n < max; i++) {
        const alarm_rule *r = &RC->v[i];
        if (r->device[0] || strcmp(r->type, type)) continue;
        int over = 0;
        for (size_t j = 0; j < own; j++)
            if (out[j]->kind == r->kind && !strcmp(out[j]->metric, r->metric)) over = 1;
        if (!over) out[n++] = r;
    }
    return n;
}

static sensor_open_alarm *find_open(sensor_open_alarm *v, int n, int64_t rule_id) {
    for (int i = 0; i < n; i++)
        if (v[i].rule_id == rule_id) return &v[i];
    return NULL;
}

/* ---- words a person reads ------------------------------------------------------- */

static const char *severity_zh(alarm_severity s) {
    static const char *const m[] = {"提示", "一般", "重要", "紧急"};
    return (unsigned)s < JC_ARRAY_LEN(m) ? m[s] : "";
}

static const char *kind_zh(alarm_kind k) {
    static const char *const m[] = {"超过阈值", "变化过快", "长时间无活动", "设备离线", "电量低"};
    return (unsigned)k < JC_ARRAY_LEN(m) ? m[k] : "";
}

static const char *metric_zh(const char *metric) {
    static const char *const m[][2] = {{"smoke", "烟雾"},   {"gas", "燃气浓度"},     {"level", "水位"},
                                       {"tilt", "倾斜角"},  {"door", "门磁"},        {"db", "噪声"},
                                       {"current", "电流"}, {"battery", "电量"},     {"temperature", "温度"}};
    for (size_t i = 0; i < JC_ARRAY_LEN(m); i++)
        if (!strcmp(m[i][0], metric)) return m[i][1];
    return metric[0] ? "读数" : "最后在线";
}

/* A reading as a person reads it: at most two decimals, no trailing zeros
 * (21.7186 -> "21.72", 3.50 -> "3.5"); hours of inactivity with one. */
static void reading_fmt(char *out, size_t n, alarm_kind kind, double v) {
    snprintf(out, n, kind == AK_INACTIVITY ? "%.1f" : "%.2f", v);
    char *dot = strchr(out, '.');
    if (!dot) return;
    char *end = out + strlen(out);
    while (end > dot + 1 && end[-1] == '0') *--end = 0;
    if (end == dot + 1) *dot = 0;
    if (!strcmp(out, "-0")) snprintf(out, n, "0");
}

static const char *type_zh(const char *type) {
    static const char *const m[][2] = {{"smoke", "烟感"}, {"gas", "燃气"}, {"water_level", "积水"},
                                       {"manhole_tilt", "井盖"}, {"door_contact", "门磁"},
                                       {"ebike_charging", "电动车充电"}, {"noise", "噪声"}, {"generic", "传感器"}};
    for (size_t i = 0; i < JC_ARRAY_LEN(m); i++)
        if (!strcmp(m[i][0], type)) return m[i][1];
    return type;
}

/* ---- the lifecycle ---------------------------------------------------------------- */

/* Records an alarm's ack or clear on its case (if any). */
static jc_err note_on_case(jc_conn *w, int64_t case_id, const char *action, const char *reason) {
    if (!case_id) return JC_OK;
    jc_case k;
    jc_err e = store_case_get(w, case_id, &k);
    if (e == JC_ERR_NOTFOUND) return JC_OK;
    if (e) return e;
    jc_user sys;
    auth_system_actor(&sys, "sensors");
    e = case_audit_note(w, &sys, &k, action, reason);
    case_clear(&k);
    return e;
}

/* Clears alarm id (of case case_id) and says so on the case. */
static jc_err alarm_clear(jc_conn *w, int64_t id, int64_t case_id, const char *by, const char *reason, int64_t at) {
    jc_err e = sensor_db_alarm_clear(w, id, by, reason, at);
    return e ? e : note_on_case(w, case_id, "alarm_cleared", reason);
}

/* Opens the case of a new alarm, or joins a recent open case of the same grid
 * and category.  Opened in a savepoint of its own: a failure leaves the
 * alarm without a case (logged) instead of losing the batch. */
static int64_t alarm_case(jc_conn *w, const sensor_device *d, const alarm_rule *r, int64_t alarm_id, double value,
                          int64_t at, int *opened) {
    const char *cat = alarm_case_category(r);
    if (!r->opens_case || !cat[0]) return 0;
    int64_t window = sensor_db_setting(w, "group_window_s", 600) * 1000;
    int64_t case_id = sensor_db_grid_case(w, d->grid, cat, at - window, at + window);
    char why[400];
    jc_user sys;
    auth_system_actor(&sys, "sensors");
    if (case_id) {
        jc_case k;
        if (store_case_get(w, case_id, &k) == JC_OK) {
            int open = k.state != ST_CLOSED && k.state != ST_RATED && k.state != ST_VOIDED && k.state != ST_MERGED;
            if (open) {
                char v[32];
                reading_fmt(v, sizeof v, r->kind, value);
                reason_buf b;
                reason_begin(&b, why, sizeof why, "alarm_grouped");
                reason_int(&b, "alarm", alarm_id);
                reason_str(&b, "device", d->label[0] ? d->label : d->id);
                reason_str(&b, "metric", r->metric[0] ? r->metric : alarm_kind_name(r->kind));
                reason_str(&b, "value", v);
                reason_end(&b);
                jc_err e = case_audit_note(w, &sys, &k, "alarm_grouped", why);
                case_clear(&k);
                return e ? 0 : case_id;
            }
            case_clear(&k);
        }
    }
    if (sensor_db_case_begin(w)) return 0;
    char title[200], body[600], ts[40];
    jc_fmt_local(at, ts, sizeof ts);
    /* in Chinese, the device by its label (its number in the body) */
    /* a title and a device name: a long label is cut on a character boundary */
    jc_fmt_cut(title, sizeof title, "%s报警：%s（%s）", type_zh(d->type), r->name, d->label[0] ? d->label : d->id);
    char dev[200];
    if (d->label[0]) jc_fmt_cut(dev, sizeof dev, "%s（编号 %s）", d->label, d->id);
    else jc_fmt_cut(dev, sizeof dev, "编号 %s", d->id);
    /* the reading as a person reads it: two decimals at most; a silence in whole hours */
    char vtxt[64];
    if (r->kind == AK_INACTIVITY) snprintf(vtxt, sizeof vtxt, "%.0f 小时", value);
    else reading_fmt(vtxt, sizeof vtxt, r->kind, value);
    snprintf(body, sizeof body, "%s级%s告警：设备 %s 于 %s 触发规则「%s」（%s，%s %s）。%s%s",
             severity_zh(r->severity), type_zh(d->type), dev, ts, r->name, kind_zh(r->kind), metric_zh(r->metric),
             vtxt, d->person_label[0] ? "服务对象：" : "", d->person_label);
    /* through the one intake: registered at once by the platform (the sensor channel) */
    intake_report rp = {.channel = INTAKE_SENSOR, .title = title, .body = body, .category = cat, .area = d->grid,
                        .has_point = d->has_point, .lon = d->lon, .lat = d->lat};
    intake_result res;
    jc_case k = {0};
    jc_err e = case_report(w, &sys, &rp, &k, &res);
    if (e) {
        jc_log(JC_LOG_WARN, "sensor: alarm %lld: cannot open a case: %s %s", (long long)alarm_id,
               jc_err_code(e), res.message);
        sensor_db_case_undo(w);
        return 0;
    }
    case_clear(&k);
    sensor_db_case_keep(w);
    *opened = 1;
    return res.case_id;
}

typedef struct {
    uint64_t raised, repeats, suppressed, cases, dups;
} tally;

/* Raises (or repeats) the alarm of rule r on device d (m: its memory),
 * unless a silence covers it. */
static jc_err raise_alarm(jc_conn *w, sensor_dev *m, const sensor_device *d, const alarm_rule *r,
                          sensor_open_alarm *open, double value, int64_t at, tally *t, int *case_opened) {
    int64_t sil = sensor_db_silence_at(w, d, at);
    if (sil) {
        if (sensor_db_silence_count(w, sil)) { /* a count: its failure is logged (run), not the batch's */
        }
        t->suppressed++;
        return JC_OK;
    }
    jc_err e;
    if (open) {
        t->repeats++;
        if ((e = sensor_db_alarm_repeat(w, open->id, at, value))) return e;
        return sensor_db_keep_around(w, m, at);
    }
    int64_t id;
    int fresh = 1;
    if ((e = sensor_db_alarm_insert(w, m, d, r, r->opens_case ? alarm_case_category(r) : "", value, at, &id, &fresh)))
        return e;
    if (!fresh) { /* another instance raised it meanwhile: this is a repeat (its case is that one's) */
        t->repeats++;
        return sensor_db_keep_around(w, m, at);
    }
    t->raised++;
    jc_log(JC_LOG_INFO, "sensor: alarm %lld %s %s on %s (%g)", (long long)id, alarm_severity_name(r->severity),
           r->name, d->id, value);
    int opened = 0;
    int64_t case_id = alarm_case(w, d, r, id, value, at, &opened);
    if (case_id) {
        if ((e = sensor_db_alarm_case(w, id, case_id))) return e;
        if (opened) t->cases++;
        *case_opened = 1; /* opened or joined: the alarm has its case */
    }
    return sensor_db_keep_around(w, m, at);
}

/* ---- ingestion --------------------------------------------------------------------- */

/* The full device row, read once per reading and only when an alarm needs it. */
typedef struct {
    sensor_device d;
    int have;
} full_dev;

static jc_err need_full(jc_conn *w, const sensor_dev *m, full_dev *f) {
    if (f->have) return JC_OK;
    jc_err e = sensor_db_device_row(w, m->id, &f->d);
    if (!e) f->have = 1;
    return e;
}

/* Stores and evaluates one reading: validation first (nothing is written for
 * a refused reading), then the device's memory, the reading, and the rules.
 * Alarms and their cases are written here, in the reading's transaction;
 * aggregates and device rows at the end of the job (sensor_db_flush). */
/* Stores and evaluates one reading; with once, a reading with its own time
 * already stored (its key seen) is skipped: *dup set, nothing else written. */
static jc_err ingest_one(jc_conn *w, sensor_reading *rd, tally *t, int once, int *dup) {
    sensor_dev *m;
    jc_err e = sensor_db_dev(w, rd->device, &m);
    if (e == JC_ERR_NOTFOUND) {
        sensor__reject(REJ_UNKNOWN_DEVICE, rd->device, "not registered");
        return JC_ERR_NOTFOUND;
    }
    if (e) return e;
    int mi[SENSOR_MAX_VALUES];
    for (int i = 0; i < rd->n; i++) {
        char why[96];
        sensor_dev_metric *dm = NULL;
        if (!alarm_metric_known(m->type, rd->metric[i])) {
            snprintf(why, sizeof why, "metric '%s' unknown for type %s", rd->metric[i], m->type);
            sensor__reject(REJ_OUT_OF_RANGE, rd->device, why);
            return JC_ERR_INVALID;
        }
        if (!(dm = sensor_db_dev_metric(w, m, rd->metric[i], 1))) {
            snprintf(why, sizeof why, "more than %d metrics on one device", SENSOR_DEV_MAX_METRICS);
            sensor__reject(REJ_TOO_LARGE, rd->device, why);
            return JC_ERR_INVALID;
        }
        mi[i] = (int)(dm - m->m);
    }
    if (once && rd->own_ts) {
        int fresh = 0;
        if ((e = sensor_db_seen(w, rd->device, rd->at, rd->heartbeat ? 1 : 0, jc_real_ms(), &fresh))) return e;
        if (!fresh) {
            t->dups++;
            *dup = 1;
            return JC_OK;
        }
    }
    const alarm_rule *rs[64];
    size_t nr = dev_rules(m->type, m->id, rs, JC_ARRAY_LEN(rs));
    sensor_open_alarm oa[SENSOR_MAX_OPEN];
    int no = sensor_db_open_alarms(w, m, oa);
    full_dev full = {.have = 0};
    if ((e = sensor_db_dev_dirty(w, m))) return e;
    if (rd->at > m->last_seen) m->last_seen = rd->at;
    m->online = 1;
    for (int i = 0; i < rd->n; i++)
        if (!strcmp(rd->metric[i], "battery")) m->battery = rd->value[i], m->has_battery = 1;
    for (size_t i = 0; i < nr; i++) {
        if (rs[i]->kind != AK_OFFLINE) continue;
        m->offline_due = m->last_seen + (int64_t)(rs[i]->k * (double)m->heartbeat_s * 1000.0);
        sensor_open_alarm *o = find_open(oa, no, rs[i]->id);
        if (o && (e = alarm_clear(w, o->id, o->case_id, "sensors", "device back online", rd->at))) return e;
        if (o) o->rule_id = -1;
    }
    for (int i = 0; i < rd->n; i++) {
        sensor_dev_metric *dm = &m->m[mi[i]];
        const char *mn = dm->name;
        double v = rd->value[i];
        if ((e = sensor_db_reading(w, m, mi[i], rd->at, v))) return e;
        int watched = 0;
        for (size_t j = 0; j < nr; j++)
            if ((rs[j]->kind == AK_RATE || rs[j]->kind == AK_INACTIVITY) && !strcmp(rs[j]->metric, mn)) watched = 1;
        int has_prev = dm->has_value;
        double prev = dm->value;
        int64_t prev_at = dm->at;
        if (!dm->has_value || rd->at >= dm->at) dm->value = v, dm->at = rd->at;
        dm->has_value = 1;
        if (v != 0 && rd->at > dm->active_at) dm->active_at = rd->at;
        if (watched) dm->dirty_state = 1;
        for (size_t j = 0; j < nr; j++) {
            const alarm_rule *r = rs[j];
            if (r->kind == AK_OFFLINE || strcmp(r->metric, mn)) continue;
            sensor_open_alarm *o = find_open(oa, no, r->id);
            alarm_eval ev = alarm_eval_reading(r, o != NULL, v, has_prev, prev, prev_at, rd->at);
            if (ev == ALARM_RAISE) {
                if ((e = need_full(w, m, &full))) return e;
                if ((e = raise_alarm(w, m, &full.d, r, o, v, rd->at, t, &rd->case_opened))) return e;
                if (!o) no = sensor_db_open_alarms(w, m, oa); /* pick up the new one */
            } else if (ev == ALARM_CLEAR && o) {
                char why[160], vs[32];
                reading_fmt(vs, sizeof vs, r->kind, v);
                reason_buf b;
                reason_begin(&b, why, sizeof why, "alarm_cleared");
                reason_int(&b, "alarm", o->id);
                reason_str(&b, "metric", mn);
                reason_str(&b, "value", vs);
                reason_str(&b, "why", r->kind == AK_INACTIVITY ? "activity" : "normal");
                reason_end(&b);
                if ((e = alarm_clear(w, o->id, o->case_id, "sensors", why, rd->at))) return e;
                o->rule_id = -1;
                if ((e = sensor_db_keep_around(w, m, rd->at))) return e;
            }
        }
    }
    return JC_OK;
}

static jc_err ingest(jc_conn *w, sensor_reading *rs, size_t n, size_t *accepted, int once, size_t *dups) {
    jc_err e = state_enter(w);
    if (e || (e = sensor_db_enter(w))) return e;
    e = rules_load(w);
    if (!e) e = sensor_db_prefetch(w, rs, n);
    tally t = {0};
    size_t ok = 0;
    for (size_t i = 0; i < n && !e; i++) {
        int dup = 0;
        jc_err r = ingest_one(w, &rs[i], &t, once, &dup);
        if (r == JC_ERR_NOTFOUND || r == JC_ERR_INVALID || dup) rs[i].case_opened = 0; /* nothing written */
        else if (r) e = r;
        else ok++;
    }
    if (!e) e = sensor_db_flush(w);
    if ((e = sensor_db_leave(w, e))) {
        /* the job rolls back: so does what it counted */
        for (size_t i = 0; i < n; i++) rs[i].case_opened = 0;
        ok = 0, t = (tally){0};
    }
    sensor__count(ok, t.raised, t.repeats, t.suppressed, t.cases);
    sensor__count_dups(t.dups);
    if (accepted) *accepted = ok;
    if (dups) *dups = (size_t)t.dups;
    return e;
}

jc_err sensor__ingest(jc_conn *w, sensor_reading *rs, size_t n, size_t *accepted) {
    return ingest(w, rs, n, accepted, 0, NULL);
}

jc_err sensor__ingest_once(jc_conn *w, sensor_reading *rs, size_t n, size_t *accepted, size_t *dups) {
    return ingest(w, rs, n, accepted, 1, dups);
}

/* ---- staff: ack and clear ---------------------------------------------------------------- */

jc_err sensor__alarm_act(jc_conn *w, const jc_user *actor, int64_t id, int clear, const char *reason,
                         int64_t now) {
    jc_err e = sensor_db_enter(w);
    if (e) return e;
    char state[16], grid[24];
    int64_t case_id;
    e = sensor_db_alarm_row(w, id, state, &case_id, grid);
    if (!e && actor->area[0] && strncmp(grid, actor->area, strlen(actor->area))) e = JC_ERR_NOTFOUND;
    if (!e && !strcmp(state, "cleared")) e = JC_ERR_CONFLICT;
    if (!e && clear) {
        char why[1200];
        reason_buf b;
        reason_begin(&b, why, sizeof why, "alarm_cleared");
        reason_int(&b, "alarm", id);
        reason_str(&b, "why", "staff");
        if (reason && *reason) reason_str(&b, "note", reason);
        e = alarm_clear(w, id, case_id, actor->name, reason_end(&b), now);
    } else if (!e) {
        if (strcmp(state, "active")) e = JC_ERR_CONFLICT;
        if (!e) e = sensor_db_alarm_ack(w, id, actor->name, now);
        char why[80];
        reason_buf b;
        reason_begin(&b, why, sizeof why, "alarm_acked");
        reason_int(&b, "alarm", id);
        if (!e) e = note_on_case(w, case_id, "alarm_acked", reason_end(&b));
    }
    /* the devices' memory is not changed here (a rollback of the job is
     * caught by the store) */
    (void)sensor_db_leave(w, JC_OK);
    return e;
}

/* ---- the tick -------------------------------------------------------------------------- */

/* Offline: devices whose stored offline_due has passed, checked against the
 * devices' memory (the stored last_seen may lag). */
static jc_err tick_offline(jc_conn *w, int64_t now, tally *t, int *n_out) {
    char ids[500][64];
    int n = 0, went = 0;
    jc_err e = sensor_db_offline_due(w, now, ids, 500, &n);
    if (e) return e;
    for (int i = 0; i < n; i++) {
        sensor_dev *m;
        e = sensor_db_dev(w, ids[i], &m);
        if (e == JC_ERR_NOTFOUND) continue;
        if (e || (e = sensor_db_dev_dirty(w, m))) return e;
        m->rewrite = 1;
        if (!m->online || m->offline_due > now) continue; /* the stored row was behind */
        full_dev full = {.have = 0};
        if ((e = need_full(w, m, &full))) return e;
        const alarm_rule *rs[64];
        size_t nr = dev_rules(m->type, m->id, rs, JC_ARRAY_LEN(rs));
        sensor_open_alarm oa[SENSOR_MAX_OPEN];
        int no = sensor_db_open_alarms(w, m, oa);
        for (size_t j = 0; j < nr; j++) {
            if (rs[j]->kind != AK_OFFLINE) continue;
            sensor_open_alarm *o = find_open(oa, no, rs[j]->id);
            if (alarm_eval_offline(rs[j], o != NULL, m->last_seen, m->heartbeat_s, now) == ALARM_RAISE) {
                int dummy = 0;
                e = raise_alarm(w, m, &full.d, rs[j], NULL, (double)(now - m->last_seen) / 1000.0, now, t, &dummy);
                if (e) return e;
            }
        }
        m->online = 0;
        went++;
    }
    *n_out = went;
    return JC_OK;
}

/* Devices an inactivity rule raises on (collected before raising). */
typedef struct {
    const alarm_rule *r;
    int64_t now;
    struct hit { char id[64]; int64_t last; } *v;
    size_t n, cap;
    jc_err e;
} hits;

static int hit_cb(const char *id, int64_t last, void *arg) {
    hits *h = arg;
    if (alarm_eval_inactivity(h->r, 0, last, h->now) != ALARM_RAISE) return 0;
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 16;
        struct hit *nv = realloc(h->v, cap * sizeof *nv);
        if (!nv) return h->e = JC_ERR_NOMEM, 1;
        h->v = nv, h->cap = cap;
    }
    snprintf(h->v[h->n].id, sizeof h->v[h->n].id, "%s", id);
    h->v[h->n++].last = last;
    return 0;
}

static jc_err tick_inactivity(jc_conn *w, int64_t now, tally *t) {
    for (size_t i = 0; i < RC->n; i++) {
        const alarm_rule r = RC->v[i];
        if (r.kind != AK_INACTIVITY) continue;
        hits h = {.r = &r, .now = now};
        jc_err e = sensor_db_activity(w, &r, hit_cb, &h);
        if (!e) e = h.e;
        for (size_t j = 0; j < h.n && !e; j++) {
            sensor_dev *m;
            full_dev full = {.have = 0};
            if (sensor_db_dev(w, h.v[j].id, &m) || need_full(w, m, &full)) continue;
            /* A device-level override of this rule wins over the type rule. */
            const alarm_rule *rs[64];
            size_t nr = dev_rules(m->type, m->id, rs, JC_ARRAY_LEN(rs)), k;
            for (k = 0; k < nr && rs[k]->id != r.id; k++) {}
            if (k == nr) continue;
            int dummy = 0;
            e = raise_alarm(w, m, &full.d, &RC->v[i], NULL, (double)(now - h.v[j].last) / 3600000.0, now, t, &dummy);
        }
        free(h.v);
        if (e) return e;
    }
    return JC_OK;
}

jc_err sensor__tick(jc_conn *w, int64_t now, int force, json_t *report) {
    jc_err e = state_enter(w);
    if (e || (e = sensor_db_enter(w))) return e;
    tally t = {0};
    int offline = 0;
    e = rules_load(w);
    if (!e) e = tick_offline(w, now, &t, &offline);
    int64_t every = sensor_db_setting(w, "inactivity_scan_s", 30) * 1000;
    if (!e && (force || now - RC->last_inactivity_scan >= every || now < RC->last_inactivity_scan)) {
        RC->last_inactivity_scan = now;
        e = tick_inactivity(w, now, &t);
    }
    if (!e) e = sensor_db_rollup(w, now);
    if (!e) e = sensor_db_flush(w);
    if (!e)
        e = sensor_db_trim(w, now, sensor_db_setting(w, "raw_retention_s", 86400) * 1000,
                           sensor_db_setting(w, "alarm_raw_retention_s", 7776000) * 1000,
                           sensor_db_setting(w, "minute_retention_s", 604800) * 1000,
                           sensor_db_setting(w, "hour_retention_s", 34560000) * 1000, 30LL * 86400000);
    if (!e) e = sensor_db_seen_trim(w, jc_real_ms() - SENSOR_SEEN_MS); /* real time, as the keys' */
    e = sensor_db_leave(w, e); /* on error the job rolls back: the devices' memory is reloaded */
    sensor__count(0, t.raised, t.repeats, t.suppressed, t.cases);
    if (report) {
        json_object_set_new(report, "offline", json_integer(offline));
        json_object_set_new(report, "raised", json_integer((json_int_t)t.raised));
        json_object_set_new(report, "suppressed", json_integer((json_int_t)t.suppressed));
        json_object_set_new(report, "cases", json_integer((json_int_t)t.cases));
    }
    return e;
}
