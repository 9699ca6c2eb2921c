/* eval.c - one point: unit cube -> physical values -> physics -> likelihood. */
#include <config.h>

#include <math.h>

#include "mlscan/eval.h"
#include "mlscan/likelihood.h"
#include "mlscan/physics.h"
#include "mlscan/space.h"
#include "mlscan/util.h"

void mls_evaluator_init(struct mls_evaluator *ev, const struct mls_card *card)
{
        ev->card = card;
        ev->d = card->nparams;
        ev->m = mls_builtin_get(card->builtin)->nobs;
        ev->k = card->nterms;
        ev->x = mls_calloc((size_t)ev->d, sizeof(double));
        ev->obs = mls_calloc((size_t)ev->m, sizeof(double));
        ev->terms = mls_calloc((size_t)ev->k, sizeof(double));
}

void mls_evaluator_fini(struct mls_evaluator *ev)
{
        mls_free(&ev->x);
        mls_free(&ev->obs);
        mls_free(&ev->terms);
}

void mls_evaluate(struct mls_evaluator *ev, const double *u, struct mls_row *row)
{
        const struct mls_builtin *model = mls_builtin_get(ev->card->builtin);
        double t0 = mls_now();
        int status;

        mls_space_to_x(ev->card->params, ev->d, u, ev->x);
        status = model->eval(ev->x, ev->d, ev->obs);
        for (int i = 0; i < ev->m && status == MLS_ST_OK; i++)
                if (!isfinite(ev->obs[i]))
                        status = MLS_ST_NONFINITE;
        row->good = mls_likelihood_eval(ev->card, status, ev->obs, ev->terms, &row->nll);
        row->status = (int8_t)status;
        row->u = u;
        row->x = ev->x;
        row->obs = ev->obs;
        row->terms = ev->terms;
        row->seconds = mls_now() - t0;
}
