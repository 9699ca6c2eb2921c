/*
 * dataset.h - rank 0's record of every point proposed and evaluated, indexed by point id
 * (ids are 0, 1, 2, ... in proposal order). Methods read it to learn; the farm writes it.
 * Plain data, read-only outside src/dataset.c.
 */
#ifndef MLSCAN_DATASET_H
#define MLSCAN_DATASET_H

#include <stdbool.h>
#include <stdint.h>

struct mls_dataset {
        int d, m;       /* parameters, observables */
        int64_t n, cap; /* points proposed: ids 0 .. n-1 */
        double *u;      /* n x d */
        int8_t *origin;
        int32_t *generation;
        int8_t *done; /* result received */
        int8_t *status;
        int8_t *good;
        double *nll;
        double *obs; /* n x m */
        int64_t n_done, n_good;
        int64_t n_seed, n_seed_good; /* of those, read from start_from (not evaluated in this run) */
};

void mls_dataset_init(struct mls_dataset *ds, int d, int m);
void mls_dataset_fini(struct mls_dataset *ds);
/* mls_dataset_propose - record a new proposal and return its id. */
int64_t mls_dataset_propose(struct mls_dataset *ds, const double *u, int origin, int32_t generation);
/*
 * mls_dataset_record - record the result for point @id (proposed, not yet done).
 * Returns false (and records nothing) for an unknown or already recorded id.
 */
bool mls_dataset_record(struct mls_dataset *ds, int64_t id, int status, double nll, bool good,
                        const double *obs);

/*
 * mls_dataset_seed - record a point evaluated before this run (origin seed, generation -1),
 * done at once. Seeds come before every proposal. Returns its id.
 */
int64_t mls_dataset_seed(struct mls_dataset *ds, const double *u, int status, double nll, bool good,
                         const double *obs);

#endif /* MLSCAN_DATASET_H */
