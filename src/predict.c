/*
 * predict.c - `mlscan predict OUT.h5`: the saved network of a learning run as a surrogate,
 * evaluated on points from a CSV file or on a grid over chosen parameters with the others
 * fixed (by default at the best point of the run). Serial, rank 0.
 */
#include <config.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/card.h"
#include "mlscan/method.h"
#include "mlscan/nn.h"
#include "mlscan/physics.h"
#include "mlscan/predict.h"
#include "mlscan/seed.h"
#include "mlscan/space.h"
#include "mlscan/store.h"
#include "mlscan/util.h"
#include "store_report.h"

#define MAX_GRID_POINTS 10000000 /* 1e7 rows of CSV is already more than a plot needs */

static mls_rc fail(char *err, size_t len, mls_rc rc, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static mls_rc fail(char *err, size_t len, mls_rc rc, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
        return rc;
}

static int param_index(const struct mls_card *c, const char *name, size_t len)
{
        for (int i = 0; i < c->nparams; i++)
                if (strlen(c->params[i].name) == len && !strncmp(c->params[i].name, name, len))
                        return i;
        return -1;
}

/* best_point - the physical values of the status-ok point with the lowest NLL */
static mls_rc best_point(const char *path, const struct mls_card *c, double *x, char *err, size_t len)
{
        struct mls_rblock b;
        mls_rfile *f = NULL;
        const struct mls_rmeta *meta;
        double best = INFINITY;
        mls_rc rc;

        memset(&b, 0, sizeof(b));
        if ((rc = mls_rfile_open(path, &f, err, len)) != MLS_OK)
                return rc;
        meta = mls_rfile_meta(f);
        if (meta->np != c->nparams) {
                mls_rfile_close(&f);
                return fail(err, len, MLS_ERR_IO, "%s: the points do not have the card's parameters", path);
        }
        for (int64_t start = 0; start < meta->rows && rc == MLS_OK; start += 65536) {
                int64_t n = meta->rows - start < 65536 ? meta->rows - start : 65536;

                rc = mls_rfile_read_range(f, MLS_RCOL_STATUS | MLS_RCOL_NLL | MLS_RCOL_X, start, n, &b, err,
                                          len);
                for (int64_t i = 0; rc == MLS_OK && i < n; i++)
                        if (b.status[i] == MLS_ST_OK && b.nll[i] < best) {
                                best = b.nll[i];
                                memcpy(x, b.x + i * c->nparams, (size_t)c->nparams * sizeof(double));
                        }
        }
        mls_rblock_fini(&b);
        mls_rfile_close(&f);
        if (rc == MLS_OK && !isfinite(best))
                return fail(err, len, MLS_ERR_IO,
                            "%s: no point of status ok to fix the other parameters at; give --fix NAME=VALUE",
                            path);
        return rc;
}

/* parse_grid - NAME=N[:LO:HI] into parameter @p, @n points from u(LO) to u(HI) */
static mls_rc parse_grid(const struct mls_card *c, const char *spec, int *p, int64_t *n, double *u0,
                         double *u1, char *err, size_t len)
{
        const char *eq = strchr(spec, '=');
        char *end;
        double lo, hi;

        if (!eq || (*p = param_index(c, spec, (size_t)(eq - spec))) < 0)
                return fail(err, len, MLS_ERR_USAGE,
                            "mlscan: --grid %s: want NAME=N[:LO:HI] with NAME a parameter of the run", spec);
        *n = strtoll(eq + 1, &end, 10);
        if (end == eq + 1 || *n < 1 || *n > 100000)
                return fail(err, len, MLS_ERR_USAGE,
                            "mlscan: --grid %s: N must be a whole number in [1, 100000]", spec);
        lo = c->params[*p].lo;
        hi = c->params[*p].hi;
        if (*end == ':') {
                char *e2;

                lo = strtod(end + 1, &e2);
                if (e2 == end + 1 || *e2 != ':')
                        return fail(err, len, MLS_ERR_USAGE, "mlscan: --grid %s: want NAME=N:LO:HI", spec);
                hi = strtod(e2 + 1, &end);
                if (end == e2 + 1)
                        return fail(err, len, MLS_ERR_USAGE, "mlscan: --grid %s: want NAME=N:LO:HI", spec);
        }
        if (*end != '\0' || !isfinite(lo) || !isfinite(hi) ||
            (c->params[*p].prior == MLS_PRIOR_LOG && (lo <= 0 || hi <= 0)))
                return fail(err, len, MLS_ERR_USAGE,
                            "mlscan: --grid %s: bad range (a log-prior parameter needs LO, HI > 0)", spec);
        *u0 = mls_prior_to_u(&c->params[*p], lo);
        *u1 = mls_prior_to_u(&c->params[*p], hi);
        return MLS_OK;
}

/* grid_points - the grid (first --grid varying slowest), the others fixed; unit-cube rows */
static mls_rc grid_points(const struct mls_predict_opts *o, const struct mls_card *c, const double *fixed_u,
                          double **u, int64_t *n, char *err, size_t len)
{
        int d = c->nparams, gp[8];
        int64_t gn[8], total = 1;
        double g0[8], g1[8];
        mls_rc rc;

        for (int k = 0; k < o->ngrid; k++) {
                if ((rc = parse_grid(c, o->grid[k], &gp[k], &gn[k], &g0[k], &g1[k], err, len)) != MLS_OK)
                        return rc;
                for (int j = 0; j < k; j++)
                        if (gp[j] == gp[k])
                                return fail(err, len, MLS_ERR_USAGE,
                                            "mlscan: --grid %s: parameter given twice", o->grid[k]);
                total *= gn[k];
                if (total > MAX_GRID_POINTS)
                        return fail(err, len, MLS_ERR_USAGE, "mlscan: --grid: more than 1e7 points");
        }
        *u = mls_calloc((size_t)total * (size_t)d, sizeof(double));
        for (int64_t i = 0; i < total; i++) {
                int64_t rest = i;
                double *row = *u + i * d;

                memcpy(row, fixed_u, (size_t)d * sizeof(double));
                for (int k = o->ngrid - 1; k >= 0; k--) {
                        int64_t j = rest % gn[k];

                        rest /= gn[k];
                        row[gp[k]] =
                                gn[k] > 1 ? g0[k] + (g1[k] - g0[k]) * (double)j / (double)(gn[k] - 1) : g0[k];
                }
        }
        *n = total;
        return MLS_OK;
}

/* fixed_values - the best point, then the --fix values, as unit-cube coordinates */
static mls_rc fixed_values(const char *path, const struct mls_predict_opts *o, const struct mls_card *c,
                           double *u, char *err, size_t len)
{
        double *x = mls_calloc((size_t)c->nparams, sizeof(double));
        bool all_fixed = true;
        int *have = mls_calloc((size_t)c->nparams, sizeof(int));
        mls_rc rc = MLS_OK;

        for (int k = 0; k < o->nfix && rc == MLS_OK; k++) {
                const char *eq = strchr(o->fix[k], '=');
                char *end;
                int p = eq ? param_index(c, o->fix[k], (size_t)(eq - o->fix[k])) : -1;
                double v = eq ? strtod(eq + 1, &end) : NAN;

                if (p < 0 || end == eq + 1 || *end != '\0' || !isfinite(v))
                        rc = fail(err, len, MLS_ERR_USAGE,
                                  "mlscan: --fix %s: want NAME=VALUE with NAME a parameter of the run",
                                  o->fix[k]);
                else
                        have[p] = 1;
        }
        for (int i = 0; i < c->nparams; i++) {
                bool gridded = false;

                for (int k = 0; k < o->ngrid; k++)
                        gridded |= !strncmp(o->grid[k], c->params[i].name, strlen(c->params[i].name)) &&
                                   o->grid[k][strlen(c->params[i].name)] == '=';
                all_fixed &= have[i] || gridded;
        }
        if (rc == MLS_OK && !all_fixed)
                rc = best_point(path, c, x, err, len);
        for (int k = 0; k < o->nfix && rc == MLS_OK; k++) {
                const char *eq = strchr(o->fix[k], '=');

                x[param_index(c, o->fix[k], (size_t)(eq - o->fix[k]))] = strtod(eq + 1, NULL);
        }
        for (int i = 0; rc == MLS_OK && i < c->nparams; i++)
                u[i] = mls_prior_to_u(&c->params[i], x[i]);
        free(have);
        free(x);
        return rc;
}

mls_rc mls_predict(const char *path, const struct mls_predict_opts *o, FILE *out, char *err, size_t len)
{
        struct mls_card card;
        struct mls_nn_state st;
        struct mls_seed pts = {0};
        char *text = NULL, *card_path = NULL, perr[1024];
        mls_nn *net = NULL;
        double *u = NULL, *y = NULL, *fu = NULL, *x;
        const char *what;
        int32_t gen;
        int64_t n = 0;
        mls_rc rc;

        memset(&card, 0, sizeof(card));
        memset(&st, 0, sizeof(st));
        err[0] = '\0';
        if ((!o->points) == (o->ngrid == 0))
                return fail(err, len, MLS_ERR_USAGE,
                            "mlscan: predict needs --points FILE.csv or --grid NAME=N (not both)");
        if (mls_store_read_card(path, &text, &card_path) != MLS_OK)
                return fail(err, len, MLS_ERR_IO, "mlscan: %s: not an mlscan output file", path);
        rc = mls_card_parse(text, strlen(text), card_path, &card, perr, sizeof(perr));
        if (rc != MLS_OK) {
                snprintf(err, len, "mlscan: %s: its run card no longer reads here: %s", path, perr);
                goto out;
        }
        if (!mls_method_get(card.method)->learns) {
                rc = fail(err, len, MLS_ERR_USAGE,
                          "mlscan: %s: method %s trains no network: nothing to predict with", path,
                          mls_method_get(card.method)->name);
                goto out;
        }
        if ((rc = mls_store_read_model(path, &st, &gen)) != MLS_OK) {
                rc = fail(err, len, MLS_ERR_IO,
                          "mlscan: %s: no saved model (the run ended before its first training)", path);
                goto out;
        }
        if ((rc = mls_nn_state_load(&st, 1, &net)) != MLS_OK) {
                snprintf(err, len, "mlscan: %s: the saved model does not load", path);
                goto out;
        }
        if (o->points) {
                rc = mls_seed_read(o->points, &card, 0, NULL, &pts, perr, sizeof(perr));
                if (rc != MLS_OK) {
                        snprintf(err, len, "mlscan: %s", perr);
                        goto out;
                }
                u = pts.u;
                pts.u = NULL;
                n = pts.n;
        } else {
                fu = mls_calloc((size_t)card.nparams, sizeof(double));
                if ((rc = fixed_values(path, o, &card, fu, err, len)) != MLS_OK ||
                    (rc = grid_points(o, &card, fu, &u, &n, err, len)) != MLS_OK)
                        goto out;
        }
        y = mls_calloc((size_t)(n > 0 ? n : 1), sizeof(double));
        if ((rc = mls_learn_predict(&card, net, u, n, y, &what)) != MLS_OK) {
                snprintf(err, len, "mlscan: %s: the saved model does not fit the run card", path);
                goto out;
        }
        fprintf(out, "# mlscan predict %s: the model of generation %d (method %s)\n", path, gen,
                mls_method_get(card.method)->name);
        for (int i = 0; i < card.nparams; i++)
                fprintf(out, "%s,", card.params[i].name);
        fprintf(out, "%s\n", what);
        x = mls_calloc((size_t)card.nparams, sizeof(double));
        for (int64_t i = 0; i < n; i++) {
                mls_space_to_x(card.params, card.nparams, u + i * card.nparams, x);
                for (int j = 0; j < card.nparams; j++)
                        fprintf(out, "%.17g,", x[j]);
                fprintf(out, "%.10g\n", y[i]);
        }
        free(x);
        if (fflush(out) != 0 || ferror(out))
                rc = fail(err, len, MLS_ERR_IO, "mlscan: predict: writing the output failed");
out:
        if (rc != MLS_OK && !err[0])
                snprintf(err, len, "mlscan: predict %s failed", path);
        mls_nn_destroy(&net);
        mls_store_model_free(&st);
        mls_seed_free(&pts);
        free(fu);
        free(u);
        free(y);
        free(text);
        free(card_path);
        mls_card_fini(&card);
        return rc;
}
