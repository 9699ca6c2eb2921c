/*
 * store_report.h - private to src/report.c, src/predict.c and src/store*.c: the serial HDF5 reading
 * behind `mlscan info` and `mlscan export`, kept apart so that only src/store*.c know HDF5.
 * include/ never includes this header.
 *
 * Every function is serial (no communicator), opens nothing but the file read-only with HDF5's
 * default (sec2) driver, keeps HDF5's error printing off while it runs, and reads only the
 * committed rows, those below /points@rows. A failure leaves one line "FILE: reason" in the
 * caller's @err and returns MLS_ERR_IO.
 */
#ifndef MLSCAN_STORE_REPORT_H
#define MLSCAN_STORE_REPORT_H

#include <hdf5.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mlscan/err.h"

typedef struct mls_rfile mls_rfile; /* opaque; defined in src/store_report.c */

/* The file's description, read at open. Strings are NULL when the attribute is absent. */
struct mls_rmeta {
        char *run_name, *method, *start_time, *mlscan_version, *card_path, *physics;
        int64_t seed, ranks;
        bool have_seed, have_ranks;
        double nll_below;
        bool have_nll_below;
        char **card_summary;               /* root attribute card_summary: canonical "key = value" lines */
        int ncard_summary;                 /* -1: no such attribute */
        char **pnames, **onames, **tnames; /* /points@parameter_names, observable_names, term_names */
        int np, no, nt;
        char **snames, **orinames; /* /points@status_names, origin_names: value i is name i */
        int ns, nori;
        int64_t rows;     /* /points@rows: the committed rows */
        int64_t gen_rows; /* /generations@rows; 0 without /generations */
        size_t error_len; /* bytes per /points/error string (fixed size, NUL-padded) */
        /* /model: the attributes present, if the group exists */
        bool have_model;
        bool have_mgen, have_nin, have_nout, have_hidden, have_step;
        int32_t mgen, nin, nout;
        int32_t *hidden; /* nhidden widths */
        int nhidden;
        int64_t step;
        char *activation, *output; /* NULL when absent */
        /* /checkpoint@commit, if present: the last commit's sequence number and row count */
        bool have_checkpoint;
        int64_t ckpt_sequence, ckpt_rows;
        int ckpt_complete; /* 1: the run ended, 0: it had not, -1: not recorded */
};

/*
 * mls_rfile_open - open the mlscan output @path and read its description.
 * On MLS_OK *@out is owned by caller (release with mls_rfile_close()). On MLS_ERR_IO @err holds
 * "path: reason" (not an HDF5 file, no /points, no /points@rows, a column missing or shorter than
 * /points@rows, ...).
 */
mls_rc mls_rfile_open(const char *path, mls_rfile **out, char *err, size_t errlen);

/* mls_rfile_close - close; NULL-safe; sets *@f to NULL. */
void mls_rfile_close(mls_rfile **f);

/* mls_rfile_meta - the description read at open, borrowed from @f (valid until it is closed). */
const struct mls_rmeta *mls_rfile_meta(const mls_rfile *f);

/* The /points columns a read fills: a bit set of these. */
enum mls_rcol {
        MLS_RCOL_ID = 1u << 0,
        MLS_RCOL_GENERATION = 1u << 1,
        MLS_RCOL_ORIGIN = 1u << 2,
        MLS_RCOL_WORKER = 1u << 3,
        MLS_RCOL_STATUS = 1u << 4,
        MLS_RCOL_X = 1u << 5,
        MLS_RCOL_OBS = 1u << 6,
        MLS_RCOL_TERMS = 1u << 7,
        MLS_RCOL_NLL = 1u << 8,
        MLS_RCOL_GOOD = 1u << 9,
        MLS_RCOL_SECONDS = 1u << 10,
        MLS_RCOL_ERROR = 1u << 11,
};

/*
 * A block of /points rows, column by column; a column not asked for is left alone.
 * x, obs and terms are row-major (n x np, n x no, n x nt); error is n strings of
 * meta->error_len bytes each, NUL-padded and not necessarily NUL-terminated.
 * Caller-owned: zero it, then release with mls_rblock_fini().
 */
struct mls_rblock {
        int64_t n, cap;
        int64_t *id;
        int32_t *generation, *worker;
        int8_t *origin, *status, *good; /* origin i is meta->orinames[i], status i meta->snames[i] */
        double *x, *obs, *terms, *nll, *seconds;
        char *error;
};
void mls_rblock_fini(struct mls_rblock *b);

/*
 * mls_rfile_read_range - the columns @cols of the @n rows from row @start (in file order) into
 * @b, which grows as needed. start + n must not exceed meta->rows.
 */
mls_rc mls_rfile_read_range(mls_rfile *f, unsigned cols, int64_t start, int64_t n, struct mls_rblock *b,
                            char *err, size_t errlen);

/*
 * mls_rfile_read_rows - the columns @cols of the rows at the file positions @pos[0..n) (each below
 * meta->rows, any order) into @b, in the order of @pos.
 */
mls_rc mls_rfile_read_rows(mls_rfile *f, unsigned cols, const int64_t *pos, int64_t n, struct mls_rblock *b,
                           char *err, size_t errlen);

/* One row of /generations: the columns `mlscan info` shows. */
struct mls_rgen {
        int64_t generation, evaluated, good, ntrain, epochs;
        double efficiency, total_efficiency, train_loss, val_loss, train_seconds;
};

/*
 * mls_rfile_read_gens - the meta->gen_rows rows of /generations into *@rows, owned by caller
 * (release with free()); *@rows is NULL when there are none.
 */
mls_rc mls_rfile_read_gens(mls_rfile *f, struct mls_rgen **rows, char *err, size_t errlen);

/*
 * mls_h5_strings - the string attribute @name of @obj (a scalar or a list, variable-length or
 * fixed-size, trailing blanks dropped) into *@out, a NULL-terminated array owned by caller
 * (free each string and the array), and its length *@n. Returns 1 when read, 0 when there is
 * no such attribute, -1 when it is not readable strings. Shared by src/store*.c.
 */
int mls_h5_strings(hid_t obj, const char *name, char ***out, int *n);

#endif /* MLSCAN_STORE_REPORT_H */
