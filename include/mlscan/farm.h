/*
 * farm.h - the run: rank 0 coordinates (method, dataset, dispatch, checkpoints), the
 * other ranks evaluate points and write what they evaluated at each checkpoint.
 * The only module that sends point-to-point MPI messages.
 */
#ifndef MLSCAN_FARM_H
#define MLSCAN_FARM_H

#include <stdbool.h>
#include <mpi.h>
#include "mlscan/card.h"
#include "mlscan/err.h"
#include "mlscan/store.h"

struct mls_seed;
struct mls_rows;
struct mls_blob;
struct mls_evaluator;
struct mls_farm_opts {
        int inflight;                /* points in flight per worker */
        struct mls_evaluator *ev;    /* this rank's evaluator (rank 0: only when alone), borrowed */
        const struct mls_seed *seed; /* rank 0: points of run.start_from (NULL or empty: none) */
        /* rank 0, resuming: the file's committed rows and the checkpoint state (NULL: a fresh run) */
        const struct mls_rows *resume_points;
        struct mls_blob *resume_state;
        double read_seconds; /* the time reopening the file and reading them took (for the log) */
};

/*
 * mls_farm_run - run the scan of @card, writing rows into @store, checkpointing as the card
 * says. Collective over @comm. With one rank, rank 0 evaluates the points itself.
 * MLS_STOPPED when a stop signal ended the run after its final checkpoint (resumable).
 */
mls_rc mls_farm_run(MPI_Comm comm, const struct mls_card *card, mls_store *store,
                    const struct mls_farm_opts *opts);

#endif /* MLSCAN_FARM_H */
