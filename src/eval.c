/* eval.c - one point: unit cube -> physical values -> physics -> derived -> cuts -> likelihood. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/eval.h"
#include "mlscan/likelihood.h"
#include "mlscan/physics.h"
#include "mlscan/space.h"
#include "mlscan/util.h"

mls_rc mls_evaluator_init(struct mls_evaluator *ev, const struct mls_card *card, int rank, char *err,
                          size_t errlen)
{
        const char **names;
        int n = 0;

        memset(ev, 0, sizeof(*ev));
        ev->card = card;
        ev->d = card->nparams;
        ev->m = card->nobs;
        ev->k = card->nterms;
        ev->x = mls_calloc((size_t)ev->d, sizeof(double));
        ev->obs = mls_calloc((size_t)ev->m + 1, sizeof(double));
        ev->terms = mls_calloc((size_t)ev->k + 1, sizeof(double));
        ev->vars = mls_calloc((size_t)(ev->d + ev->m) + 1, sizeof(double));
        ev->expr = mls_calloc((size_t)ev->m + 1, sizeof(*ev->expr));
        ev->kept = mls_calloc((size_t)card->phys.nkeep + 1, sizeof(char *));
        ev->kept_len = mls_calloc((size_t)card->phys.nkeep + 1, sizeof(int64_t));
        names = mls_calloc((size_t)(ev->d + ev->m) + 1, sizeof(char *));
        for (int i = 0; i < ev->d; i++)
                names[n++] = card->params[i].name;
        for (int i = 0; i < ev->m; i++) {
                if (card->obs[i].kind == MLS_OBS_EXPR &&
                    !(ev->expr[i] = mls_expr_create(card->obs[i].expr, names, n, err, errlen))) {
                        free(names);
                        mls_evaluator_fini(ev);
                        return MLS_ERR_PHYSICS;
                }
                names[n++] = card->obs[i].name;
        }
        free(names);
        if (card->builtin < 0 && mls_chain_create(card, rank, &ev->chain, err, errlen) != MLS_OK) {
                mls_evaluator_fini(ev);
                return MLS_ERR_PHYSICS;
        }
        return MLS_OK;
}

void mls_evaluator_release(struct mls_evaluator *ev)
{
        mls_chain_destroy(&ev->chain);
}

void mls_evaluator_fini(struct mls_evaluator *ev)
{
        for (int i = 0; ev->expr && i < ev->m; i++)
                mls_expr_destroy(&ev->expr[i]);
        mls_free(&ev->expr);
        mls_chain_destroy(&ev->chain);
        mls_free(&ev->x);
        mls_free(&ev->obs);
        mls_free(&ev->terms);
        mls_free(&ev->vars);
        mls_free(&ev->kept);
        mls_free(&ev->kept_len);
}

/* physics - the built-in model or the chain; fills the non-derived observables */
static int physics(struct mls_evaluator *ev, int64_t id)
{
        const struct mls_card *card = ev->card;

        if (ev->chain)
                return mls_chain_eval(ev->chain, id, ev->x, ev->obs, ev->why, sizeof(ev->why));
        if (card->builtin < 0) /* released: the run is stopping */
                return MLS_ST_INTERRUPTED;
        {
                const struct mls_builtin *model = mls_builtin_get(card->builtin);
                int st = model->eval(ev->x, ev->d, ev->obs);

                if (st != MLS_ST_OK)
                        snprintf(ev->why, sizeof(ev->why), "%s: %s", model->name,
                                 st == MLS_ST_INVALID ? "outside the model's valid region"
                                                      : mls_status_name(st));
                return st;
        }
}

/* derived - expressions in card order, then the checks every observable must pass */
static int derived(struct mls_evaluator *ev)
{
        const struct mls_card *card = ev->card;

        memcpy(ev->vars, ev->x, (size_t)ev->d * sizeof(double));
        for (int i = 0; i < ev->m; i++) {
                if (ev->expr[i])
                        ev->obs[i] = mls_expr_eval(ev->expr[i], ev->vars);
                ev->vars[ev->d + i] = ev->obs[i];
        }
        for (int i = 0; i < ev->m; i++)
                if (!isfinite(ev->obs[i])) {
                        snprintf(ev->why, sizeof(ev->why), "%s: %s = %g", ev->expr[i] ? "expr" : "read",
                                 card->obs[i].name, ev->obs[i]);
                        return MLS_ST_NONFINITE;
                }
        for (int i = 0; i < ev->m; i++) {
                const struct mls_obs *o = &card->obs[i];

                if (o->has_valid && !(ev->obs[i] >= o->lo && ev->obs[i] <= o->hi)) {
                        snprintf(ev->why, sizeof(ev->why), "cut: %s = %.6g outside [%g, %g]", o->name,
                                 ev->obs[i], o->lo, o->hi);
                        return MLS_ST_INVALID;
                }
        }
        return MLS_ST_OK;
}

void mls_evaluate(struct mls_evaluator *ev, int64_t id, const double *u, struct mls_row *row)
{
        double t0 = mls_now();
        int status;

        ev->why[0] = '\0';
        mls_space_to_x(ev->card->params, ev->d, u, ev->x);
        for (int i = 0; i < ev->m; i++)
                ev->obs[i] = NAN;
        status = physics(ev, id);
        if (status == MLS_ST_OK)
                status = derived(ev);
        row->good = mls_likelihood_eval(ev->card, status, ev->obs, ev->terms, &row->nll);
        row->id = id;
        row->status = (int8_t)status;
        row->u = u;
        row->x = ev->x;
        row->obs = ev->obs;
        row->terms = ev->terms;
        row->error = ev->why;
        row->kept = NULL;
        row->kept_len = NULL;
        if (ev->chain && ev->card->phys.nkeep > 0) {
                for (int j = 0; j < ev->card->phys.nkeep; j++) {
                        size_t len;

                        ev->kept[j] = mls_chain_kept(ev->chain, j, &len);
                        ev->kept_len[j] = ev->kept[j] ? (int64_t)len : -1;
                }
                row->kept = ev->kept;
                row->kept_len = ev->kept_len;
        }
        row->seconds = mls_now() - t0;
}
