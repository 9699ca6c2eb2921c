/*
 * rows.h - a columnar buffer of evaluated points: what a rank has evaluated since the
 * last checkpoint, in the layout of the output file's /points group.
 */
#ifndef MLSCAN_ROWS_H
#define MLSCAN_ROWS_H

#include <stdint.h>

/* How a point was proposed (an HDF5 enum with these names, in this order). */
enum mls_origin {
        MLS_ORIGIN_RANDOM = 0,
        MLS_ORIGIN_MODEL,
        MLS_ORIGIN_SMOTE,
        MLS_ORIGIN_SEED,
        MLS_ORIGIN_COUNT
};
const char *mls_origin_name(int origin);

/* A failed point's reason ("program: why"), stored per point in /points/error. */
#define MLS_ERROR_LEN 160

/* Plain data; the widths are fixed at init. Column arrays hold n rows of cap. */
struct mls_rows {
        int d, m, k; /* parameters, observables, likelihood terms */
        int nkeep;   /* output files kept per row (physics.keep) */
        int64_t n, cap;
        int64_t *id;
        int32_t *generation;
        int8_t *origin;
        int32_t *worker;
        int8_t *status;
        double *u, *x; /* n x d, row-major */
        double *obs;   /* n x m */
        double *terms; /* n x k */
        double *nll;
        int8_t *good;
        double *seconds;
        char *error;   /* n x MLS_ERROR_LEN, NUL-padded */
        int64_t *kept; /* n x nkeep: bytes of each kept file (-1: the file was not there) */
        char *blob;    /* the kept files' bytes, row after row, file after file */
        int64_t blob_n, blob_cap;
};

/* One evaluated point, as the evaluator fills it (pointers borrowed). */
struct mls_row {
        int64_t id;
        int32_t generation;
        int8_t origin;
        int32_t worker;
        int8_t status;
        const double *u, *x, *obs, *terms;
        double nll;
        int8_t good;
        double seconds;
        const char *error;       /* NULL or "" when none */
        const char *const *kept; /* nkeep files' bytes (NULL: none at all) */
        const int64_t *kept_len; /* their lengths, -1 for a missing file */
};

/* mls_rows_init - an empty buffer for widths @d, @m, @k and @nkeep kept files per row;
 * release with mls_rows_fini(). */
void mls_rows_init(struct mls_rows *r, int d, int m, int k, int nkeep);
void mls_rows_fini(struct mls_rows *r);
/* mls_rows_append - copy @row in, growing the buffer (aborts when out of memory). */
void mls_rows_append(struct mls_rows *r, const struct mls_row *row);
/* mls_rows_clear - forget the rows, keep the memory. */
void mls_rows_clear(struct mls_rows *r);
/* mls_rows_reserve - room for @n rows (a bulk read fills them directly; the caller sets n). */
void mls_rows_reserve(struct mls_rows *r, int64_t n);

#endif /* MLSCAN_ROWS_H */
