/* main.c - mlscan: sequence the phases; every other decision lives in a module. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "mlscan/cmd.h"
#include "mlscan/log.h"
#include "mlscan/store.h"

int main(int argc, char **argv)
{
        struct mls_opts opts;
        char err[512];
        MPI_Comm comm;
        mls_rc rc;

        MPI_Init(&argc, &argv);
        rc = mls_opts_parse(argc, argv, &opts, err, sizeof(err));
        mls_log_init(MPI_COMM_WORLD, opts.verbosity < 0   ? MLS_LOG_WARN
                                     : opts.verbosity > 0 ? MLS_LOG_DEBUG
                                                          : MLS_LOG_INFO);
        mls_store_quiet();
        /* A private communicator whose errors come back as return codes. */
        MPI_Comm_dup(MPI_COMM_WORLD, &comm);
        MPI_Comm_set_name(comm, "mlscan");
        MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
        if (rc != MLS_OK)
                mls_report(comm, err);
        else
                rc = mls_cmd_run(comm, &opts);
        MPI_Comm_free(&comm);
        MPI_Finalize();
        return mls_rc_exit_status(rc);
}
