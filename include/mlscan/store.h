/*
 * store.h - the run's one HDF5 file, written collectively through MPI-IO.
 * Only src/store.c knows HDF5. Layout (format 1):
 *   /                attrs: format_version, mlscan_version, run_name, method, seed, ranks,
 *                    start_time, card_path, run_card (the card's full text)
 *   /points          attrs: rows (committed row count, written last at each checkpoint),
 *                    parameter_names, observable_names, term_names, status_names, origin_names
 *   /points/{id, generation, origin, worker, status, u, x, obs, terms, nll, good, seconds}
 *   /generations     attrs: rows; one 1-D column per field of struct mls_gen_row (gens.h):
 *                    generation, proposed, evaluated, good, efficiency, total_*, ntrain, nmodel,
 *                    nrandom, nsmote, npass, random_fraction, train_loss, val_loss, epochs,
 *                    train_seconds, propose_seconds, elapsed (one row per complete generation)
 *   /model           the latest network: attrs generation, nin, nout, hidden (widths), activation,
 *                    output, step, scaled; datasets params, adam_m, adam_v (float32, layer by
 *                    layer: weights out x in row-major, then biases), x_mean, x_std, y_mean, y_std
 * Readers trust /points@rows over the datasets' extent.
 */
#ifndef MLSCAN_STORE_H
#define MLSCAN_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <mpi.h>
#include "mlscan/card.h"
#include "mlscan/err.h"
#include "mlscan/nn.h"
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

/*
 * mls_store_append_generations - append rank 0's @n generation rows @rows to /generations
 * (other ranks pass anything; rank 0's @n is broadcast). Flushed with the next append.
 * Collective; same mls_rc on every rank.
 */
struct mls_gen_row;
mls_rc mls_store_append_generations(mls_store *s, const struct mls_gen_row *rows, int64_t n);

/*
 * mls_store_write_model - write (or overwrite) /model with the network state @st of
 * generation @generation, then flush. @st is read on rank 0 only (other ranks may pass NULL):
 * rank 0 broadcasts the shapes and writes the data. Collective; same mls_rc on every rank.
 */
mls_rc mls_store_write_model(mls_store *s, const struct mls_nn_state *st, int32_t generation);

/*
 * mls_store_read_model - read /model of the file @path into @st, whose arrays are then owned
 * by caller (release with mls_store_model_free()). Not collective (plain serial read).
 * MLS_ERR_IO when the file or its model is missing, with the reason logged.
 */
mls_rc mls_store_read_model(const char *path, struct mls_nn_state *st, int32_t *generation);
void mls_store_model_free(struct mls_nn_state *st);

/*
 * mls_store_read_card - the run card text and the path it was read from, as stored in the
 * output @path; both owned by caller (free()). Not collective. MLS_ERR_IO, logged, when absent.
 */
mls_rc mls_store_read_card(const char *path, char **text, char **card_path);

/*
 * mls_store_commit - make everything appended since the last commit count: rank 0's
 * checkpoint state @state (other ranks pass NULL) goes into the slot the last commit does
 * not name, the file is flushed, then one attribute /checkpoint@commit names the new slot
 * and the row counts, then /points@rows and /generations@rows, flushed again. A kill at
 * any instant leaves the previous commit whole. @complete: the run ended (not stopped).
 * Collective; same mls_rc on every rank.
 */
struct mls_blob;
mls_rc mls_store_commit(mls_store *s, const struct mls_blob *state, bool complete);

/* What the last commit of a file says. */
struct mls_store_commit {
        int64_t sequence; /* 0: never committed */
        int64_t slot, points_rows, generation_rows, state_bytes;
        bool complete;
};

/*
 * mls_store_open - reopen the output @path of an earlier run to resume it: the datasets of
 * the card's shape (@m observables), the last commit into @commit, and on rank 0 the
 * card_summary lines of the run that made it into *@summary (NULL-terminated; release with
 * mls_card_describe_free()). Rows after the commit are overwritten by the next append.
 * Collective; same mls_rc on every rank (MLS_ERR_IO: no such file; MLS_ERR_CONFIG: not a
 * resumable mlscan file or another shape), the reason logged by rank 0.
 */
mls_rc mls_store_open(MPI_Comm comm, const char *path, const struct mls_card *card, int m, char ***summary,
                      struct mls_store_commit *commit, mls_store **out);

/* mls_store_read_state - rank 0's checkpoint state of commit @c into @b (rank 0). Collective. */
mls_rc mls_store_read_state(mls_store *s, const struct mls_store_commit *c, struct mls_blob *b);

/*
 * mls_store_read_committed - the committed rows into @r on rank 0 (id, generation, origin,
 * status, u, obs, nll, good; the other columns are left zero). Collective.
 */
struct mls_rows;
mls_rc mls_store_read_committed(mls_store *s, struct mls_rows *r);

/* mls_store_close - close and flush; collective; NULL-safe; sets *@s to NULL. */
mls_rc mls_store_close(mls_store **s);

#endif /* MLSCAN_STORE_H */
