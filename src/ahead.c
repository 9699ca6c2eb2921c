/*
 * ahead.c - rank 0's learning thread (run.mode async). One job = one generation: the method
 * trains on the snapshot and proposes; the thread then saves the method's state and copies its
 * network, so that the main thread can checkpoint them while the next job runs. No MPI here.
 */
#define _GNU_SOURCE /* gettid */
#include <config.h>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/ahead.h"
#include "mlscan/log.h"
#include "mlscan/rows.h"
#include "mlscan/util.h"

enum phase { IDLE, RUNNING, READY, QUIT };

struct mls_ahead {
        const struct mls_method_ops *ops;
        void *state;
        struct mls_rng rng;
        int threads;
        struct mls_dataset snap;
        int64_t ndone; /* snap's points [0, ndone) are evaluated; the rest are in flight */
        struct mls_ahead_gen out;
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        atomic_int phase;
};

#define CHUNK 4096

static void *net_copy(const void *p, size_t n, size_t size)
{
        void *q = mls_calloc(n ? n : 1, size);

        if (n)
                memcpy(q, p, n * size);
        return q;
}

static void free_net(struct mls_ahead_gen *g)
{
        if (!g->has_net)
                return;
        free(g->net.params);
        free(g->net.adam_m);
        free(g->net.adam_v);
        free(g->net.x_mean);
        free(g->net.x_std);
        free(g->net.y_mean);
        free(g->net.y_std);
        g->has_net = false;
}

void mls_ahead_capture(const struct mls_method_ops *ops, void *state, const struct mls_rng *rng,
                       struct mls_ahead_gen *g)
{
        mls_nn *net = ops->network ? ops->network(state, &g->net_gen) : NULL;

        free_net(g);
        mls_blob_fini(&g->state);
        mls_blob_init(&g->state);
        g->rng = *rng;
        if (ops->save)
                ops->save(state, &g->state);
        if (net) {
                struct mls_nn_state st;

                mls_nn_state_get(net, &st);
                g->net = st;
                g->net.params = net_copy(st.params, (size_t)st.nparams, sizeof(float));
                g->net.adam_m = net_copy(st.adam_m, (size_t)st.nparams, sizeof(float));
                g->net.adam_v = net_copy(st.adam_v, (size_t)st.nparams, sizeof(float));
                g->net.x_mean = net_copy(st.x_mean, (size_t)st.arch.nin, sizeof(double));
                g->net.x_std = net_copy(st.x_std, (size_t)st.arch.nin, sizeof(double));
                g->net.y_mean = net_copy(st.y_mean, (size_t)st.arch.nout, sizeof(double));
                g->net.y_std = net_copy(st.y_std, (size_t)st.arch.nout, sizeof(double));
                g->has_net = true;
        }
}

/* one_job - the whole next generation into a->out, then the method's state. */
static void one_job(struct mls_ahead *a)
{
        struct mls_ahead_gen *g = &a->out;
        int d = a->snap.d;
        int32_t *gen = mls_calloc(CHUNK, sizeof(int32_t));
        double t0 = mls_now();
        int64_t total = -1;

        g->n = 0;
        g->rc = MLS_OK;
        memset(&g->info, 0, sizeof(g->info));
        g->info.generation = -1;
        /* The first call starts the generation and says how big it is; the rest hand it out. */
        while (g->rc == MLS_OK && (total < 0 || g->n < total)) {
                struct mls_gen_info info;
                int64_t got = 0;

                if (g->n + CHUNK > g->cap) {
                        g->cap = 2 * (g->n + CHUNK);
                        g->u = mls_realloc(g->u, (size_t)g->cap * (size_t)d, sizeof(double));
                        g->origin = mls_realloc(g->origin, (size_t)g->cap, sizeof(int8_t));
                }
                g->rc = a->ops->propose(a->state, &a->snap, &a->rng, CHUNK, g->u + g->n * d, g->origin + g->n,
                                        gen, &got, &info);
                if (g->rc != MLS_OK)
                        break;
                if (total < 0) {
                        if (info.generation < 0)
                                break; /* the method waits for more results: an empty job */
                        g->info = info;
                        total = info.proposed;
                } else if (got == 0) {
                        break;
                }
                g->n += got;
        }
        free(gen);
        if (g->rc == MLS_OK)
                mls_ahead_capture(a->ops, a->state, &a->rng, g);
        g->seconds = mls_now() - t0;
}

static void *run(void *arg)
{
        struct mls_ahead *a = arg;

        mls_nn_threads(a->threads);
        /*
         * Below the main thread (Linux: nice applies per thread): on cores it shares, the
         * dispatch that keeps every worker busy goes first, training takes what is left.
         */
        if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
                MLS_LOG(MLS_LOG_DEBUG, "could not lower the learning thread's priority");
        pthread_mutex_lock(&a->mu);
        for (;;) {
                while (atomic_load(&a->phase) != RUNNING && atomic_load(&a->phase) != QUIT)
                        pthread_cond_wait(&a->cv, &a->mu);
                if (atomic_load(&a->phase) == QUIT)
                        break;
                pthread_mutex_unlock(&a->mu);
                one_job(a);
                pthread_mutex_lock(&a->mu);
                if (atomic_load(&a->phase) == RUNNING)
                        atomic_store(&a->phase, READY);
                pthread_cond_broadcast(&a->cv);
        }
        pthread_mutex_unlock(&a->mu);
        return NULL;
}

mls_ahead *mls_ahead_start(const struct mls_method_ops *ops, void *state, const struct mls_rng *rng, int d,
                           int m, int threads)
{
        struct mls_ahead *a = mls_calloc(1, sizeof(*a));

        a->ops = ops;
        a->state = state;
        a->rng = *rng;
        a->threads = threads;
        mls_dataset_init(&a->snap, d, m);
        mls_ahead_gen_init(&a->out);
        pthread_mutex_init(&a->mu, NULL);
        pthread_cond_init(&a->cv, NULL);
        atomic_init(&a->phase, IDLE);
        if (pthread_create(&a->thread, NULL, run, a) != 0)
                MLS_ABORT("cannot start rank 0's learning thread");
        return a;
}

void mls_ahead_stop(mls_ahead **ap)
{
        struct mls_ahead *a = *ap;

        if (!a)
                return;
        mls_nn_cancel(true);
        pthread_mutex_lock(&a->mu);
        while (atomic_load(&a->phase) == RUNNING)
                pthread_cond_wait(&a->cv, &a->mu);
        atomic_store(&a->phase, QUIT);
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
        mls_nn_cancel(false);
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        mls_ahead_gen_fini(&a->out);
        mls_dataset_fini(&a->snap);
        free(a);
        *ap = NULL;
}

void mls_ahead_add_done(mls_ahead *a, const double *u, int origin, int32_t generation, int status, double nll,
                        bool good, const double *obs)
{
        int64_t id;

        mls_ahead_clear_open(a);
        id = mls_dataset_propose(&a->snap, u, origin, generation);
        mls_dataset_record(&a->snap, id, status, nll, good, obs);
        if (origin == MLS_ORIGIN_SEED && generation < 0) {
                a->snap.n_seed++;
                a->snap.n_seed_good += good;
        }
        a->ndone = a->snap.n;
}

void mls_ahead_clear_open(mls_ahead *a)
{
        a->snap.n = a->ndone;
}

void mls_ahead_add_open(mls_ahead *a, const double *u, int origin, int32_t generation)
{
        mls_dataset_propose(&a->snap, u, origin, generation);
}

int64_t mls_ahead_ndone(const mls_ahead *a)
{
        return a->ndone;
}

void mls_ahead_submit(mls_ahead *a)
{
        pthread_mutex_lock(&a->mu);
        if (atomic_load(&a->phase) != IDLE)
                MLS_ABORT("rank 0's learning thread got a job while busy");
        atomic_store(&a->phase, RUNNING);
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
}

bool mls_ahead_busy(mls_ahead *a)
{
        return atomic_load(&a->phase) == RUNNING;
}

bool mls_ahead_ready(mls_ahead *a)
{
        return atomic_load(&a->phase) == READY;
}

void mls_ahead_wait(mls_ahead *a)
{
        pthread_mutex_lock(&a->mu);
        while (atomic_load(&a->phase) == RUNNING)
                pthread_cond_wait(&a->cv, &a->mu);
        pthread_mutex_unlock(&a->mu);
}

bool mls_ahead_take(mls_ahead *a, struct mls_ahead_gen *into)
{
        struct mls_ahead_gen t;

        /* never waits: the main thread calls this after every result */
        if (atomic_load(&a->phase) != READY)
                return false;
        t = *into;
        *into = a->out;
        a->out = t;
        atomic_store(&a->phase, IDLE);
        return true;
}

void mls_ahead_gen_init(struct mls_ahead_gen *g)
{
        memset(g, 0, sizeof(*g));
        mls_blob_init(&g->state);
}

void mls_ahead_gen_fini(struct mls_ahead_gen *g)
{
        free_net(g);
        mls_blob_fini(&g->state);
        free(g->u);
        free(g->origin);
        memset(g, 0, sizeof(*g));
}

struct mls_rng *mls_ahead_rng(mls_ahead *a)
{
        return &a->rng;
}
