/* cmd.c - the command line, reading the run card once, and the sub-commands run and check. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlscan/blob.h"
#include "mlscan/card.h"
#include "mlscan/cmd.h"
#include "mlscan/eval.h"
#include "mlscan/farm.h"
#include "mlscan/likelihood.h"
#include "mlscan/log.h"
#include "mlscan/method.h"
#include "mlscan/physics.h"
#include "mlscan/predict.h"
#include "mlscan/report.h"
#include "mlscan/rng.h"
#include "mlscan/rows.h"
#include "mlscan/seed.h"
#include "mlscan/store.h"
#include "mlscan/util.h"

static mls_rc cmd_run(MPI_Comm comm, const struct mls_opts *o);
static mls_rc cmd_check(MPI_Comm comm, const struct mls_opts *o);
static mls_rc cmd_info(MPI_Comm comm, const struct mls_opts *o);
static mls_rc cmd_export(MPI_Comm comm, const struct mls_opts *o);
static mls_rc cmd_predict(MPI_Comm comm, const struct mls_opts *o);

static const struct {
        const char *name;
        mls_rc (*fn)(MPI_Comm comm, const struct mls_opts *o);
} commands[] = {
        {"run", cmd_run},       {"check", cmd_check},     {"info", cmd_info},
        {"export", cmd_export}, {"predict", cmd_predict},
};
#define NCOMMANDS ((int)(sizeof(commands) / sizeof(commands[0])))

static int command_find(const char *name)
{
        for (int i = 0; i < NCOMMANDS; i++)
                if (!strcmp(commands[i].name, name))
                        return i;
        return -1;
}

void mls_report(MPI_Comm comm, const char *msg)
{
        int rank = 0;

        MPI_Comm_rank(comm, &rank);
        if (rank == 0) {
                fprintf(stderr, "%s\n", msg);
                fflush(stderr);
        }
}

void mls_usage(void)
{
        printf("Usage: mpirun -n N mlscan [run] CARD.yaml [--output FILE] [--force | --resume] [--threads N] [-q|-v]\n"
               "       mlscan check CARD.yaml\n"
               "       mlscan info OUT.h5\n"
               "       mlscan export OUT.h5 [--good] [--tsv] [--terms] [-o FILE]\n"
               "       mlscan predict OUT.h5 (--points FILE.csv | --grid NAME=N[:LO:HI]...) [--fix NAME=VALUE...] [-o FILE]\n"
               "       mlscan --help | --version\n"
               "\n"
               "mlscan scans a model's parameter space, proposing points with a neural network\n"
               "trained on the points evaluated so far, and writes every point to one HDF5 file.\n"
               "\n"
               "Commands:\n"
               "  run      run the scan the card describes (the default command); rank 0\n"
               "           coordinates, the other ranks evaluate points; one rank alone also works\n"
               "  check    validate the card and evaluate one point (the scan's first random draw),\n"
               "           printing its parameters, observables, likelihood terms and NLL\n"
               "  info     summarise an output file: card, counts by status, generations, best points,\n"
               "           model, last checkpoint\n"
               "  export   an output file's committed points as CSV (or TSV), sorted by id\n"
               "  predict  the saved network of a learning run on points of a CSV file or on a grid,\n"
               "           the other parameters fixed (default: at the best point)\n"
               "\n"
               "Options:\n"
               "  -o, --output FILE  run: write to FILE instead of the card's run.output;\n"
               "                     info, export, predict: write there instead of stdout\n"
               "  -f, --force        overwrite an existing output file (otherwise it is refused)\n"
               "      --resume       continue the run in the output file from its last checkpoint\n"
               "                     (a new run if the file does not exist yet); the card may\n"
               "                     change only stop.*, run.checkpoint_*, run.output, scratch,\n"
               "                     kill_grace, program timeouts and model.threads\n"
               "      --threads N    run: rank 0 trains with N threads (overrides model.threads;\n"
               "                     for a job script that gives rank 0 N cores)\n"
               "      --good         export: good points only\n"
               "      --tsv          export: tab-separated\n"
               "      --terms        export: also the likelihood terms\n"
               "      --points FILE  predict: a CSV file with a column per parameter\n"
               "      --grid NAME=N[:LO:HI]  predict: N values of NAME (default over its range)\n"
               "      --fix NAME=VALUE       predict: a parameter held fixed\n"
               "  -q, --quiet        print warnings and errors only\n"
               "  -v, --verbose      print debug messages\n"
               "  -h, --help         print this help and exit\n"
               "  -V, --version      print the version and exit\n"
               "\n"
               "Methods (run.method):\n");
        for (int i = 0; i < mls_method_count(); i++)
                printf("  %-8s %s\n", mls_method_get(i)->name, mls_method_get(i)->summary);
        printf("\n"
               "Physics (physics section): a built-in toy model, or a chain of external programs\n"
               "(SPheno, HiggsBounds, HiggsSignals, your own) run per point in a scratch directory,\n"
               "with input templates, timeouts, SLHA/table/text readers and a status per point.\n"
               "\n"
               "SIGTERM, SIGINT or SIGUSR1 end a run with a final checkpoint (exit status 3);\n"
               "mlscan CARD.yaml --resume continues it.\n"
               "\n"
               "Exit status: 0 success, 2 bad command line or run card, 3 stopped by a signal\n"
               "(resumable), 1 any other failure.\n"
               "Run card reference: man mlscan, and share/mlscan/examples/*.yaml\n"
               "(examples/chain/2hdm.yaml: a SPheno -> HiggsBounds -> HiggsSignals chain).\n");
}

mls_rc mls_opts_parse(int argc, char **argv, struct mls_opts *o, char *err, size_t errlen)
{
        bool have_command = false;

        memset(o, 0, sizeof(*o));
        err[0] = '\0';
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        o->help = true;
                } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
                        o->version = true;
                } else if (!strcmp(a, "-f") || !strcmp(a, "--force")) {
                        o->force = true;
                } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
                        o->verbosity = -1;
                } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
                        o->verbosity = 1;
                } else if (!strcmp(a, "--resume")) {
                        o->resume = true;
                } else if (!strcmp(a, "--good")) {
                        o->good = true;
                } else if (!strcmp(a, "--tsv")) {
                        o->tsv = true;
                } else if (!strcmp(a, "--terms")) {
                        o->terms = true;
                } else if (!strcmp(a, "--points") || !strcmp(a, "--grid") || !strcmp(a, "--fix")) {
                        if (i + 1 >= argc || !argv[i + 1][0]) {
                                snprintf(err, errlen, "mlscan: %s needs a value (see mlscan --help)", a);
                                return MLS_ERR_USAGE;
                        }
                        if (!strcmp(a, "--points")) {
                                o->points = argv[++i];
                        } else if (!strcmp(a, "--grid") && o->ngrid < 8) {
                                o->grid[o->ngrid++] = argv[++i];
                        } else if (!strcmp(a, "--fix") && o->nfix < 64) {
                                o->fix[o->nfix++] = argv[++i];
                        } else {
                                snprintf(err, errlen, "mlscan: too many %s options", a);
                                return MLS_ERR_USAGE;
                        }
                } else if (!strcmp(a, "--threads")) {
                        char *end = NULL;
                        long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;

                        if (i + 1 >= argc || !argv[i + 1][0] || *end || v < 1 || v > 1024) {
                                snprintf(
                                        err, errlen,
                                        "mlscan: --threads needs a number from 1 to 1024 (see mlscan --help)");
                                return MLS_ERR_USAGE;
                        }
                        o->threads = (int)v;
                        i++;
                } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
                        if (i + 1 >= argc || !argv[i + 1][0]) {
                                snprintf(err, errlen, "mlscan: %s needs a file name (see mlscan --help)", a);
                                return MLS_ERR_USAGE;
                        }
                        o->output = argv[++i];
                } else if (!strncmp(a, "--output=", 9) && a[9]) {
                        o->output = a + 9;
                } else if (a[0] == '-' && a[1]) {
                        snprintf(err, errlen, "mlscan: unknown option '%s' (see mlscan --help)", a);
                        return MLS_ERR_USAGE;
                } else if (!have_command && !o->card && command_find(a) >= 0) {
                        o->command = command_find(a);
                        have_command = true;
                } else if (!o->card) {
                        o->card = a;
                } else {
                        snprintf(err, errlen, "mlscan: unexpected argument '%s' (one run card at a time)", a);
                        return MLS_ERR_USAGE;
                }
        }
        if (o->command != 0 && o->threads > 0) {
                snprintf(err, errlen, "mlscan: --threads is for run (see mlscan --help)");
                return MLS_ERR_USAGE;
        }
        if (o->command <= 1 && (o->good || o->tsv || o->terms || o->points || o->ngrid || o->nfix)) {
                snprintf(err, errlen,
                         "mlscan: --good, --tsv, --terms, --points, --grid and --fix are for "
                         "export and predict (see mlscan --help)");
                return MLS_ERR_USAGE;
        }
        if (o->command == 1 && o->resume) {
                snprintf(err, errlen, "mlscan: --resume is for run (see mlscan --help)");
                return MLS_ERR_USAGE;
        }
        if (!o->card && !o->help && !o->version) {
                snprintf(
                        err, errlen,
                        "mlscan: no run card given (usage: mlscan [run|check] CARD.yaml; see mlscan --help)");
                return MLS_ERR_USAGE;
        }
        return MLS_OK;
}

/*
 * read_card - rank 0 reads the card and broadcasts its bytes; every rank parses them.
 * Collective over @comm; rank 0 prints the one-line error.
 */
static mls_rc read_card(MPI_Comm comm, const char *path, struct mls_card *card)
{
        char err[1024] = "", msg[1100], *text = NULL;
        size_t len = 0;
        long long n = -1;
        int rank;
        mls_rc rc = MLS_OK;

        MPI_Comm_rank(comm, &rank);
        if (rank == 0 && mls_read_file(path, &text, &len, err, sizeof(err)) == 0)
                n = (long long)len;
        if (MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm) != MPI_SUCCESS)
                MLS_ABORT("broadcasting the run card length failed");
        if (n < 0) {
                snprintf(msg, sizeof(msg), "mlscan: %s", err);
                mls_report(comm, msg);
                return MLS_ERR_CONFIG;
        }
        if (rank != 0)
                text = mls_calloc((size_t)n + 1, 1);
        if (n > 0 && MPI_Bcast(text, (int)n, MPI_CHAR, 0, comm) != MPI_SUCCESS)
                MLS_ABORT("broadcasting the run card failed");
        rc = mls_card_parse(text, (size_t)n, path, card, err, sizeof(err));
        if (rc != MLS_OK) {
                snprintf(msg, sizeof(msg), "mlscan: %s", err);
                mls_report(comm, msg);
        }
        free(text);
        return mls_agree(comm, rc);
}

/*
 * read_seed - rank 0 reads run.start_from (before the output file is created, so a bad seed
 * file costs nothing); collective: every rank returns the same mls_rc, rank 0 prints the error.
 */
static mls_rc read_seed(MPI_Comm comm, const struct mls_card *card, struct mls_seed *seed)
{
        const char **names = mls_calloc((size_t)card->nobs + 1, sizeof(char *));
        char err[1024] = "", msg[1100];
        int rank;
        mls_rc rc = MLS_OK;

        MPI_Comm_rank(comm, &rank);
        for (int i = 0; i < card->nobs; i++)
                names[i] = card->obs[i].name;
        if (rank == 0) {
                rc = mls_seed_read(card->start_from, card, card->nobs, names, seed, err, sizeof(err));
                if (rc != MLS_OK) {
                        snprintf(msg, sizeof(msg), "mlscan: %s", err);
                        mls_report(comm, msg);
                } else {
                        MLS_LOG(MLS_LOG_INFO, "start_from %s: %lld points read", card->start_from,
                                (long long)seed->n);
                        if (seed->skipped > 0)
                                MLS_LOG(MLS_LOG_WARN,
                                        "start_from %s: %lld points outside the card's parameter ranges skipped",
                                        card->start_from, (long long)seed->skipped);
                }
        }
        free(names);
        return mls_agree(comm, rc);
}

/*
 * make_evaluator - every evaluating rank (the workers; rank 0 when alone) readies its
 * evaluator, which for external programs makes its scratch directory. Collective: any
 * rank's failure is every rank's, and the failing rank prints why.
 */
static mls_rc make_evaluator(MPI_Comm comm, const struct mls_card *card, struct mls_evaluator *ev, bool *made)
{
        char err[1024] = "", msg[1200];
        int rank, size;
        mls_rc rc = MLS_OK;

        MPI_Comm_rank(comm, &rank);
        MPI_Comm_size(comm, &size);
        *made = false;
        int first = size;

        if (size == 1 || rank != 0) {
                rc = mls_evaluator_init(ev, card, rank, err, sizeof(err));
                *made = rc == MLS_OK;
        }
        /* one line, from the lowest failing rank (the others failed the same way, most likely) */
        first = rc != MLS_OK ? rank : size;
        if (MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
                MLS_ABORT("MPI_Allreduce failed");
        if (first == rank) {
                snprintf(msg, sizeof(msg), "mlscan: rank %d: %s", rank, err);
                fprintf(stderr, "%s\n", msg);
                fflush(stderr);
        }
        rc = mls_agree(comm, rc);
        if (rc != MLS_OK && *made) {
                mls_evaluator_fini(ev);
                *made = false;
        }
        return rc;
}

/*
 * open_resume - reopen the output of an earlier run: the card must be the one it started
 * with but for what only extends the run (mls_card_resume_diff()); rank 0 then holds the
 * committed rows and the checkpoint state. Collective.
 */
static mls_rc open_resume(MPI_Comm comm, const struct mls_card *card, mls_store **store,
                          struct mls_store_commit *commit, struct mls_rows *pts, struct mls_blob *state)
{
        char **old = NULL, **now = NULL, diff[1024], msg[1400];
        int rank;
        mls_rc rc;

        MPI_Comm_rank(comm, &rank);
        rc = mls_store_open(comm, card->output, card, card->nobs, &old, commit, store);
        if (rc == MLS_OK && rank == 0) {
                now = mls_card_describe(card);
                if (!old) {
                        snprintf(msg, sizeof(msg), "mlscan: cannot resume %s: it holds no card_summary",
                                 card->output);
                        mls_report(comm, msg);
                        rc = MLS_ERR_CONFIG;
                } else if (mls_card_resume_diff(old, now, diff, sizeof(diff))) {
                        snprintf(
                                msg, sizeof(msg),
                                "mlscan: %s: cannot resume %s with this card: %s (only stop.*, run.checkpoint_*, "
                                "run.output, physics.scratch, keep_scratch, kill_grace, program timeouts and "
                                "model.threads may change)",
                                card->path, card->output, diff);
                        mls_report(comm, msg);
                        rc = MLS_ERR_CONFIG;
                }
                mls_card_describe_free(&old);
                mls_card_describe_free(&now);
        }
        if ((rc = mls_agree(comm, rc)) != MLS_OK || commit->sequence == 0)
                return rc;
        if ((rc = mls_store_read_state(*store, commit, state)) == MLS_OK)
                rc = mls_store_read_committed(*store, pts);
        if (rc == MLS_OK)
                MLS_LOG_ROOT(MLS_LOG_INFO, "resuming %s: checkpoint %lld, %lld rows%s", card->output,
                             (long long)commit->sequence, (long long)commit->points_rows,
                             commit->complete
                                     ? " (the run had ended: it goes on only if a stop limit was raised)"
                                     : "");
        return rc;
}

static mls_rc cmd_run(MPI_Comm comm, const struct mls_opts *o)
{
        struct mls_seed seed = {0};
        struct mls_evaluator ev;
        struct mls_farm_opts fo = {.inflight = 2, .seed = &seed, .ev = &ev};
        struct mls_store_commit commit = {0};
        struct mls_rows pts;
        struct mls_blob state;
        const char **names;
        struct mls_card card;
        mls_store *store = NULL;
        bool have_ev = false, resume = false;
        mls_rc rc, rc2;

        mls_signals_install();
        if ((rc = read_card(comm, o->card, &card)) != MLS_OK)
                return rc;
        if (o->output) {
                free(card.output);
                card.output = mls_strdup(o->output);
        }
        if (o->threads > 0)
                card.model.threads = o->threads;
        if (o->resume) {
                int exists = access(card.output, F_OK) == 0;

                MPI_Bcast(&exists, 1, MPI_INT, 0, comm);
                resume = exists != 0;
                if (!resume)
                        MLS_LOG_ROOT(MLS_LOG_INFO, "--resume: %s does not exist yet: starting a new run",
                                     card.output);
        }
        names = mls_calloc((size_t)card.nobs + 1, sizeof(char *));
        for (int i = 0; i < card.nobs; i++)
                names[i] = card.obs[i].name;
        mls_rows_init(&pts, card.nparams, card.nobs, card.nterms, 0);
        mls_blob_init(&state);
        if (resume) {
                double t0 = mls_now();

                rc = open_resume(comm, &card, &store, &commit, &pts, &state);
                fo.read_seconds = mls_now() - t0;
                if (rc == MLS_OK && commit.sequence > 0 && o->force)
                        MLS_LOG_ROOT(MLS_LOG_WARN,
                                     "--force is ignored with --resume: nothing is overwritten");
        }
        if (rc == MLS_OK && card.start_from && commit.sequence == 0)
                rc = read_seed(comm, &card, &seed);
        if (rc == MLS_OK)
                rc = make_evaluator(comm, &card, &ev, &have_ev);
        if (rc == MLS_OK && !resume)
                rc = mls_store_create(comm, card.output, o->force, &card, card.nobs, names, &store);
        if (rc == MLS_OK && commit.sequence > 0) {
                fo.resume_points = &pts;
                fo.resume_state = &state;
        }
        if (rc == MLS_OK)
                rc = mls_farm_run(comm, &card, store, &fo);
        rc2 = mls_store_close(&store);
        if (rc == MLS_OK || (rc == MLS_STOPPED && rc2 != MLS_OK))
                rc = rc2;
        if (have_ev)
                mls_evaluator_fini(&ev);
        if (rc == MLS_OK)
                MLS_LOG_ROOT(MLS_LOG_INFO, "output written to %s", card.output);
        if (rc == MLS_STOPPED)
                MLS_LOG_ROOT(
                        MLS_LOG_WARN,
                        "stopped by signal %d; the checkpoint is in %s: continue with: mlscan %s --resume%s%s",
                        mls_stop_signal(), card.output, card.path, o->output ? " --output " : "",
                        o->output ? o->output : "");
        mls_blob_fini(&state);
        mls_rows_fini(&pts);
        free(names);
        mls_seed_free(&seed);
        mls_card_fini(&card);
        return rc;
}

static void print_check(const struct mls_card *card, const struct mls_row *row)
{
        printf("run card %s: valid (%d parameters, %d observables, %d likelihood terms, method %s, physics %s)\n",
               card->path, card->nparams, card->nobs, card->nterms, mls_method_get(card->method)->name,
               card->builtin >= 0 ? mls_builtin_get(card->builtin)->name : "external programs");
        printf("point: the scan's first random draw (seed %llu)\n", (unsigned long long)card->seed);
        for (int i = 0; i < card->nparams; i++)
                printf("  %-16s = %.10g   (u = %.6f)\n", card->params[i].name, row->x[i], row->u[i]);
        printf("observables:\n");
        for (int i = 0; i < card->nobs; i++)
                printf("  %-16s = %.10g\n", card->obs[i].name, row->obs[i]);
        printf("likelihood terms (capped):\n");
        for (int i = 0; i < card->nterms; i++)
                printf("  %-16s = %.10g   (%s)\n", card->terms[i].obs, row->terms[i],
                       mls_term_kind_name(card->terms[i].kind));
        printf("status: %s%s%s\n", mls_status_name(row->status), row->error && row->error[0] ? ": " : "",
               row->error ? row->error : "");
        printf("nll: %.10g (good when below %.10g): %s\n", row->nll, card->nll_below,
               row->good ? "good" : "not good");
}

static mls_rc cmd_check(MPI_Comm comm, const struct mls_opts *o)
{
        struct mls_evaluator ev;
        struct mls_card card;
        struct mls_rng rng;
        struct mls_row row;
        char err[1024];
        double *u;
        int rank;
        mls_rc rc;

        if ((rc = read_card(comm, o->card, &card)) != MLS_OK)
                return rc;
        MPI_Comm_rank(comm, &rank);
        if (rank == 0) {
                /* The same stream the random method starts from, so check shows point 0. */
                mls_rng_init(&rng, card.seed, 0);
                u = mls_calloc((size_t)card.nparams, sizeof(double));
                for (int i = 0; i < card.nparams; i++)
                        u[i] = mls_rng_uniform(&rng);
                rc = mls_evaluator_init(&ev, &card, rank, err, sizeof(err));
                if (rc == MLS_OK) {
                        mls_evaluate(&ev, 0, u, &row);
                        print_check(&card, &row);
                        fflush(stdout);
                        mls_evaluator_fini(&ev);
                } else {
                        fprintf(stderr, "mlscan: %s\n", err);
                }
                free(u);
        }
        mls_card_fini(&card);
        return mls_agree(comm, rc);
}

/* ------------------------------------------------------------------ reading an output file */

static mls_rc run_info(const struct mls_opts *o, FILE *out, char *err, size_t len)
{
        return mls_report_info(o->card, out, err, len);
}

static mls_rc run_export(const struct mls_opts *o, FILE *out, char *err, size_t len)
{
        struct mls_export_opts eo = {
                .good_only = o->good, .sep = o->tsv ? '\t' : ',', .all_columns = o->terms};

        return mls_report_export(o->card, &eo, out, err, len);
}

static mls_rc run_predict(const struct mls_opts *o, FILE *out, char *err, size_t len)
{
        struct mls_predict_opts po = {
                .points = o->points, .ngrid = o->ngrid, .nfix = o->nfix, .grid = o->grid, .fix = o->fix};
        mls_rc rc = mls_predict(o->card, &po, out, err, len);

        if (rc != MLS_OK)
                fprintf(stderr, "%s\n", err);
        return rc;
}

/*
 * on_output_file - the analysis commands run on rank 0 alone and write to --output or stdout;
 * each prints its own one-line error. Every rank returns rank 0's result.
 */
static mls_rc on_output_file(MPI_Comm comm, const struct mls_opts *o, bool bad_option,
                             mls_rc (*fn)(const struct mls_opts *o, FILE *out, char *err, size_t len))
{
        char err[1400] = "";
        int rank, code;
        mls_rc rc = MLS_OK;

        MPI_Comm_rank(comm, &rank);
        if (rank == 0) {
                FILE *out = stdout;

                if (bad_option) {
                        fprintf(stderr,
                                "mlscan: an option given does not apply to this command (see mlscan --help)\n");
                        rc = MLS_ERR_USAGE;
                } else if (o->output && !(out = fopen(o->output, "w"))) {
                        fprintf(stderr, "mlscan: cannot write %s\n", o->output);
                        rc = MLS_ERR_IO;
                }
                if (rc == MLS_OK)
                        rc = fn(o, out, err, sizeof(err));
                if (out && out != stdout && fclose(out) != 0 && rc == MLS_OK) {
                        fprintf(stderr, "mlscan: writing %s failed\n", o->output);
                        rc = MLS_ERR_IO;
                }
                fflush(stdout);
        }
        code = (int)rc;
        if (MPI_Bcast(&code, 1, MPI_INT, 0, comm) != MPI_SUCCESS)
                MLS_ABORT("broadcasting a result failed");
        return (mls_rc)code;
}

static mls_rc cmd_info(MPI_Comm comm, const struct mls_opts *o)
{
        return on_output_file(comm, o,
                              o->good || o->tsv || o->terms || o->points || o->ngrid || o->nfix || o->resume,
                              run_info);
}

static mls_rc cmd_export(MPI_Comm comm, const struct mls_opts *o)
{
        return on_output_file(comm, o, o->points || o->ngrid || o->nfix || o->resume, run_export);
}

static mls_rc cmd_predict(MPI_Comm comm, const struct mls_opts *o)
{
        return on_output_file(comm, o, o->good || o->tsv || o->terms || o->resume, run_predict);
}

mls_rc mls_cmd_run(MPI_Comm comm, const struct mls_opts *o)
{
        int rank;

        MPI_Comm_rank(comm, &rank);
        if (o->help || o->version) {
                if (rank == 0 && o->help)
                        mls_usage();
                else if (rank == 0)
                        printf("mlscan %s\n", PACKAGE_VERSION);
                return MLS_OK;
        }
        if (o->command < 0 || o->command >= NCOMMANDS)
                return MLS_ERR_USAGE;
        return commands[o->command].fn(comm, o);
}
