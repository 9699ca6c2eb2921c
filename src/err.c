/* err.c - error codes, agreement across ranks, fatal aborts. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mlscan/err.h"
#include "mlscan/log.h"

const char *mls_rc_str(mls_rc rc)
{
        switch (rc) {
        case MLS_OK: return "success";
        case MLS_ERR_USAGE: return "usage error";
        case MLS_ERR_CONFIG: return "run card error";
        case MLS_ERR_NOMEM: return "out of memory";
        case MLS_ERR_IO: return "input/output error";
        case MLS_ERR_EXISTS: return "output exists";
        case MLS_ERR_MPI: return "MPI error";
        case MLS_ERR_HDF5: return "HDF5 error";
        case MLS_ERR_DNNL: return "oneDNN error";
        case MLS_ERR_PHYSICS: return "physics error";
        case MLS_ERR_INTERNAL: return "internal error";
        case MLS_STOPPED: return "stopped by a signal";
        }
        return "unknown error";
}

int mls_rc_exit_status(mls_rc rc)
{
        if (rc == MLS_OK)
                return 0;
        if (rc == MLS_ERR_USAGE || rc == MLS_ERR_CONFIG)
                return 2;
        if (rc == MLS_STOPPED)
                return 3;
        return 1;
}

mls_rc mls_agree(MPI_Comm comm, mls_rc rc)
{
        int in = (int)rc, out = 0;

        if (MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
                MLS_ABORT("MPI_Allreduce failed while ranks agreed on a result");
        return (mls_rc)out;
}

_Noreturn void mls_abort_at(const char *file, int line, const char *fmt, ...)
{
        char host[256] = "?", msg[1024];
        int rank = -1, inited = 0;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        gethostname(host, sizeof(host) - 1);
        MPI_Initialized(&inited);
        if (inited)
                MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        fprintf(stderr, "mlscan[%d] on %s: fatal: %s:%d: %s\n", rank, host, file, line, msg);
        fflush(stderr);
        if (inited)
                MPI_Abort(MPI_COMM_WORLD, 1);
        abort();
}

mls_rc mls_mpi_fail_at(const char *file, int line, int mrc, const char *fmt, ...)
{
        char what[512], estr[MPI_MAX_ERROR_STRING] = "";
        int elen = 0;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        MPI_Error_string(mrc, estr, &elen);
        mls_log_at(MLS_LOG_ERR, false, file, line, "MPI failed while %s: %s", what, estr);
        return MLS_ERR_MPI;
}
