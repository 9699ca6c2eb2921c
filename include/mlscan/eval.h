/* eval.h - evaluate one point: prior map, physics, likelihood; fills a row. Not collective. */
#ifndef MLSCAN_EVAL_H
#define MLSCAN_EVAL_H

#include <stdint.h>
#include "mlscan/card.h"
#include "mlscan/rows.h"

struct mls_evaluator {
        const struct mls_card *card; /* borrowed */
        int d, m, k;
        double *x, *obs, *terms; /* scratch for one point */
};

void mls_evaluator_init(struct mls_evaluator *ev, const struct mls_card *card);
void mls_evaluator_fini(struct mls_evaluator *ev);
/*
 * mls_evaluate - evaluate the point @u[d]; fill @row (its arrays point into @ev and stay
 * valid until the next call). @row->id, generation, origin and worker are set by the caller.
 */
void mls_evaluate(struct mls_evaluator *ev, const double *u, struct mls_row *row);

#endif /* MLSCAN_EVAL_H */
