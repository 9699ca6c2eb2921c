/*
 * eval.h - evaluate one point: prior map, physics (a built-in model or the external chain),
 * derived observables, validity cuts, likelihood; fills a row. Not collective.
 */
#ifndef MLSCAN_EVAL_H
#define MLSCAN_EVAL_H

#include <stdint.h>
#include "mlscan/card.h"
#include "mlscan/chain.h"
#include "mlscan/expr.h"
#include "mlscan/rows.h"

struct mls_evaluator {
        const struct mls_card *card; /* borrowed */
        int d, m, k;
        double *x, *obs, *terms; /* scratch for one point */
        double *vars;            /* parameters then observables, for expressions */
        mls_expr **expr;         /* per observable (NULL: not derived) */
        mls_chain *chain;        /* external programs (NULL: a built-in model) */
        char why[MLS_ERROR_LEN];
        const char **kept;
        int64_t *kept_len;
};

/*
 * mls_evaluator_init - ready @ev for @card; @rank names the scratch directory. With
 * external programs this makes the scratch directory (mls_chain_create()). On error
 * MLS_ERR_PHYSICS with one line in @err and nothing left to release.
 */
mls_rc mls_evaluator_init(struct mls_evaluator *ev, const struct mls_card *card, int rank, char *err,
                          size_t errlen);
void mls_evaluator_fini(struct mls_evaluator *ev);

/*
 * mls_evaluator_release - end the programs' leftovers and remove the scratch directory now
 * (a stopping run, which mpirun may SIGKILL a second later); the evaluator evaluates no more
 * points, mls_evaluator_fini() is still called.
 */
void mls_evaluator_release(struct mls_evaluator *ev);
/*
 * mls_evaluate - evaluate the point @id at @u[d]; fill @row (its arrays point into @ev and
 * stay valid until the next call). @row->generation, origin and worker are set by the caller.
 */
void mls_evaluate(struct mls_evaluator *ev, int64_t id, const double *u, struct mls_row *row);

#endif /* MLSCAN_EVAL_H */
