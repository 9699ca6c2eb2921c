/*
 * gens.h - rank 0's table of generations: what each generation proposed (from the method),
 * how many of its points were evaluated and good, and when it was complete. A generation is
 * complete when every point of it is back and the method has moved on; its row is then
 * printed as one progress line and queued for /generations in the output file.
 */
#ifndef MLSCAN_GENS_H
#define MLSCAN_GENS_H

#include <stdbool.h>
#include <stdint.h>
#include "mlscan/dataset.h"
#include "mlscan/method.h"

/* One row of /generations (every field is a column of that name). */
struct mls_gen_row {
        int32_t generation;
        int64_t proposed, evaluated, good;   /* this generation's points */
        double efficiency;                   /* good / evaluated of this generation */
        int64_t total_evaluated, total_good; /* the whole run so far (start_from points excluded) */
        double total_efficiency;
        int64_t ntrain, nmodel, nrandom, nsmote, npass;
        double random_fraction;
        double train_loss, val_loss;
        int32_t epochs;
        double train_seconds, propose_seconds;
        double elapsed;         /* seconds since the start of the run, at completion */
        int64_t nfill;          /* random points rank 0 added while its learning thread was busy (async) */
        double physics_seconds; /* the workers' wall time evaluating this generation's points */
        /* rank 0's main thread while this was the newest generation: results and dispatch, checkpoints, waiting */
        double dispatch_seconds, io_seconds, idle_seconds;
        int64_t queued; /* not a column: points of it still in rank 0's queue (async), not yet dispatched */
};

struct mls_gens {
        int64_t n, cap;          /* generations started: rows[0 .. n) hold generations 0 .. n-1 */
        struct mls_gen_row *row; /* proposed/evaluated/good count dispatched and returned points */
        int64_t complete;        /* generations [0, complete) are complete */
        int64_t written;         /* generations [0, written) are in the file */
};

void mls_gens_init(struct mls_gens *g);
void mls_gens_fini(struct mls_gens *g);
/* mls_gens_start - the method started generation info->generation (= g->n). */
void mls_gens_start(struct mls_gens *g, const struct mls_gen_info *info);
/* mls_gens_dispatched / mls_gens_result - a point of generation @gen left / came back. */
void mls_gens_dispatched(struct mls_gens *g, int32_t gen);
void mls_gens_result(struct mls_gens *g, int32_t gen, bool good, double seconds);
/* mls_gens_fill - a random fill-in point joined generation @gen and left. */
void mls_gens_fill(struct mls_gens *g, int32_t gen);
/*
 * mls_gens_close - mark complete every generation whose points are all dispatched (queued 0)
 * and back and that is not
 * the newest one (or, with @all, every generation: the end of the run), filling in the run's
 * totals from @ds and printing one progress line each. Returns how many were completed.
 */
int64_t mls_gens_close(struct mls_gens *g, const struct mls_dataset *ds, double elapsed, bool all);

#endif /* MLSCAN_GENS_H */
