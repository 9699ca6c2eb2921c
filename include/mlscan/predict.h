/*
 * predict.h - `mlscan predict OUT.h5`: evaluate the saved network of a learning run (the
 * surrogate) on points of a CSV file or on a grid, the other parameters fixed.
 */
#ifndef MLSCAN_PREDICT_H
#define MLSCAN_PREDICT_H

#include <stdio.h>
#include "mlscan/err.h"

struct mls_predict_opts {
        const char *points; /* a CSV file with a column per parameter (physical values), or NULL */
        int ngrid, nfix;    /* --grid NAME=N[:LO:HI] (first varies slowest); --fix NAME=VALUE */
        const char *const *grid, *const *fix;
};

/*
 * mls_predict - write CSV to @out: a '#' line naming the model, a header (the parameters, then
 * pred_nll for dnnr and mls, p_good for dnnc), one row per point. Parameters neither gridded nor
 * fixed take the values of the run's best point (lowest NLL of status ok). The run card is read
 * from the file and must still parse here (its template files and programs are looked up).
 * Not collective. Errors: MLS_ERR_USAGE (bad options), MLS_ERR_IO or MLS_ERR_CONFIG, with one
 * line "mlscan: ..." in @err for the caller to print.
 */
mls_rc mls_predict(const char *path, const struct mls_predict_opts *o, FILE *out, char *err, size_t len);

#endif /* MLSCAN_PREDICT_H */
