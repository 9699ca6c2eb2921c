/*
 * cmd.h - the command line and the sub-commands. A new sub-command is one function in
 * src/cmd.c (or a file of its own) and one line in its table.
 */
#ifndef MLSCAN_CMD_H
#define MLSCAN_CMD_H

#include <stdbool.h>
#include <mpi.h>
#include "mlscan/err.h"

struct mls_opts {
        int command;        /* index into the sub-command table */
        const char *card;   /* run card path (borrowed from argv) */
        const char *output; /* --output: overrides run.output */
        bool force;         /* --force: overwrite an existing output file */
        bool resume;        /* --resume: continue the run in the output file (a new run if there is none) */
        int threads;        /* --threads: rank 0's training threads (0: the card's model.threads) */
        /* info / export / predict */
        bool good, tsv, terms; /* export: good rows only; tab-separated; the likelihood terms too */
        const char *points;    /* predict: a CSV file of points */
        int ngrid, nfix;       /* predict: --grid NAME=N[:LO:HI], --fix NAME=VALUE */
        const char *grid[8], *fix[64];
        int verbosity; /* -q: -1, default 0, -v: 1 */
        bool help, version;
};

/*
 * mls_opts_parse - parse @argv into @o. Not collective (every rank sees the same argv).
 * On MLS_ERR_USAGE, @err holds one line for the user.
 */
mls_rc mls_opts_parse(int argc, char **argv, struct mls_opts *o, char *err, size_t errlen);

/* mls_report - print one user-facing error line @msg from rank 0 of @comm. Not collective. */
void mls_report(MPI_Comm comm, const char *msg);

/* mls_usage - the --help text. */
void mls_usage(void);

/* mls_cmd_run - run the sub-command chosen in @o. Collective over @comm. */
mls_rc mls_cmd_run(MPI_Comm comm, const struct mls_opts *o);

#endif /* MLSCAN_CMD_H */
