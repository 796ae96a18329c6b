/*
 * store_writeq.h -- the queue of write jobs in front of a store's writer thread,
 * the same for every backend (store_sqlite.c, store_pg.c): submitting, the
 * writer taking every waiting job as one batch, a caller waiting for its
 * job's commit (store_exec), the counters of store_stats.  What a batch is
 * -- transactions, savepoints, durability -- stays with the backend.
 */
#ifndef JC_WRITEQ_H
#define JC_WRITEQ_H

#include <pthread.h>

#include "store.h"

#define WRITEQ_MAX_QUEUE 100000 /* jobs waiting before submit refuses */
#define WRITEQ_MAX_BATCH 4096   /* jobs per batch unless set lower */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    jc_write_job *head, *tail;
    uint64_t depth;
    unsigned max_batch;
    int stopping;
    jc_store_stats stats;
} jc_writeq;

void writeq_init(jc_writeq *q);
void writeq_destroy(jc_writeq *q);
/* store_submit's contract: queues job (the caller keeps it alive until its
 * done()); JC_ERR_UNAVAILABLE when stopping or full. */
jc_err writeq_submit(jc_writeq *q, jc_write_job *job) JC_MUST_CHECK;
/* For the writer thread: waits for jobs and takes up to max_batch of them
 * in submission order (*n of them, NULL-terminated); 0 once the queue is
 * stopping and empty. */
int writeq_take(jc_writeq *q, jc_write_job **batch, uint64_t *n);
/* Refuses new jobs and wakes the writer, which drains what is queued. */
void writeq_stop(jc_writeq *q);
/* The largest batch from now on (at least 1). */
void writeq_set_max_batch(jc_writeq *q, unsigned n);
/* Counts a finished batch of n jobs, failed of them failed, in reruns groups
 * run again. */
void writeq_count(jc_writeq *q, uint64_t n, uint64_t failed, uint64_t reruns);
void writeq_stats(jc_writeq *q, jc_store_stats *out);
/* Calls each job's done() with its result, in order (done() may free it). */
void writeq_finish(jc_write_job *j);
/* store_exec's contract: runs run(arg) as a job through q and waits for its
 * done(); returns the job's, the commit's or the submission's error. */
jc_err writeq_exec(jc_writeq *q, jc_err (*run)(jc_conn *w, void *arg), void *arg) JC_MUST_CHECK;

#endif
