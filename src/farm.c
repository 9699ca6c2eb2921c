/*
 * farm.c - rank 0 coordinates, the other ranks evaluate. The only file that sends
 * point-to-point MPI messages. Protocol (all payloads are doubles):
 *   MLS_TAG_POINT       0 -> worker   [id, generation, origin, u[d]]
 *   MLS_TAG_RESULT      worker -> 0   [id, status, nll, good, seconds, obs[m]]
 *                                     id -1: "no more results" (the answer to MLS_TAG_STOP);
 *                                     id -2: "I got stop signal <status>" (a worker asks to stop)
 *   MLS_TAG_STOP        0 -> worker   [signal]: drop the points not yet evaluated, answer id -1
 *   MLS_TAG_CHECKPOINT  0 -> worker   [flags]  then every rank appends its rows (collective)
 * A worker gets its next point as soon as it returns one (dynamic dispatch), with
 * opts->inflight points queued per worker so it never waits for a round trip.
 * Before a periodic or final checkpoint rank 0 stops dispatching and collects every point in
 * flight, so the file holds exactly the points dispatched so far. On a stop signal it does
 * not wait for running programs: the workers end them, the points they drop stay pending in
 * rank 0's checkpoint state and are dispatched again, with the same ids, on resume.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mlscan/ahead.h"
#include "mlscan/blob.h"
#include "mlscan/dataset.h"
#include "mlscan/eval.h"
#include "mlscan/farm.h"
#include "mlscan/gens.h"
#include "mlscan/log.h"
#include "mlscan/method.h"
#include "mlscan/physics.h"
#include "mlscan/proc.h"
#include "mlscan/rows.h"
#include "mlscan/seed.h"
#include "mlscan/space.h"
#include "mlscan/likelihood.h"
#include "mlscan/util.h"

enum mls_tag { MLS_TAG_POINT = 100, MLS_TAG_RESULT, MLS_TAG_CHECKPOINT, MLS_TAG_STOP };

#define ID_END           (-1)                 /* a worker has no more results */
#define ID_STOP          (-2)                 /* a worker got a stop signal */
#define ID_CKPT          (-3)                 /* a worker's last result before it writes a checkpoint */
#define FARM_STATE_MAGIC 0x6d6c736661726d31LL /* "mlsfarm1" */

#define HEAD_POINT  3
#define HEAD_RESULT 5
#define QUEUE       256

/* Rank 0's state. */
struct lead {
        const struct mls_card *card;
        MPI_Comm comm;
        int size, inflight_max;
        int *inflight; /* per rank */
        int64_t busy;  /* points in flight in total */
        const struct mls_method_ops *ops;
        void *state;
        struct mls_rng rng;
        struct mls_dataset ds;
        struct mls_evaluator *ev; /* rank 0 evaluates when it is alone */
        struct mls_rows rows;     /* rows rank 0 evaluated itself */
        mls_store *store;
        double *queue_u; /* proposals not yet dispatched: [queue_next, queue_n) */
        int8_t *queue_origin;
        int32_t *queue_gen;
        int64_t queue_n, queue_next, queue_cap;
        double *msg;
        double t0, last_checkpoint;
        double last_cost; /* seconds the last periodic checkpoint took */
        int64_t rows_committed;
        struct mls_gens gens;
        bool generation_cut; /* the method moved past stop.generations */
        int64_t by_status[MLS_ST_COUNT];
        /* resuming: points dispatched before the stop and never evaluated go out first */
        int64_t *redo, nredo, redo_next;
        double elapsed_before; /* run time of the earlier parts of a resumed run */
        int64_t gens_at_checkpoint;
        int stop_sig; /* the stop signal being acted on (0: none) */
        /* run.mode async: the learning thread, what it produced last, what it has not seen */
        bool async;                        /* run.mode async with a learning method and workers */
        mls_ahead *ahead;                  /* its thread (NULL once stopped) */
        struct mls_ahead_gen latest;       /* the newest generation's method state and network */
        int64_t *fresh, nfresh, fresh_cap; /* ids evaluated since the snapshot was last updated */
        int64_t first_open;                /* every id below is evaluated */
        /* time accounting of the main thread (seconds): see time_report() */
        double t_io, t_idle, t_train, t_propose, t_loop0;
        double gen_mark
                [4]; /* the time, t_io, t_idle, t_train + t_propose when the newest generation was last charged */
        int64_t results; /* results received in this part of the run */
};

/* ------------------------------------------------------------------ rank 0 */

/* Points proposed and good in this run (start_from points are not counted). */
static int64_t run_points(const struct lead *l)
{
        return l->ds.n - l->ds.n_seed;
}

static int64_t run_good(const struct lead *l)
{
        return l->ds.n_good - l->ds.n_seed_good;
}

static double elapsed(const struct lead *l)
{
        return l->elapsed_before + mls_now() - l->t0;
}

static bool out_of_time(const struct lead *l)
{
        return l->card->walltime > 0 && mls_now() - l->t0 >= l->card->walltime;
}

static bool budget_spent(const struct lead *l)
{
        const struct mls_card *c = l->card;

        return (c->max_evaluations > 0 && run_points(l) >= c->max_evaluations) ||
               (c->max_good > 0 && run_good(l) >= c->max_good) || l->generation_cut || out_of_time(l);
}

static void queue_reserve(struct lead *l, int64_t more)
{
        int d = l->card->nparams;

        if (l->queue_next > 0 && l->queue_next == l->queue_n)
                l->queue_n = l->queue_next = 0;
        if (l->queue_n + more <= l->queue_cap)
                return;
        /* drop what was dispatched, then grow */
        if (l->queue_next > 0) {
                int64_t left = l->queue_n - l->queue_next;

                memmove(l->queue_u, l->queue_u + l->queue_next * d, (size_t)(left * d) * sizeof(double));
                memmove(l->queue_origin, l->queue_origin + l->queue_next, (size_t)left * sizeof(int8_t));
                memmove(l->queue_gen, l->queue_gen + l->queue_next, (size_t)left * sizeof(int32_t));
                l->queue_n = left;
                l->queue_next = 0;
        }
        if (l->queue_n + more > l->queue_cap) {
                l->queue_cap = 2 * (l->queue_n + more);
                l->queue_u = mls_realloc(l->queue_u, (size_t)(l->queue_cap * d), sizeof(double));
                l->queue_origin = mls_realloc(l->queue_origin, (size_t)l->queue_cap, sizeof(int8_t));
                l->queue_gen = mls_realloc(l->queue_gen, (size_t)l->queue_cap, sizeof(int32_t));
        }
}

/*
 * dispatch_time - what rank 0's main thread spent receiving, recording and dispatching out of
 * @wall seconds: the rest of @idle waiting, @io in checkpoints and (sync mode: the main thread
 * learns itself) @learn training and proposing.
 */
static double dispatch_time(const struct lead *l, double wall, double idle, double io, double learn)
{
        double t = wall - idle - io - (l->async ? 0.0 : learn);

        return t > 0 ? t : 0.0;
}

/* charge_newest - the newest generation's time columns get rank 0's time since the last charge. */
static void charge_newest(struct lead *l)
{
        double now = mls_now(), learn = l->t_train + l->t_propose;

        if (l->gens.n > 0) {
                struct mls_gen_row *r = &l->gens.row[l->gens.n - 1];
                double io = l->t_io - l->gen_mark[1], idle = l->t_idle - l->gen_mark[2];

                r->io_seconds += io;
                r->idle_seconds += idle;
                r->dispatch_seconds +=
                        dispatch_time(l, now - l->gen_mark[0], idle, io, learn - l->gen_mark[3]);
        }
        l->gen_mark[0] = now;
        l->gen_mark[1] = l->t_io;
        l->gen_mark[2] = l->t_idle;
        l->gen_mark[3] = learn;
}

/* gen_started - generation @info starts: the one before it gets its last share of the time. */
static void gen_started(struct lead *l, const struct mls_gen_info *info)
{
        l->t_train += info->train_seconds;
        l->t_propose += info->propose_seconds;
        charge_newest(l);
        mls_gens_start(&l->gens, info);
}

/* sync_propose - run.mode sync (or no learning): the method proposes in this thread. */
static bool sync_propose(struct lead *l)
{
        int d = l->card->nparams;
        int64_t want = QUEUE, got = 0;
        struct mls_gen_info info;
        mls_rc rc;

        if (l->card->max_evaluations > 0 && l->card->max_evaluations - run_points(l) < want)
                want = l->card->max_evaluations - run_points(l);
        queue_reserve(l, want);
        /* A method may start an empty generation: ask again at once. */
        do {
                rc = l->ops->propose(l->state, &l->ds, &l->rng, want, l->queue_u + l->queue_n * d,
                                     l->queue_origin + l->queue_n, l->queue_gen + l->queue_n, &got, &info);
                if (rc != MLS_OK)
                        MLS_ABORT("method %s failed to propose points: %s", l->ops->name, mls_rc_str(rc));
                if (got == 0 && info.generation >= 0)
                        gen_started(l, &info);
        } while (got == 0 && info.generation >= 0);
        /* A generation past stop.generations is dropped whole, before any point leaves. */
        if (l->card->max_generations > 0 && got > 0 && l->queue_gen[l->queue_n] >= l->card->max_generations) {
                l->generation_cut = true;
                return false;
        }
        if (got > 0 && info.generation >= 0)
                gen_started(l, &info);
        mls_gens_close(&l->gens, &l->ds, elapsed(l), false);
        l->queue_n += got;
        return got > 0;
}

/*
 * fill_in - run.mode async, nothing queued: a uniform random point joins the newest
 * generation, so that no worker waits for rank 0's learning thread; at most as many as that
 * generation proposed (at least 2 x inflight per worker), then the workers wait: when the
 * physics is much faster than training (toy models), the scan stays a learning scan.
 */
static bool fill_in(struct lead *l)
{
        int d = l->card->nparams;
        int64_t cap = 2 * (int64_t)l->inflight_max * (l->size - 1);

        if (l->gens.n == 0)
                return false;
        if (l->latest.n > cap)
                cap = l->latest.n;
        if (l->gens.row[l->gens.n - 1].nfill >= cap)
                return false;
        queue_reserve(l, 1);
        for (int j = 0; j < d; j++)
                l->queue_u[l->queue_n * d + j] = mls_rng_uniform(&l->rng);
        l->queue_origin[l->queue_n] = MLS_ORIGIN_RANDOM;
        l->queue_gen[l->queue_n] = (int32_t)(l->gens.n - 1);
        l->queue_n++;
        mls_gens_fill(&l->gens, (int32_t)(l->gens.n - 1));
        return true;
}

/* next_point - the next proposal, recorded in the dataset; false when the method has none. */
static bool next_point(struct lead *l, int64_t *id, const double **u)
{
        int d = l->card->nparams;
        bool filled = false;

        if (l->queue_next == l->queue_n) {
                if (l->ahead)
                        filled = fill_in(l);
                else if (!sync_propose(l))
                        return false;
                if (l->queue_next == l->queue_n)
                        return false;
        }
        *id = mls_dataset_propose(&l->ds, l->queue_u + l->queue_next * d, l->queue_origin[l->queue_next],
                                  l->queue_gen[l->queue_next]);
        *u = l->ds.u + *id * d;
        if (l->gens.n > 0 && !filled) {
                struct mls_gen_row *r = &l->gens.row[l->queue_gen[l->queue_next]];

                if (r->queued > 0)
                        r->queued--;
                mls_gens_dispatched(&l->gens, l->queue_gen[l->queue_next]);
        }
        l->queue_next++;
        return true;
}

/* next_redo - a point dispatched before a stop and never evaluated: first after a resume */
static bool next_redo(struct lead *l, int64_t *id, const double **u)
{
        if (l->redo_next >= l->nredo)
                return false;
        *id = l->redo[l->redo_next++];
        *u = l->ds.u + *id * l->card->nparams;
        return true;
}

static bool dispatch(struct lead *l, int worker)
{
        int d = l->card->nparams, mrc;
        const double *u;
        int64_t id;

        if (l->stop_sig || out_of_time(l))
                return false;
        if (!next_redo(l, &id, &u) && (budget_spent(l) || !next_point(l, &id, &u)))
                return false;
        l->msg[0] = (double)id;
        l->msg[1] = (double)l->ds.generation[id];
        l->msg[2] = (double)l->ds.origin[id];
        memcpy(l->msg + HEAD_POINT, u, (size_t)d * sizeof(double));
        mrc = MPI_Send(l->msg, HEAD_POINT + d, MPI_DOUBLE, worker, MLS_TAG_POINT, l->comm);
        if (mrc != MPI_SUCCESS)
                MLS_ABORT("sending point %lld to rank %d failed", (long long)id, worker);
        l->inflight[worker]++;
        l->busy++;
        return true;
}

/*
 * fill_workers - every worker's first slot, then every second one, ... Near the end of the
 * budget (fewer points left than workers) only first slots: the last points go to idle
 * workers instead of queueing behind running ones, so the workers finish together.
 */
static void fill_workers(struct lead *l)
{
        const struct mls_card *c = l->card;
        int slots = l->inflight_max;

        if (c->max_evaluations > 0 && c->max_evaluations - run_points(l) < l->size - 1)
                slots = 1;
        for (int slot = 0; slot < slots; slot++)
                for (int w = 1; w < l->size; w++)
                        if (l->inflight[w] <= slot && !dispatch(l, w))
                                return;
}

static bool checkpoint_due(const struct lead *l);

/* push_fresh - point @id came back: it joins the learning thread's next snapshot. */
static void push_fresh(struct lead *l, int64_t id)
{
        if (l->nfresh == l->fresh_cap) {
                l->fresh_cap = l->fresh_cap ? 2 * l->fresh_cap : 4096;
                l->fresh = mls_realloc(l->fresh, (size_t)l->fresh_cap, sizeof(int64_t));
        }
        l->fresh[l->nfresh++] = id;
}

/* What a worker's message was. */
enum msg_kind { MSG_RESULT, MSG_END, MSG_CKPT };

/* on_result - record one result (or a worker's stop request) */
static enum msg_kind on_result(struct lead *l, const double *msg, int worker)
{
        int64_t id = (int64_t)msg[0];

        if (id == ID_END)
                return MSG_END;
        if (id == ID_CKPT)
                return MSG_CKPT;
        if (id == ID_STOP) {
                if (!l->stop_sig)
                        MLS_LOG(MLS_LOG_WARN, "rank %d got signal %d: stopping", worker, (int)msg[1]);
                mls_stop_request((int)msg[1]);
                return MSG_RESULT;
        }

        if (!mls_dataset_record(&l->ds, id, (int)msg[1], msg[2], msg[3] != 0.0, msg + HEAD_RESULT))
                MLS_ABORT("rank %d returned a result for point %lld, which is not in flight", worker,
                          (long long)id);
        if (l->gens.n > 0 && l->ds.generation[id] >= 0)
                mls_gens_result(&l->gens, l->ds.generation[id], msg[3] != 0.0, msg[4]);
        if ((int)msg[1] >= 0 && (int)msg[1] < MLS_ST_COUNT)
                l->by_status[(int)msg[1]]++;
        if (l->ahead)
                push_fresh(l, id);
        l->inflight[worker]--;
        l->busy--;
        l->results++;
        return MSG_RESULT;
}

/*
 * nap_after - a polling loop's pause after its @spins-th empty poll: none for the first @free
 * ones, then a sleep of 50 us doubling to 1 ms (*@nap keeps the length): never a busy core.
 */
static void nap_after(long spins, long free, struct timespec *nap)
{
        if (spins <= free)
                return;
        nap->tv_nsec = nap->tv_nsec ? nap->tv_nsec * 2 : 50000;
        if (nap->tv_nsec > 1000000)
                nap->tv_nsec = 1000000;
        nanosleep(nap, NULL);
}

/*
 * receive_one - wait for one message from a worker, record it and return the rank that sent
 * it; -1 when a stop signal arrived first (polled: a blocking receive would not notice it),
 * -2 (with @wake) when rank 0's learning thread finished a generation or a checkpoint is due
 * first: a checkpoint never waits for a result.
 * *@kind: what the message was. The wait counts as idle time, the rest as dispatch.
 */
static int receive_one(struct lead *l, bool stoppable, bool wake, enum msg_kind *kind)
{
        int m = l->card->nobs, mrc, flag = 0;
        MPI_Status st;
        long spins = 0;
        struct timespec nap = {0, 0};
        double t0 = mls_now(), t1;

        for (;;) {
                mrc = MPI_Iprobe(MPI_ANY_SOURCE, MLS_TAG_RESULT, l->comm, &flag, &st);
                if (mrc != MPI_SUCCESS)
                        MLS_ABORT("waiting for a result failed");
                if (flag)
                        break;
                if ((stoppable && mls_stop_signal()) ||
                    (wake && ((l->ahead && mls_ahead_ready(l->ahead)) || checkpoint_due(l)))) {
                        l->t_idle += mls_now() - t0;
                        return stoppable && mls_stop_signal() ? -1 : -2;
                }
                nap_after(++spins, 200, &nap);
        }
        t1 = mls_now();
        if (spins > 0)
                l->t_idle += t1 - t0;
        mrc = MPI_Recv(l->msg, HEAD_RESULT + m, MPI_DOUBLE, st.MPI_SOURCE, MLS_TAG_RESULT, l->comm, &st);
        if (mrc != MPI_SUCCESS)
                MLS_ABORT("receiving a result failed");
        *kind = on_result(l, l->msg, st.MPI_SOURCE);
        return st.MPI_SOURCE;
}

static void progress(struct lead *l, const char *what)
{
        double el = elapsed(l);
        double eff = l->ds.n_done ? (double)l->ds.n_good / (double)l->ds.n_done : 0.0;

        MLS_LOG_ROOT(
                MLS_LOG_INFO,
                "%s: evaluated %lld, good %lld, efficiency %.4f, %.1f points/s, elapsed %.1f s, rows in file %lld",
                what, (long long)l->ds.n_done, (long long)l->ds.n_good, eff,
                el > 0 ? (double)l->ds.n_done / el : 0.0, el, (long long)l->rows_committed);
}

/* The checkpoint request's flags: the run ends; /model follows the rows; the run stops early. */
#define CKPT_LAST  1
#define CKPT_MODEL 2

enum ckpt_mode { CKPT_PERIODIC, CKPT_FINAL, CKPT_STOPPED };

/* ------------------------------------------------------------------ rank 0's checkpoint state */

/*
 * save_state - everything rank 0 needs to go on exactly where it stands: the random stream,
 * the points dispatched but not evaluated (pending), the proposals not yet dispatched, the
 * counters, the generation table and the method's own state. The evaluated points are the
 * file's rows; the dataset is rebuilt from them.
 */
static void save_state(struct lead *l, struct mls_blob *b)
{
        int d = l->card->nparams;
        int64_t npend = 0;

        mls_blob_put_i64(b, FARM_STATE_MAGIC);
        mls_blob_put_i64(b, d);
        mls_blob_put(b, &l->rng, sizeof(l->rng));
        mls_blob_put_i64(b, l->ds.n);
        for (int64_t id = 0; id < l->ds.n; id++)
                npend += !l->ds.done[id];
        mls_blob_put_i64(b, npend);
        for (int64_t id = 0; id < l->ds.n; id++)
                if (!l->ds.done[id]) {
                        mls_blob_put_i64(b, id);
                        mls_blob_put_i64(b, l->ds.generation[id]);
                        mls_blob_put_i64(b, l->ds.origin[id]);
                        mls_blob_put(b, l->ds.u + id * d, (size_t)d * sizeof(double));
                }
        mls_blob_put_i64(b, l->queue_n - l->queue_next);
        mls_blob_put(b, l->queue_u + l->queue_next * d,
                     (size_t)((l->queue_n - l->queue_next) * d) * sizeof(double));
        mls_blob_put(b, l->queue_origin + l->queue_next,
                     (size_t)(l->queue_n - l->queue_next) * sizeof(int8_t));
        mls_blob_put(b, l->queue_gen + l->queue_next, (size_t)(l->queue_n - l->queue_next) * sizeof(int32_t));
        mls_blob_put(b, l->by_status, sizeof(l->by_status));
        mls_blob_put_i64(b, l->generation_cut);
        mls_blob_put_f64(b, elapsed(l));
        mls_blob_put_i64(b, l->gens.complete);
        mls_blob_put_i64(b, l->gens.written);
        mls_blob_put_array(b, l->gens.row, l->gens.n, sizeof(struct mls_gen_row));
        /* async: the method's state as the learning thread left it after the newest generation */
        mls_blob_put_i64(b, l->async);
        if (l->async) {
                mls_blob_put(b, &l->latest.rng, sizeof(l->latest.rng));
                mls_blob_put(b, l->latest.state.p, l->latest.state.n);
        } else if (l->ops->save) {
                l->ops->save(l->state, b);
        }
}

/* restore_fail - a resume that cannot go on: the file and this state do not fit */
static mls_rc restore_fail(const char *why, long long id)
{
        MLS_LOG(MLS_LOG_ERR, "cannot resume: the checkpoint is inconsistent: %s%s%lld", why,
                id >= 0 ? " " : "", id >= 0 ? id : 0);
        return MLS_ERR_IO;
}

/*
 * restore - rebuild the dataset from the committed rows @pts (any order) and the pending
 * points of state @b, then the counters, the queue and the method. Rank 0; before the run.
 */
static mls_rc restore(struct lead *l, const struct mls_rows *pts, struct mls_blob *b, struct mls_rng *trng)
{
        int d = l->card->nparams, m = l->card->nobs;
        int64_t n, npend, nq, *at = NULL;
        double *pu = NULL;
        int64_t *pid = NULL, *pgen = NULL, *porig = NULL;
        mls_rc rc = MLS_OK;

        if (mls_blob_get_i64(b) != FARM_STATE_MAGIC || mls_blob_get_i64(b) != d)
                return restore_fail("no farm state", -1);
        mls_blob_get(b, &l->rng, sizeof(l->rng));
        n = mls_blob_get_i64(b);
        npend = mls_blob_get_i64(b);
        if (b->bad || n < 0 || npend < 0 || npend > n || pts->n + npend != n)
                return restore_fail("row and pending counts do not add up to the points proposed", -1);
        at = mls_calloc((size_t)n + 1, sizeof(int64_t));
        for (int64_t i = 0; i < n; i++)
                at[i] = -1;
        pid = mls_calloc((size_t)npend + 1, sizeof(int64_t));
        pgen = mls_calloc((size_t)npend + 1, sizeof(int64_t));
        porig = mls_calloc((size_t)npend + 1, sizeof(int64_t));
        pu = mls_calloc((size_t)(npend + 1) * (size_t)d, sizeof(double));
        for (int64_t j = 0; j < npend; j++) {
                pid[j] = mls_blob_get_i64(b);
                pgen[j] = mls_blob_get_i64(b);
                porig[j] = mls_blob_get_i64(b);
                mls_blob_get(b, pu + j * d, (size_t)d * sizeof(double));
                if (pid[j] < 0 || pid[j] >= n || at[pid[j]] != -1) {
                        rc = restore_fail("bad pending point id", (long long)pid[j]);
                        goto out;
                }
                at[pid[j]] = -2 - j;
        }
        for (int64_t i = 0; i < pts->n; i++) {
                int64_t id = pts->id[i];

                if (id < 0 || id >= n || at[id] != -1) {
                        rc = restore_fail("point id out of range or twice in the file:", (long long)id);
                        goto out;
                }
                at[id] = i;
        }
        l->redo = mls_calloc((size_t)npend + 1, sizeof(int64_t));
        for (int64_t id = 0; id < n; id++) {
                int64_t i = at[id];

                if (i == -1) {
                        rc = restore_fail("a point is neither in the file nor pending: id", (long long)id);
                        goto out;
                }
                if (i <= -2) {
                        int64_t j = -2 - i;

                        mls_dataset_propose(&l->ds, pu + j * d, (int)porig[j], (int32_t)pgen[j]);
                        l->redo[l->nredo++] = id;
                } else if (pts->origin[i] == MLS_ORIGIN_SEED && pts->generation[i] < 0) {
                        mls_dataset_seed(&l->ds, pts->u + i * d, pts->status[i], pts->nll[i],
                                         pts->good[i] != 0, pts->obs + i * m);
                } else {
                        mls_dataset_propose(&l->ds, pts->u + i * d, pts->origin[i], pts->generation[i]);
                        mls_dataset_record(&l->ds, id, pts->status[i], pts->nll[i], pts->good[i] != 0,
                                           pts->obs + i * m);
                }
        }
        nq = mls_blob_get_i64(b);
        if (b->bad || nq < 0 || (size_t)nq * (size_t)d * sizeof(double) > b->n) {
                rc = restore_fail("bad proposal queue", -1);
                goto out;
        }
        queue_reserve(l, nq);
        mls_blob_get(b, l->queue_u, (size_t)(nq * d) * sizeof(double));
        mls_blob_get(b, l->queue_origin, (size_t)nq * sizeof(int8_t));
        mls_blob_get(b, l->queue_gen, (size_t)nq * sizeof(int32_t));
        l->queue_n = nq;
        l->queue_next = 0;
        mls_blob_get(b, l->by_status, sizeof(l->by_status));
        l->generation_cut = mls_blob_get_i64(b) != 0;
        l->elapsed_before = mls_blob_get_f64(b);
        {
                int64_t complete = mls_blob_get_i64(b), written = mls_blob_get_i64(b), ng;
                struct mls_gen_row *rows = mls_blob_get_array(b, &ng, sizeof(struct mls_gen_row));

                free(l->gens.row);
                l->gens.row = rows;
                l->gens.n = l->gens.cap = ng;
                l->gens.complete = complete;
                l->gens.written = written;
                l->gens_at_checkpoint = complete;
        }
        if ((mls_blob_get_i64(b) != 0) != l->async) {
                rc = restore_fail("the run was started in another run.mode or with one rank", -1);
                goto out;
        }
        if (l->async)
                mls_blob_get(b, trng, sizeof(*trng));
        if (b->bad) {
                rc = restore_fail("the state ends early", -1);
                goto out;
        }
        if (l->ops->load && (rc = l->ops->load(l->state, b)) != MLS_OK)
                rc = restore_fail("the method's state does not fit this card", -1);
out:
        free(at);
        free(pid);
        free(pgen);
        free(porig);
        free(pu);
        return rc;
}

/* ------------------------------------------------------------------ checkpoints */

/*
 * worker_times - at the last checkpoint: every worker's wall time, time evaluating points and
 * points (collective over the communicator); rank 0 prints the shares (see time_report()).
 */
static void worker_times(MPI_Comm comm, const double mine[3], double **all)
{
        int rank, size;

        MPI_Comm_rank(comm, &rank);
        MPI_Comm_size(comm, &size);
        if (rank == 0)
                *all = mls_calloc((size_t)size * 3, sizeof(double));
        if (MPI_Gather(mine, 3, MPI_DOUBLE, rank == 0 ? *all : NULL, 3, MPI_DOUBLE, 0, comm) != MPI_SUCCESS)
                MLS_ABORT("gathering the workers' times failed");
}

static int cmp_share(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

/* time_report - rank 0's two lines on where the time went (README, "Time accounting"). */
static void time_report(struct lead *l, const double *all)
{
        double wall = mls_now() - l->t_loop0, busy = 0, tot = 0, *share;
        double shown_train = l->t_train, shown_prop = l->t_propose, dispatch;
        int nw = l->size - 1;

        if (nw > 0) {
                share = mls_calloc((size_t)nw, sizeof(double));
                for (int w = 1; w <= nw; w++) {
                        tot += all[3 * w];
                        busy += all[3 * w + 1];
                        share[w - 1] = all[3 * w] > 0 ? all[3 * w + 1] / all[3 * w] : 0.0;
                }
                qsort(share, (size_t)nw, sizeof(double), cmp_share);
                MLS_LOG_ROOT(
                        MLS_LOG_INFO,
                        "time: workers in physics %.1f%% of their wall time (median worker %.1f%%, lowest "
                        "%.1f%%, %d workers)",
                        tot > 0 ? 100.0 * busy / tot : 0.0, 100.0 * share[nw / 2], 100.0 * share[0], nw);
                free(share);
        }
        {
                struct rusage ru;

                if (getrusage(RUSAGE_THREAD, &ru) == 0)
                        MLS_LOG_ROOT(MLS_LOG_DEBUG, "rank 0's main thread used %.2f s of CPU",
                                     (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                                             (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec);
        }
        dispatch = dispatch_time(l, wall, l->t_idle, l->t_io, shown_train + shown_prop);
        if (wall <= 0)
                wall = 1e-9;
        MLS_LOG_ROOT(MLS_LOG_INFO,
                     "time: rank 0 %s %.1f%% (%.1f us per result), training %.1f%%, proposing %.1f%%, "
                     "I/O %.1f%%, idle %.1f%% of %.1f s%s",
                     nw > 0 ? "dispatch" : "evaluating", 100.0 * dispatch / wall,
                     l->results ? 1e6 * dispatch / (double)l->results : 0.0, 100.0 * shown_train / wall,
                     100.0 * shown_prop / wall, 100.0 * l->t_io / wall, 100.0 * l->t_idle / wall, wall,
                     l->async ? " (training and proposing in the learning thread, beside the rest)" : "");
}

static mls_rc checkpoint(struct lead *l, enum ckpt_mode mode)
{
        int32_t gen = 0;
        mls_nn *net = NULL;
        struct mls_nn_state view;
        const struct mls_nn_state *nst = NULL;
        double flag, t0 = mls_now(), idle0 = l->t_idle, *times = NULL, tm[5] = {0, 0, 0, 0, 0};
        struct mls_blob state;
        enum msg_kind kind;
        int left = l->size - 1;
        mls_rc rc;

        charge_newest(l); /* before this checkpoint's own waiting, which counts as I/O */
        if (l->async) {
                if (l->latest.has_net) {
                        nst = &l->latest.net;
                        gen = l->latest.net_gen;
                }
        } else if (l->ops->network && (net = l->ops->network(l->state, &gen)) != NULL) {
                mls_nn_state_get(net, &view);
                nst = &view;
        }
        flag = (mode != CKPT_PERIODIC ? CKPT_LAST : 0) + (nst ? CKPT_MODEL : 0);
        /*
         * The run is over: collect every point in flight. Periodic and stop checkpoints do not wait:
         * the points in flight stay pending in the state and go out again on resume.
         */
        while (mode == CKPT_FINAL && l->busy > 0)
                receive_one(l, false, false, &kind);
        for (int w = 1; w < l->size; w++)
                if (MPI_Send(&flag, 1, MPI_DOUBLE, w, MLS_TAG_CHECKPOINT, l->comm) != MPI_SUCCESS)
                        MLS_ABORT("sending a checkpoint request to rank %d failed", w);
        /* each worker's marker follows its last result before the checkpoint: all are recorded then */
        while (left > 0) {
                receive_one(l, false, false, &kind);
                left -= kind == MSG_CKPT;
        }
        tm[0] = mls_now();
        if (mode != CKPT_PERIODIC) {
                double mine[3] = {0, 0, 0};

                worker_times(l->comm, mine, &times);
        }
        mls_gens_close(&l->gens, &l->ds, elapsed(l), mode == CKPT_FINAL);
        rc = mls_store_append_generations(l->store, l->gens.row + l->gens.written,
                                          l->gens.complete - l->gens.written);
        if (rc == MLS_OK)
                l->gens.written = l->gens.complete;
        tm[1] = mls_now();
        if (rc == MLS_OK)
                rc = mls_store_append(l->store, &l->rows, &l->rows_committed);
        tm[2] = mls_now();
        if (rc == MLS_OK && nst)
                rc = mls_store_write_model(l->store, nst, gen);
        tm[3] = mls_now();
        mls_blob_init(&state);
        if (rc == MLS_OK) {
                save_state(l, &state);
                tm[4] = mls_now();
                rc = mls_store_commit(l->store, &state, mode == CKPT_FINAL);
        }
        MLS_LOG_ROOT(MLS_LOG_DEBUG,
                     "checkpoint: %.3f s: markers %.3f, generations %.3f, rows %.3f, model %.3f, state %.3f "
                     "(%zu bytes), commit %.3f",
                     mls_now() - t0, tm[0] - t0, tm[1] - tm[0], tm[2] - tm[1], tm[3] - tm[2], tm[4] - tm[3],
                     state.n, mls_now() - tm[4]);
        mls_blob_fini(&state);
        mls_rows_clear(&l->rows);
        l->last_checkpoint = mls_now();
        l->gens_at_checkpoint = l->gens.complete;
        l->t_idle = idle0;
        l->t_io += mls_now() - t0;
        if (mode == CKPT_PERIODIC)
                l->last_cost = mls_now() - t0;
        progress(l, mode == CKPT_PERIODIC ? "checkpoint" : mode == CKPT_FINAL ? "done" : "stopped");
        if (times) {
                time_report(l, times);
                free(times);
        }
        return rc;
}

/*
 * checkpoint_due - run.checkpoint_seconds or run.checkpoint_generations say so, and (with
 * run.checkpoint_max_share s) the time since the last checkpoint is at least its cost c times
 * (1/s - 1): checkpoints take at most that share of the run, whatever they cost on this machine.
 */
static bool checkpoint_due(const struct lead *l)
{
        double since = mls_now() - l->last_checkpoint, s = l->card->checkpoint_max_share;

        if (s > 0 && since < l->last_cost * (1.0 / s - 1.0))
                return false;
        return since >= l->card->checkpoint_seconds ||
               (l->card->checkpoint_generations > 0 &&
                l->gens.complete - l->gens_at_checkpoint >= l->card->checkpoint_generations);
}

/* report_failure - the first failures of a rank are logged with their point id and reason. */
#define REPORT_FIRST 5
static void report_failure(const struct mls_row *row, int rank)
{
        static int reported;

        if (row->status == MLS_ST_OK || reported > REPORT_FIRST)
                return;
        if (++reported <= REPORT_FIRST)
                MLS_LOG(MLS_LOG_WARN, "point %lld: %s: %s", (long long)row->id, mls_status_name(row->status),
                        row->error && row->error[0] ? row->error : "no reason given");
        else
                MLS_LOG(MLS_LOG_WARN, "rank %d: more points failed; every reason is in /points/error", rank);
}

/* Alone, rank 0 evaluates every point itself. */
static mls_rc lead_alone(struct lead *l)
{
        struct mls_row row;
        const double *u;
        int64_t id;
        mls_rc rc = MLS_OK;

        while (rc == MLS_OK && !(l->stop_sig = mls_stop_signal()) && !out_of_time(l) &&
               (next_redo(l, &id, &u) || (!budget_spent(l) && next_point(l, &id, &u)))) {
                mls_evaluate(l->ev, id, u, &row);
                if (row.status == MLS_ST_INTERRUPTED)
                        break; /* pending: evaluated again on resume */
                report_failure(&row, 0);
                l->by_status[row.status]++;
                l->results++;
                row.generation = l->ds.generation[id];
                row.origin = l->ds.origin[id];
                row.worker = 0;
                mls_rows_append(&l->rows, &row);
                mls_dataset_record(&l->ds, id, row.status, row.nll, row.good, row.obs);
                if (l->gens.n > 0)
                        mls_gens_result(&l->gens, row.generation, row.good, row.seconds);
                if (checkpoint_due(l))
                        rc = checkpoint(l, CKPT_PERIODIC);
        }
        l->stop_sig = mls_stop_signal();
        if (l->stop_sig)
                mls_evaluator_release(l->ev);
        return rc;
}

/*
 * stop_workers - a stop signal: every worker drops the points it has not evaluated (it ends
 * a running program at once when it got the signal too) and answers with its end marker;
 * the results that arrive before it are kept.
 */
static void stop_workers(struct lead *l)
{
        double sig = l->stop_sig;
        int left = l->size - 1;
        enum msg_kind kind;

        MLS_LOG_ROOT(MLS_LOG_WARN, "signal %d: stopping; %lld points in flight are left for --resume",
                     l->stop_sig, (long long)l->busy);
        for (int w = 1; w < l->size; w++)
                if (MPI_Send(&sig, 1, MPI_DOUBLE, w, MLS_TAG_STOP, l->comm) != MPI_SUCCESS)
                        MLS_ABORT("sending a stop request to rank %d failed", w);
        while (left > 0) {
                receive_one(l, false, false, &kind);
                left -= kind == MSG_END;
        }
}

/* ------------------------------------------------------------------ the learning thread (async) */

/* ahead_take - a finished generation joins the queue (after what is left of the older ones). */
static void ahead_take(struct lead *l)
{
        struct mls_ahead_gen *g = &l->latest;
        int d = l->card->nparams;

        if (!l->ahead || !mls_ahead_take(l->ahead, g))
                return;
        if (g->rc != MLS_OK)
                MLS_ABORT("method %s failed to propose points: %s", l->ops->name, mls_rc_str(g->rc));
        if (g->info.generation < 0)
                return;
        if (l->card->max_generations > 0 && g->info.generation >= l->card->max_generations) {
                l->generation_cut = true;
                return;
        }
        gen_started(l, &g->info);
        l->gens.row[l->gens.n - 1].queued = g->n; /* complete only when these are out and back */
        queue_reserve(l, g->n);
        memcpy(l->queue_u + l->queue_n * d, g->u, (size_t)(g->n * d) * sizeof(double));
        memcpy(l->queue_origin + l->queue_n, g->origin, (size_t)g->n * sizeof(int8_t));
        for (int64_t i = 0; i < g->n; i++)
                l->queue_gen[l->queue_n + i] = g->info.generation;
        l->queue_n += g->n;
        mls_gens_close(&l->gens, &l->ds, elapsed(l), false);
}

/*
 * ahead_submit - start the next generation when the queue runs low: when what is left would
 * not outlast a training round (the last round's time at the current result rate, times 1.5,
 * plus a full round of dispatches), and there is something new to learn from.
 */
static void ahead_submit(struct lead *l, bool force)
{
        const struct mls_card *c = l->card;
        int64_t left = l->queue_n - l->queue_next;
        double run = mls_now() - l->t0, rate = run > 0 ? (double)l->results / run : 0.0;
        double low = 1.5 * rate * l->latest.seconds + (double)((l->size - 1) * l->inflight_max);

        if (!l->ahead || mls_ahead_busy(l->ahead) || mls_ahead_ready(l->ahead) || l->stop_sig ||
            budget_spent(l))
                return;
        if (c->max_evaluations > 0 && run_points(l) + left >= c->max_evaluations)
                return; /* what is queued spends the budget */
        /* and learn from a twentieth more data at least, unless the queue is empty */
        if (!force && ((double)left > low || (l->nfresh == 0 && l->busy + left > 0) ||
                       (left > 0 && l->nfresh < (l->ds.n_done + 19) / 20)))
                return;
        /* the snapshot: what came back since the last one, then what is proposed and not back */
        for (int64_t i = 0; i < l->nfresh; i++) {
                int64_t id = l->fresh[i];

                mls_ahead_add_done(l->ahead, l->ds.u + id * l->card->nparams, l->ds.origin[id],
                                   l->ds.generation[id], l->ds.status[id], l->ds.nll[id], l->ds.good[id] != 0,
                                   l->ds.obs + id * l->card->nobs);
        }
        l->nfresh = 0;
        mls_ahead_clear_open(l->ahead);
        while (l->first_open < l->ds.n && l->ds.done[l->first_open])
                l->first_open++;
        for (int64_t id = l->first_open; id < l->ds.n; id++)
                if (!l->ds.done[id])
                        mls_ahead_add_open(l->ahead, l->ds.u + id * l->card->nparams, l->ds.origin[id],
                                           l->ds.generation[id]);
        for (int64_t i = l->queue_next; i < l->queue_n; i++)
                mls_ahead_add_open(l->ahead, l->queue_u + i * l->card->nparams, l->queue_origin[i],
                                   l->queue_gen[i]);
        mls_ahead_submit(l->ahead);
}

/* ahead_begin - start the thread on a fresh or restored method state; generation 0 first. */
static void ahead_begin(struct lead *l, const struct mls_rng *trng)
{
        l->ahead = mls_ahead_start(l->ops, l->state, trng, l->card->nparams, l->card->nobs,
                                   (int)l->card->model.threads);
        mls_ahead_gen_init(&l->latest);
        mls_ahead_capture(l->ops, l->state, trng, &l->latest);
        for (int64_t id = 0; id < l->ds.n; id++)
                if (l->ds.done[id])
                        push_fresh(l, id);
        if (l->gens.n == 0) {
                ahead_submit(l, true);
                mls_ahead_wait(l->ahead);
                ahead_take(l);
        }
}

static mls_rc lead_workers(struct lead *l)
{
        mls_rc rc = MLS_OK;
        enum msg_kind kind;

        ahead_submit(l, false);
        fill_workers(l);
        /* async: the workers may all wait for the learning thread (see fill_in()) */
        while (rc == MLS_OK && (l->busy > 0 || (l->ahead && !budget_spent(l) && !l->stop_sig &&
                                                (mls_ahead_busy(l->ahead) || mls_ahead_ready(l->ahead))))) {
                int w = receive_one(l, true, true, &kind);

                if (w == -1 || mls_stop_signal())
                        break;
                /* idle workers first, then second slots (the method may have been waiting) */
                ahead_take(l);
                ahead_submit(l, false);
                fill_workers(l);
                if (checkpoint_due(l) && (rc = checkpoint(l, CKPT_PERIODIC)) == MLS_OK)
                        fill_workers(l);
        }
        if (rc == MLS_OK && (l->stop_sig = mls_stop_signal()) != 0)
                stop_workers(l);
        return rc;
}

static const char *stop_reason(const struct lead *l)
{
        const struct mls_card *c = l->card;

        if (c->max_good > 0 && run_good(l) >= c->max_good)
                return "the target number of good points was reached";
        if (c->max_evaluations > 0 && run_points(l) >= c->max_evaluations)
                return "the evaluation budget was spent";
        if (l->generation_cut)
                return "the generation limit was reached";
        if (l->stop_sig)
                return "a stop signal was received";
        if (out_of_time(l))
                return "the wall-time limit was reached";
        return "the method had no more points to propose";
}

/*
 * add_seeds - the start_from points: into the dataset (done, generation -1) and into rank 0's
 * rows (origin seed, worker -1), with NLL and good from this card's likelihood and target.
 */
static void add_seeds(struct lead *l, const struct mls_seed *seed)
{
        const struct mls_card *c = l->card;
        double *x = mls_calloc((size_t)c->nparams, sizeof(double));
        double *terms = mls_calloc((size_t)(c->nterms > 0 ? c->nterms : 1), sizeof(double));

        for (int64_t i = 0; seed && i < seed->n; i++) {
                const double *u = seed->u + i * seed->d, *obs = seed->obs + i * seed->m;
                struct mls_row row = {.generation = -1, .origin = MLS_ORIGIN_SEED, .worker = -1};
                double nll;
                bool good = mls_likelihood_eval(c, seed->status[i], obs, terms, &nll);

                mls_space_to_x(c->params, c->nparams, u, x);
                row.id = mls_dataset_seed(&l->ds, u, seed->status[i], nll, good, obs);
                row.status = seed->status[i];
                row.u = u;
                row.x = x;
                row.obs = obs;
                row.terms = terms;
                row.nll = nll;
                row.good = good;
                mls_rows_append(&l->rows, &row);
        }
        if (seed && seed->n > 0)
                MLS_LOG_ROOT(MLS_LOG_INFO,
                             "start_from: %lld points, %lld good, join the data (not evaluated again)",
                             (long long)l->ds.n_seed, (long long)l->ds.n_seed_good);
        free(terms);
        free(x);
}

static mls_rc lead(MPI_Comm comm, const struct mls_card *card, mls_store *store,
                   const struct mls_farm_opts *opts)
{
        struct lead l = {.card = card, .comm = comm, .store = store};
        struct mls_card sized = *card; /* the method's copy: generations sized for the workers */
        struct mls_rng trng;           /* the learning thread's random stream */
        int d = card->nparams, m = card->nobs;
        int64_t failed = 0;
        mls_rc rc = MLS_OK;

        MPI_Comm_size(comm, &l.size);
        l.inflight_max = opts->inflight > 0 ? opts->inflight : 2;
        l.inflight = mls_calloc((size_t)l.size, sizeof(int));
        l.ops = mls_method_get(card->method);
        mls_rng_init(&l.rng, card->seed, 0);
        mls_dataset_init(&l.ds, d, m);
        mls_rows_init(&l.rows, d, m, card->nterms, card->phys.nkeep);
        l.ev = opts->ev;
        mls_rng_init(&trng, card->seed, 1);
        queue_reserve(&l, QUEUE);
        l.msg = mls_calloc((size_t)(HEAD_POINT + d + HEAD_RESULT + m), sizeof(double));
        l.t0 = l.last_checkpoint = mls_now();
        mls_gens_init(&l.gens);
        if (card->has_model && !l.ops->learns)
                MLS_LOG_ROOT(MLS_LOG_WARN, "the run card's model section is not used by method %s",
                             l.ops->name);
        if (card->has_search && !l.ops->learns)
                MLS_LOG_ROOT(MLS_LOG_WARN, "the run card's search section is not used by method %s",
                             l.ops->name);
        l.async = card->mode == MLS_MODE_ASYNC && l.ops->learns && l.size > 1;
        if (l.async) {
                /* Generations follow the worker count: every worker gets 2 x inflight points of each. */
                int64_t least = 2 * (int64_t)l.inflight_max * (l.size - 1);

                if (sized.search.points_per_generation < least || sized.search.initial_points < least)
                        MLS_LOG_ROOT(MLS_LOG_INFO,
                                     "generations of at least %lld points for %d workers "
                                     "(search.points_per_generation %lld, initial_points %lld)",
                                     (long long)least, l.size - 1,
                                     (long long)sized.search.points_per_generation,
                                     (long long)sized.search.initial_points);
                if (sized.search.points_per_generation < least)
                        sized.search.points_per_generation = least;
                if (sized.search.initial_points < least)
                        sized.search.initial_points = least;
        } else if (l.ops->learns && l.size > 1 && card->search.points_per_generation < 2 * (l.size - 1)) {
                MLS_LOG_ROOT(MLS_LOG_WARN,
                             "search.points_per_generation %lld is below twice the %d evaluating ranks: "
                             "some ranks will idle in every generation",
                             (long long)card->search.points_per_generation, l.size - 1);
        }
        if ((rc = l.ops->create(&sized, &l.state)) != MLS_OK)
                MLS_ABORT("method %s could not start: %s", l.ops->name, mls_rc_str(rc));
        if (opts->resume_state) {
                double t = mls_now();

                rc = restore(&l, opts->resume_points, opts->resume_state, &trng);
                if (rc == MLS_OK)
                        MLS_LOG_ROOT(
                                MLS_LOG_INFO,
                                "resuming: %lld points in the file, %lld pending, %lld good; generation %lld "
                                "(file read in %.2f s, state rebuilt in %.2f s)",
                                (long long)opts->resume_points->n, (long long)l.nredo, (long long)l.ds.n_good,
                                (long long)l.gens.n - 1, opts->read_seconds, mls_now() - t);
        } else {
                add_seeds(&l, opts->seed);
        }
        /* the workers wait for this: a checkpoint that cannot be resumed ends every rank */
        rc = mls_agree(comm, rc);
        MLS_LOG_ROOT(MLS_LOG_INFO, "run '%s': method %s, %d parameters, %d rank%s (%d evaluating), output %s",
                     card->name, l.ops->name, d, l.size, l.size > 1 ? "s" : "", l.size > 1 ? l.size - 1 : 1,
                     card->output);
        l.t_loop0 = l.gen_mark[0] = mls_now();
        if (rc == MLS_OK && l.async)
                ahead_begin(&l, &trng);
        if (rc == MLS_OK)
                rc = l.size == 1 ? lead_alone(&l) : lead_workers(&l);
        /*
         * A generation still in training is dropped: the checkpoint holds the newest finished
         * one. Its training ends at its next epoch; the workers do not wait for the thread.
         */
        if (l.ahead)
                mls_nn_cancel(true);
        if (rc == MLS_OK)
                MLS_LOG_ROOT(MLS_LOG_INFO, "stopping: %s", stop_reason(&l));
        for (int st = 1; st < MLS_ST_COUNT; st++)
                failed += l.by_status[st];
        if (rc == MLS_OK && failed > 0) {
                char line[512];
                int w = 0;

                for (int st = 0; st < MLS_ST_COUNT; st++)
                        if (l.by_status[st] > 0)
                                w += snprintf(line + w, sizeof(line) - (size_t)w, "%s%s %lld", w ? ", " : "",
                                              mls_status_name(st), (long long)l.by_status[st]);
                MLS_LOG_ROOT(MLS_LOG_INFO, "points by status: %s (reasons in /points/error)", line);
        }
        /* The last checkpoint also releases the workers (a failed one fails on every rank). */
        if (rc == MLS_OK)
                rc = checkpoint(&l, l.stop_sig ? CKPT_STOPPED : CKPT_FINAL);
        if (rc == MLS_OK && l.stop_sig)
                rc = MLS_STOPPED;
        mls_ahead_stop(&l.ahead);
        l.ops->destroy(&l.state);
        if (l.async)
                mls_ahead_gen_fini(&l.latest);
        free(l.fresh);
        mls_gens_fini(&l.gens);
        free(l.redo);
        free(l.msg);
        free(l.queue_gen);
        free(l.queue_origin);
        free(l.queue_u);
        mls_rows_fini(&l.rows);
        mls_dataset_fini(&l.ds);
        free(l.inflight);
        return rc;
}

/* ------------------------------------------------------------------ workers */

struct worker {
        MPI_Comm comm;
        int rank, d, m;
        double *in, *out;
        bool stopping; /* rank 0 asked to stop: drop the points still queued */
        bool asked;    /* this rank told rank 0 about its own stop signal */
        bool released; /* the evaluator's scratch is gone */
        bool last;     /* the last checkpoint is written */
        mls_rc rc;     /* of the checkpoints */
        struct mls_evaluator *ev;
        mls_store *store;
        struct mls_rows rows; /* evaluated since the last checkpoint */
        double t0, physics;   /* start; seconds inside mls_evaluate() */
        int64_t points;
};

static void send_result(struct worker *wk, double id, double status)
{
        wk->out[0] = id;
        wk->out[1] = status;
        for (int i = 2; i < HEAD_RESULT + wk->m; i++)
                wk->out[i] = 0.0;
        if (MPI_Send(wk->out, HEAD_RESULT + wk->m, MPI_DOUBLE, 0, MLS_TAG_RESULT, wk->comm) != MPI_SUCCESS)
                MLS_ABORT("sending a message to rank 0 failed");
}

/* on_stop - rank 0's stop request: no more evaluations, then the end marker */
static void on_stop(struct worker *wk)
{
        double sig;

        if (MPI_Recv(&sig, 1, MPI_DOUBLE, 0, MLS_TAG_STOP, wk->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
                MLS_ABORT("receiving a stop request failed");
        if (wk->stopping)
                return;
        mls_stop_request((int)sig); /* a program running now is ended */
        wk->stopping = true;
        send_result(wk, ID_END, 0);
}

/*
 * join_checkpoint - rank 0's checkpoint request: the marker after the last result sent, then
 * this rank's rows into the collective writes. Called between points or while a program runs.
 */
static void join_checkpoint(struct worker *wk)
{
        double flag;
        int64_t committed;
        mls_rc rc;

        if (MPI_Recv(&flag, 1, MPI_DOUBLE, 0, MLS_TAG_CHECKPOINT, wk->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
                MLS_ABORT("receiving a checkpoint request failed");
        send_result(wk, ID_CKPT, 0);
        wk->last = ((int)flag & CKPT_LAST) != 0;
        if (wk->last) {
                double mine[3] = {mls_now() - wk->t0, wk->physics, (double)wk->points}, *none = NULL;

                worker_times(wk->comm, mine, &none);
        }
        rc = mls_store_append_generations(wk->store, NULL, 0);
        if (rc == MLS_OK)
                rc = mls_store_append(wk->store, &wk->rows, &committed);
        if (rc == MLS_OK && ((int)flag & CKPT_MODEL))
                rc = mls_store_write_model(wk->store, NULL, 0);
        if (rc == MLS_OK)
                rc = mls_store_commit(wk->store, NULL, false);
        mls_rows_clear(&wk->rows);
        if (wk->rc == MLS_OK)
                wk->rc = rc;
}

/* answer - rank 0's checkpoint and stop requests, if any (polled while a program runs) */
static void answer(void *arg)
{
        struct worker *wk = arg;
        int flag = 0;

        if (wk->last)
                return;
        if (MPI_Iprobe(0, MLS_TAG_STOP, wk->comm, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && flag)
                on_stop(wk);
        flag = 0;
        if (MPI_Iprobe(0, MLS_TAG_CHECKPOINT, wk->comm, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && flag)
                join_checkpoint(wk);
}

/* should_evaluate - false when the run is stopping: the point is left pending */
static bool should_evaluate(struct worker *wk)
{
        int flag = 0;

        if (!wk->stopping && MPI_Iprobe(0, MLS_TAG_STOP, wk->comm, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS &&
            flag)
                on_stop(wk);
        if (!wk->stopping && mls_stop_signal() && !wk->asked) {
                wk->asked = true;
                send_result(wk, ID_STOP, mls_stop_signal());
        }
        return !wk->stopping && !mls_stop_signal();
}

/* evaluate - one point from rank 0's message in wk->in; its result goes back at once */
static void evaluate(struct worker *wk)
{
        struct mls_row row;
        double t = mls_now();

        mls_evaluate(wk->ev, (int64_t)wk->in[0], wk->in + HEAD_POINT, &row);
        wk->physics += mls_now() - t;
        if (row.status == MLS_ST_INTERRUPTED) {
                should_evaluate(wk); /* tells rank 0, once */
                return;
        }
        wk->points++;
        report_failure(&row, wk->rank);
        row.generation = (int32_t)wk->in[1];
        row.origin = (int8_t)wk->in[2];
        row.worker = wk->rank;
        mls_rows_append(&wk->rows, &row);
        wk->out[0] = wk->in[0];
        wk->out[1] = row.status;
        wk->out[2] = row.nll;
        wk->out[3] = row.good;
        wk->out[4] = row.seconds;
        memcpy(wk->out + HEAD_RESULT, row.obs, (size_t)wk->m * sizeof(double));
        if (MPI_Send(wk->out, HEAD_RESULT + wk->m, MPI_DOUBLE, 0, MLS_TAG_RESULT, wk->comm) != MPI_SUCCESS)
                MLS_ABORT("sending the result of point %lld failed", (long long)row.id);
}

/*
 * wait_for_lead - the next message from rank 0, polled with nap_after(). MPI_Probe would
 * busy-wait (yielding, with mpi_yield_when_idle) and, on shared cores, take the CPU from rank 0
 * exactly when rank 0 is slow to dispatch.
 */
static void wait_for_lead(MPI_Comm comm, MPI_Status *st)
{
        struct timespec nap = {0, 0};
        int flag = 0;

        for (long spins = 1;; spins++) {
                if (MPI_Iprobe(0, MPI_ANY_TAG, comm, &flag, st) != MPI_SUCCESS)
                        MLS_ABORT("waiting for rank 0 failed");
                if (flag)
                        return;
                nap_after(spins, 100, &nap);
        }
}

static mls_rc work(MPI_Comm comm, const struct mls_card *card, mls_store *store, struct mls_evaluator *ev)
{
        struct worker wk = {.comm = comm, .d = card->nparams, .ev = ev, .store = store};
        int d = card->nparams;

        MPI_Comm_rank(comm, &wk.rank);
        /* rank 0 has restored its state (or could not) */
        if ((wk.rc = mls_agree(comm, MLS_OK)) != MLS_OK)
                return wk.rc;
        wk.m = ev->m;
        wk.t0 = mls_now();
        mls_rows_init(&wk.rows, d, wk.m, card->nterms, card->phys.nkeep);
        wk.in = mls_calloc((size_t)(HEAD_POINT + d), sizeof(double));
        wk.out = mls_calloc((size_t)(HEAD_RESULT + wk.m), sizeof(double));
        /* a checkpoint never waits for a running program: it is answered every 20 ms meanwhile */
        mls_proc_set_idle(answer, &wk, 0.02);
        while (!wk.last && wk.rc == MLS_OK) {
                MPI_Status st;

                if (wk.stopping && !wk.released) {
                        /* no more evaluations: the scratch directory goes before the checkpoint */
                        mls_evaluator_release(wk.ev);
                        wk.released = true;
                }
                wait_for_lead(comm, &st);
                switch (st.MPI_TAG) {
                case MLS_TAG_POINT:
                        if (MPI_Recv(wk.in, HEAD_POINT + d, MPI_DOUBLE, 0, MLS_TAG_POINT, comm,
                                     MPI_STATUS_IGNORE) != MPI_SUCCESS)
                                MLS_ABORT("receiving a point failed");
                        if (should_evaluate(&wk))
                                evaluate(&wk);
                        break;
                case MLS_TAG_STOP: on_stop(&wk); break;
                case MLS_TAG_CHECKPOINT: join_checkpoint(&wk); break;
                default: MLS_ABORT("unexpected message tag %d from rank 0", st.MPI_TAG);
                }
        }
        mls_proc_set_idle(NULL, NULL, 0);
        free(wk.out);
        free(wk.in);
        mls_rows_fini(&wk.rows);
        return wk.rc == MLS_OK && mls_stop_signal() ? MLS_STOPPED : wk.rc;
}

mls_rc mls_farm_run(MPI_Comm comm, const struct mls_card *card, mls_store *store,
                    const struct mls_farm_opts *opts)
{
        int rank;

        MPI_Comm_rank(comm, &rank);
        return rank == 0 ? lead(comm, card, store, opts) : work(comm, card, store, opts->ev);
}
