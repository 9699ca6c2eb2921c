/*
 * report.h - read-only sub-commands for analysing an mlscan output file afterwards:
 * `mlscan info FILE` (a summary for humans) and `mlscan export FILE` (CSV or TSV for pandas,
 * ROOT, spreadsheets). Both read the file serially with HDF5's default driver, so they work on
 * a file another run is still writing or that a killed run left: only the rows below
 * /points@rows (the committed count) are read.
 */
#ifndef MLSCAN_REPORT_H
#define MLSCAN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "mlscan/err.h"

/* What `mlscan export` writes. Plain data. */
struct mls_export_opts {
        bool good_only;   /* --good: only the rows with good = 1 */
        char sep;         /* ',' (CSV, the default) or '\t' (--tsv) */
        bool all_columns; /* --terms: also the likelihood terms, one column term:OBS:kind each */
};

/*
 * mls_report_info - print a summary of the mlscan output @path to @out: the run (name, method,
 * seed, ranks, start time, version, card, physics), the card summary or the names of the
 * parameters, observables and likelihood terms, the count and share of every status, the good
 * count and efficiency, the per-generation table of a learning method, the 10 best points of
 * status ok by nll, the saved model and the last checkpoint.
 * Not collective (serial reading; call it on one rank). Arguments borrowed.
 * Errors: MLS_ERR_USAGE for a NULL or empty @path or NULL @out; MLS_ERR_IO when @path is not a
 * readable mlscan file. On error one line "mlscan: FILE: reason" is printed to stderr and also
 * left in @err (without a newline), so the caller need not print it again.
 */
mls_rc mls_report_info(const char *path, FILE *out, char *err, size_t errlen);

/*
 * mls_report_export - write the committed rows of the mlscan output @path to @out as CSV (or TSV,
 * per @o): a header line, then one line per row sorted by id, with the columns
 *   id,generation,origin,worker,status,<parameters>,<observables>[,term:<terms>],nll,good,seconds,error
 * origin and status by name, good as 0/1, reals with %.17g (they read back bit for bit; NaN and
 * infinities as nan, inf, -inf), fields quoted as RFC 4180 says when they hold the separator, a
 * double quote or a line break. Streams: holds one block of rows and one int64 per row (the id
 * order), whatever the file's size.
 * Not collective. Arguments borrowed. Errors as mls_report_info(), plus MLS_ERR_USAGE for a bad
 * @o->sep and MLS_ERR_IO when writing to @out fails.
 */
mls_rc mls_report_export(const char *path, const struct mls_export_opts *o, FILE *out, char *err,
                         size_t errlen);

#endif /* MLSCAN_REPORT_H */
