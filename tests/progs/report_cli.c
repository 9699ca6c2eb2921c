/*
 * report_cli - a stand-in for `mlscan info` and `mlscan export` until they are wired into
 * src/cmd.c, for tests/mpi/report.sh:
 *   report_cli info FILE
 *   report_cli export FILE [--good] [--tsv] [--terms] [-o OUT]
 * Exit status as mlscan's: 0 success, 2 bad command line, 1 an unreadable file.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mlscan/err.h"
#include "mlscan/report.h"

static int usage(const char *msg)
{
        fprintf(stderr,
                "mlscan: %s (usage: report_cli info FILE | report_cli export FILE [--good] [--tsv] [--terms] [-o OUT])\n",
                msg);
        return 2;
}

int main(int argc, char **argv)
{
        struct mls_export_opts o = {.sep = ','};
        const char *path = NULL, *outpath = NULL;
        char err[1200];
        FILE *out = stdout;
        mls_rc rc;

        if (argc < 3 || (strcmp(argv[1], "info") != 0 && strcmp(argv[1], "export") != 0))
                return usage("expected a sub-command, info or export, and a file");
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i];
                bool exp = strcmp(argv[1], "export") == 0;

                if (exp && strcmp(a, "--good") == 0) {
                        o.good_only = true;
                } else if (exp && strcmp(a, "--tsv") == 0) {
                        o.sep = '\t';
                } else if (exp && strcmp(a, "--terms") == 0) {
                        o.all_columns = true;
                } else if (exp && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)) {
                        if (i + 1 >= argc)
                                return usage("-o needs a file name");
                        outpath = argv[++i];
                } else if (a[0] == '-' && a[1]) {
                        fprintf(stderr, "mlscan: unknown option '%s'\n", a);
                        return 2;
                } else if (!path) {
                        path = a;
                } else {
                        return usage("one file at a time");
                }
        }
        if (!path)
                return usage("no file given");
        if (outpath && !(out = fopen(outpath, "w"))) {
                fprintf(stderr, "mlscan: %s: cannot create: %s\n", outpath, strerror(errno));
                return 1;
        }
        if (strcmp(argv[1], "info") == 0)
                rc = mls_report_info(path, out, err, sizeof(err));
        else
                rc = mls_report_export(path, &o, out, err, sizeof(err));
        if (outpath && fclose(out) != 0 && rc == MLS_OK) {
                fprintf(stderr, "mlscan: %s: %s\n", outpath, strerror(errno));
                rc = MLS_ERR_IO;
        }
        return mls_rc_exit_status(rc);
}
