/*
 * physics.h - what a worker runs on a point: observables from parameters, and a status.
 * Built-in toy models run in process; external program chains come later (issue 5).
 */
#ifndef MLSCAN_PHYSICS_H
#define MLSCAN_PHYSICS_H

#include <stddef.h>

/* Point status, stored per point (an HDF5 enum with these names, in this order). */
enum mls_status {
        MLS_ST_OK = 0,
        MLS_ST_INVALID, /* a validity cut or the program itself says the point is unphysical */
        MLS_ST_FAILED,  /* a program exited non-zero or died of a signal */
        MLS_ST_TIMEOUT,
        MLS_ST_MISSING,    /* an output file was not produced */
        MLS_ST_UNREADABLE, /* an output file could not be parsed */
        MLS_ST_NONFINITE,  /* an observable is NaN or infinite */
        MLS_ST_COUNT,
        /* not a status of the file: the evaluation was cut short by a stop signal (the point is re-run on resume) */
        MLS_ST_INTERRUPTED = -1
};
/* mls_status_name - lower-case name of @st ("ok", "invalid", ...). */
const char *mls_status_name(int st);

/* A built-in toy model: dimension 0 takes any number of parameters (at least min_dim). */
struct mls_builtin {
        const char *name;
        int dim;
        int min_dim;
        int nobs;
        const char *const *obs_names;
        const char *summary;
        /* evaluate @x[d]; fill @obs[nobs]; return an mls_status */
        int (*eval)(const double *x, int d, double *obs);
};

/* mls_builtin_count / mls_builtin_get - the table of built-in models, in a stable order. */
int mls_builtin_count(void);
const struct mls_builtin *mls_builtin_get(int i);
/* mls_builtin_find - index of the model called @name, or -1. */
int mls_builtin_find(const char *name);

#endif /* MLSCAN_PHYSICS_H */
