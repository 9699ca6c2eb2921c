/* err.h - one error enum for all of mlscan, agreement across ranks, fatal aborts. */
#ifndef MLSCAN_ERR_H
#define MLSCAN_ERR_H

#include <mpi.h>

typedef enum mls_rc {
        MLS_OK = 0,
        MLS_STOPPED,    /* a stop signal ended the run after its final checkpoint: exit status 3
                        (lowest after OK: mls_agree() lets any error win over it) */
        MLS_ERR_USAGE,  /* bad command line: exit status 2 */
        MLS_ERR_CONFIG, /* bad run card: exit status 2 */
        MLS_ERR_NOMEM,
        MLS_ERR_IO,
        MLS_ERR_EXISTS, /* output exists and --force was not given */
        MLS_ERR_MPI,
        MLS_ERR_HDF5,
        MLS_ERR_DNNL,
        MLS_ERR_PHYSICS,
        MLS_ERR_INTERNAL,
} mls_rc;

/* mls_rc_str - a short constant description of @rc. */
const char *mls_rc_str(mls_rc rc);

/* mls_rc_exit_status - the process exit status for @rc: 0, 2 for usage/config errors, 3 stopped by a signal (resumable), else 1. */
int mls_rc_exit_status(mls_rc rc);

/*
 * mls_agree - the worst of every rank's @rc.
 * Collective over @comm (one MPI_Allreduce with MPI_MAX): every rank gets the same value,
 * non-zero if any rank failed. Call it before each collective phase a local failure
 * could make some ranks skip.
 */
mls_rc mls_agree(MPI_Comm comm, mls_rc rc);

/*
 * mls_abort_at - print "rank R on HOST: file:line: message" and MPI_Abort the whole job.
 * For states no rank can recover from; never returns.
 */
_Noreturn void mls_abort_at(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
#define MLS_ABORT(...) mls_abort_at(__FILE__, __LINE__, __VA_ARGS__)

/* mls_mpi_fail_at - log an MPI failure with MPI_Error_string(@mrc); returns MLS_ERR_MPI. */
mls_rc mls_mpi_fail_at(const char *file, int line, int mrc, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
#define MLS_MPI_FAIL(mrc, ...) mls_mpi_fail_at(__FILE__, __LINE__, (mrc), __VA_ARGS__)

#endif /* MLSCAN_ERR_H */
