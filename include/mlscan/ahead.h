/*
 * ahead.h - rank 0's learning thread (run.mode async): the method trains and proposes its
 * next generation on a snapshot of the dataset while the main thread goes on receiving
 * results and dispatching points. The thread calls no MPI (MPI_THREAD_FUNNELED) and owns
 * the method's state while it works; the main thread touches the state, the snapshot and the
 * job's results only when the thread is idle (mls_ahead_ready() or mls_ahead_idle()).
 */
#ifndef MLSCAN_AHEAD_H
#define MLSCAN_AHEAD_H

#include <stdbool.h>
#include <stdint.h>

#include "mlscan/blob.h"
#include "mlscan/dataset.h"
#include "mlscan/method.h"
#include "mlscan/nn.h"
#include "mlscan/rng.h"

/* What one job produced: a whole generation, and the method's state right after it. */
struct mls_ahead_gen {
        double *u;      /* n x d */
        int8_t *origin; /* n */
        int64_t n, cap; /* points */
        struct mls_gen_info info;
        mls_rc rc;             /* the method's return code */
        double seconds;        /* the job's wall time */
        struct mls_blob state; /* ops->save() after the job */
        struct mls_rng rng;    /* the thread's random stream after the job */
        bool has_net;          /* net holds a deep copy of ops->network() */
        struct mls_nn_state net;
        int32_t net_gen;
};

typedef struct mls_ahead mls_ahead;

/*
 * mls_ahead_start - the thread for method @ops with state @state (borrowed; the thread uses it
 * only during a job), drawing from @rng (copied; see mls_ahead_rng()), training with @threads
 * OpenMP threads. d and m size the snapshot.
 */
mls_ahead *mls_ahead_start(const struct mls_method_ops *ops, void *state, const struct mls_rng *rng, int d,
                           int m, int threads);
/* mls_ahead_stop - end the thread (a running job is cancelled at its next epoch) and free it. */
void mls_ahead_stop(mls_ahead **a);

/*
 * The snapshot the next job learns from (main thread, while idle): the evaluated points, in
 * the order they came back (mls_ahead_add_done), then the points proposed and not yet
 * evaluated (mls_ahead_add_open, after mls_ahead_clear_open).
 */
void mls_ahead_add_done(mls_ahead *a, const double *u, int origin, int32_t generation, int status, double nll,
                        bool good, const double *obs);
void mls_ahead_clear_open(mls_ahead *a);
void mls_ahead_add_open(mls_ahead *a, const double *u, int origin, int32_t generation);
int64_t mls_ahead_ndone(const mls_ahead *a);

/* mls_ahead_submit - start a job: the method proposes its next generation. */
void mls_ahead_submit(mls_ahead *a);
/* mls_ahead_busy - a job is running; mls_ahead_ready - a job has finished and not been taken. */
bool mls_ahead_busy(mls_ahead *a);
bool mls_ahead_ready(mls_ahead *a);
/* mls_ahead_wait - wait for the running job (if any) to finish. */
void mls_ahead_wait(mls_ahead *a);
/*
 * mls_ahead_take - swap the finished job's results into @into (whose old contents the next job
 * reuses); false (at once, without waiting) when no job has finished. The thread is idle after.
 */
bool mls_ahead_take(mls_ahead *a, struct mls_ahead_gen *into);
void mls_ahead_gen_init(struct mls_ahead_gen *g);
/* mls_ahead_capture - @g's state, rng and network from the method's state (whoever owns it now). */
void mls_ahead_capture(const struct mls_method_ops *ops, void *state, const struct mls_rng *rng,
                       struct mls_ahead_gen *g);
void mls_ahead_gen_fini(struct mls_ahead_gen *g);
/* mls_ahead_rng - the thread's random stream (for checkpoints; only while idle). */
struct mls_rng *mls_ahead_rng(mls_ahead *a);

#endif /* MLSCAN_AHEAD_H */
