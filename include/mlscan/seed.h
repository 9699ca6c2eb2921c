/*
 * seed.h - points evaluated before this run (card key run.start_from), read from a CSV file or
 * an earlier mlscan HDF5 output, to start a scan from (like BSMArt's InitCSV).
 */
#ifndef MLSCAN_SEED_H
#define MLSCAN_SEED_H

#include <stddef.h>
#include <stdint.h>
#include "mlscan/card.h"
#include "mlscan/err.h"

/* Plain data, owned by caller (release with mls_seed_free()). Arrays are row-major. */
struct mls_seed {
        int64_t n;       /* points read */
        int d, m;        /* parameters, observables (as the card / physics model) */
        double *u;       /* n x d: unit-cube coordinates, from physical x through the card's priors */
        double *obs;     /* n x m: observables, NaN where missing/empty/"nan" */
        int8_t *status;  /* n: enum mls_status (physics.h); MLS_ST_OK unless the file says otherwise */
        int64_t skipped; /* rows outside the card's parameter ranges, not kept */
};

/*
 * mls_seed_read - read @path: an mlscan HDF5 output (recognised by the HDF5 signature) or a CSV.
 * Columns are matched by name: every parameter of @card (physical values) and every one of the
 * @m observables @obs_names must be present; other columns are ignored. CSV: first line a header,
 * fields separated by commas (spaces around fields allowed; '#' lines ignored), optional "status"
 * column holding a status name ("ok", "failed", ... as mls_status_name) or its number.
 * HDF5: /points/x with attr parameter_names on /points, /points/obs with observable_names,
 * /points/status, only the first /points@rows rows.
 * A status-ok row whose observables are not all finite gets MLS_ST_NONFINITE.
 * Rows whose parameters fall outside the card's ranges are skipped and counted in ->skipped.
 * Errors: MLS_ERR_CONFIG (or MLS_ERR_IO for unreadable files) with one line in @err:
 * "path:line: message" for CSV (line 1-based; e.g. a missing column names the column, a bad
 * number names the column and the text, a row with the wrong number of fields), "path: message"
 * for HDF5. Serial, not collective.
 * All arguments are borrowed. On MLS_OK *@out is owned by caller (release with mls_seed_free());
 * on error it is left empty (all zero).
 */
mls_rc mls_seed_read(const char *path, const struct mls_card *card, int m, const char *const *obs_names,
                     struct mls_seed *out, char *err, size_t errlen);

/* mls_seed_free - release what @s owns and zero it. NULL-safe. */
void mls_seed_free(struct mls_seed *s);

#endif /* MLSCAN_SEED_H */
