/*
 * store_writeq.c -- the write-job queue every store backend puts in front of its
 * writer thread (see store_writeq.h).
 */
#include "store_writeq.h"

#include <string.h>

void writeq_init(jc_writeq *q) {
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->max_batch = WRITEQ_MAX_BATCH;
}

void writeq_destroy(jc_writeq *q) {
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

jc_err writeq_submit(jc_writeq *q, jc_write_job *job) {
    job->next = NULL;
    job->result = JC_OK;
    pthread_mutex_lock(&q->mu);
    if (q->stopping || q->depth >= WRITEQ_MAX_QUEUE) {
        pthread_mutex_unlock(&q->mu);
        return JC_ERR_UNAVAILABLE;
    }
    if (q->tail) q->tail->next = job;
    else q->head = job;
    q->tail = job;
    q->depth++;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return JC_OK;
}

int writeq_take(jc_writeq *q, jc_write_job **batch, uint64_t *n) {
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->stopping) pthread_cond_wait(&q->cv, &q->mu);
    if (!q->head) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    jc_write_job *first = q->head, *last = q->head;
    uint64_t k = 1;
    while (last->next && k < q->max_batch) last = last->next, k++;
    q->head = last->next;
    if (!q->head) q->tail = NULL;
    last->next = NULL;
    q->depth -= k;
    pthread_mutex_unlock(&q->mu);
    *batch = first;
    *n = k;
    return 1;
}

void writeq_stop(jc_writeq *q) {
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void writeq_set_max_batch(jc_writeq *q, unsigned n) {
    pthread_mutex_lock(&q->mu);
    q->max_batch = n ? n : 1;
    pthread_mutex_unlock(&q->mu);
}

void writeq_count(jc_writeq *q, uint64_t n, uint64_t failed, uint64_t reruns) {
    pthread_mutex_lock(&q->mu);
    q->stats.batches++;
    q->stats.jobs += n;
    q->stats.failed_jobs += failed;
    q->stats.reruns += reruns;
    if (n > q->stats.max_batch) q->stats.max_batch = n;
    pthread_mutex_unlock(&q->mu);
}

void writeq_stats(jc_writeq *q, jc_store_stats *out) {
    pthread_mutex_lock(&q->mu);
    *out = q->stats;
    out->queue_depth = q->depth;
    pthread_mutex_unlock(&q->mu);
}

void writeq_finish(jc_write_job *j) {
    for (jc_write_job *next; j; j = next) {
        next = j->next; /* done() may free the job */
        j->done(j->arg, j->result);
    }
}

typedef struct {
    jc_write_job job;
    jc_err (*run)(jc_conn *, void *);
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished;
    jc_err err;
} sync_job;

static jc_err sync_run(jc_conn *w, void *arg) {
    sync_job *sj = arg;
    return sj->run(w, sj->arg);
}

static void sync_finish(void *arg, jc_err err) {
    sync_job *sj = arg;
    pthread_mutex_lock(&sj->mu);
    sj->finished = 1;
    sj->err = err;
    pthread_cond_signal(&sj->cv);
    pthread_mutex_unlock(&sj->mu);
}

jc_err writeq_exec(jc_writeq *q, jc_err (*run)(jc_conn *w, void *arg), void *arg) {
    sync_job sj = {.run = run, .arg = arg};
    pthread_mutex_init(&sj.mu, NULL);
    pthread_cond_init(&sj.cv, NULL);
    sj.job.run = sync_run;
    sj.job.done = sync_finish;
    sj.job.arg = &sj;
    jc_err e = writeq_submit(q, &sj.job);
    if (e == JC_OK) {
        pthread_mutex_lock(&sj.mu);
        while (!sj.finished) pthread_cond_wait(&sj.cv, &sj.mu);
        pthread_mutex_unlock(&sj.mu);
        e = sj.err;
    }
    pthread_mutex_destroy(&sj.mu);
    pthread_cond_destroy(&sj.cv);
    return e;
}
