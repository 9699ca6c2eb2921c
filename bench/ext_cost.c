/*
 * ext_cost.c - mlscan's cost per point on the external-program path against a bare
 * fork/exec/wait loop of the same trivial program, measured in the same run.
 *   bare     fork, execv(trivial_prog out.dat), waitpid        (the baseline)
 *   spawn    the same through posix_spawn + waitpid
 *   mlscan   mls_evaluate() on a card with one template and one program: stale outputs
 *            removed, template rendered, program spawned in its own process group, waited
 *            for with a timeout, its group and orphans reaped, the output read, the likelihood
 * Usage: ext_cost TRIVIAL_PROG [N [REPS]]; prints per-point microseconds (median of REPS)
 * and the ratios to the baseline.
 */
#define _GNU_SOURCE 1
#include <config.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mlscan/card.h"
#include "mlscan/eval.h"
#include "mlscan/physics.h"
#include "mlscan/util.h"

extern char **environ;

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(double), cmp);
        return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double bare_fork(const char *prog, const char *out, int n)
{
        double t0 = mls_now();

        for (int i = 0; i < n; i++) {
                pid_t pid = fork();
                int st;

                if (pid == 0) {
                        execl(prog, prog, out, (char *)NULL);
                        _exit(127);
                }
                if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                        fprintf(stderr, "ext_cost: %s failed\n", prog);
                        exit(1);
                }
        }
        return (mls_now() - t0) / n;
}

static double bare_spawn(const char *prog, const char *out, int n)
{
        char *argv[] = {(char *)prog, (char *)out, NULL};
        double t0 = mls_now();

        for (int i = 0; i < n; i++) {
                pid_t pid;
                int st;

                if (posix_spawn(&pid, prog, NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) != pid ||
                    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                        fprintf(stderr, "ext_cost: %s failed\n", prog);
                        exit(1);
                }
        }
        return (mls_now() - t0) / n;
}

static double through_mlscan(struct mls_evaluator *ev, int n)
{
        double u[2] = {0.25, 0.75}, t0 = mls_now();
        struct mls_row row;

        for (int i = 0; i < n; i++) {
                mls_evaluate(ev, i, u, &row);
                if (row.status != MLS_ST_OK) {
                        fprintf(stderr, "ext_cost: point %d: %s: %s\n", i, mls_status_name(row.status),
                                row.error);
                        exit(1);
                }
        }
        return (mls_now() - t0) / n;
}

int main(int argc, char **argv)
{
        const char *prog = argc > 1 ? argv[1] : "bench/trivial_prog";
        int n = argc > 2 ? atoi(argv[2]) : 2000, reps = argc > 3 ? atoi(argv[3]) : 5;
        char dir[] = "/tmp/ext_cost.XXXXXX", tmpl[4200], card_text[8192], err[1024], out[4200], *abs;
        double *tf = mls_calloc((size_t)reps, sizeof(double)), *ts = mls_calloc((size_t)reps, sizeof(double));
        double *tm = mls_calloc((size_t)reps, sizeof(double)), f, s, m;
        struct mls_evaluator ev;
        struct mls_card card;
        FILE *fp;

        if (!(abs = realpath(prog, NULL)) || !mkdtemp(dir)) {
                fprintf(stderr, "usage: ext_cost TRIVIAL_PROG [N [REPS]] (%s not found)\n", prog);
                return 2;
        }
        snprintf(tmpl, sizeof(tmpl), "%s/in.tmpl", dir);
        snprintf(out, sizeof(out), "%s/out.dat", dir);
        fp = fopen(tmpl, "w");
        fputs("a {a}\nb {b:.6e}\n", fp);
        fclose(fp);
        snprintf(card_text, sizeof(card_text),
                 "stop: {evaluations: 10}\n"
                 "parameters: {a: {range: [0, 1]}, b: {range: [0, 1]}}\n"
                 "physics:\n"
                 "  templates: [{from: %s, to: in.dat}]\n"
                 "  programs: [{run: [%s, out.dat], output: out.dat, timeout: 10}]\n"
                 "  observables: {y: {text: [out.dat, y]}}\n"
                 "likelihood: {y: {gauss: {mean: 1, sigma: 1}}}\n"
                 "target: {nll_below: 1}\n",
                 tmpl, abs);
        if (mls_card_parse(card_text, strlen(card_text), "ext_cost.yaml", &card, err, sizeof(err)) !=
                    MLS_OK ||
            mls_evaluator_init(&ev, &card, 0, err, sizeof(err)) != MLS_OK) {
                fprintf(stderr, "ext_cost: %s\n", err);
                return 1;
        }
        /* warm-up, then interleaved repetitions so drifts in machine load hit all three alike */
        bare_fork(abs, out, n / 10 + 1);
        through_mlscan(&ev, n / 10 + 1);
        for (int r = 0; r < reps; r++) {
                tf[r] = bare_fork(abs, out, n);
                ts[r] = bare_spawn(abs, out, n);
                tm[r] = through_mlscan(&ev, n);
                printf("rep %d: fork/exec %.1f us, posix_spawn %.1f us, mlscan %.1f us per point\n", r + 1,
                       1e6 * tf[r], 1e6 * ts[r], 1e6 * tm[r]);
        }
        f = median(tf, reps);
        s = median(ts, reps);
        m = median(tm, reps);
        printf("ext_cost: %d points x %d reps, medians per point: bare fork/exec %.1f us, bare posix_spawn %.1f us, "
               "mlscan external path %.1f us\n",
               n, reps, 1e6 * f, 1e6 * s, 1e6 * m);
        printf("ext_cost: ratio mlscan / bare fork/exec = %.3f (target <= 1.3); mlscan / bare posix_spawn = %.3f\n",
               m / f, m / s);
        mls_evaluator_fini(&ev);
        mls_card_fini(&card);
        unlink(tmpl);
        unlink(out);
        rmdir(dir);
        free(abs);
        free(tf);
        free(ts);
        free(tm);
        return 0;
}
