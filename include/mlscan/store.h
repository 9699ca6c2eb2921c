/*
 * store.h - the run's one HDF5 file, written collectively through MPI-IO.
 * Only src/store.c knows HDF5. Layout (format 1):
 *   /                attrs: format_version, mlscan_version, run_name, method, seed, ranks,
 *                    start_time, card_path, run_card (the card's full text)
 *   /points          attrs: rows (committed row count, written last at each checkpoint),
 *                    parameter_names, observable_names, term_names, status_names, origin_names
 *   /points/{id, generation, origin, worker, status, u, x, obs, terms, nll, good, seconds}
 * Readers trust /points@rows over the datasets' extent.
 */
#ifndef MLSCAN_STORE_H
#define MLSCAN_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <mpi.h>
#include "mlscan/card.h"
#include "mlscan/err.h"
#include "mlscan/rows.h"

typedef struct mls_store mls_store;

/* Silence HDF5's own error printing (from every rank); call once at start-up. */
void mls_store_quiet(void);

/*
 * mls_store_create - create @path for the run described by @card with observable names
 * @obs_names[m], refusing an existing file unless @force.
 * Collective over @comm; returns the same mls_rc on every rank; rank 0 logs the reason.
 * On MLS_OK *out is owned by caller (release with mls_store_close()).
 */
mls_rc mls_store_create(MPI_Comm comm, const char *path, bool force, const struct mls_card *card, int m,
                        const char *const *obs_names, mls_store **out);

/*
 * mls_store_append - append every rank's @rows (any count, zero included) and commit:
 * the new row count is written last, then the file is flushed.
 * Collective over the store's communicator; same mls_rc on every rank.
 * *@total receives the committed row count.
 */
mls_rc mls_store_append(mls_store *s, const struct mls_rows *rows, int64_t *total);

/* mls_store_close - close and flush; collective; NULL-safe; sets *@s to NULL. */
mls_rc mls_store_close(mls_store **s);

#endif /* MLSCAN_STORE_H */
