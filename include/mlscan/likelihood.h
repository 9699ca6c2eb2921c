/* likelihood.h - loss terms on observables, the capped NLL and the rule that makes a point good. */
#ifndef MLSCAN_LIKELIHOOD_H
#define MLSCAN_LIKELIHOOD_H

#include <stdbool.h>
#include "mlscan/card.h"

/* The cap M = ln(1 + DBL_MAX) + 1: the loss of a failed point or a missing observable. */
#define MLS_NLL_CAP 710.7827128933840
/* Terms up to the knee M/2 are kept exactly: a chi-square of 24 stays 12, not 11.9. */
#define MLS_NLL_KNEE (MLS_NLL_CAP / 2)

/* mls_term_name - "gauss", "upper", ...; the run card's spelling. */
const char *mls_term_kind_name(enum mls_term_kind k);

/* mls_term_value - the raw NLL contribution of @t for observable value @x (may be non-finite). */
double mls_term_value(const struct mls_term *t, double x);

/*
 * mls_nll_cap - t itself for |t| <= K = M/2; above, sign(t) [K + (M - K)(1 - exp(-(|t| - K)/(M - K)))]:
 * continuous with its slope, monotonic, |result| < M; NaN -> M.
 */
double mls_nll_cap(double t);

/*
 * mls_likelihood_eval - capped terms and their sum for a point with observables @obs.
 * @status is the physics status: a point that is not MLS_ST_OK gets M for every term.
 * Fills @terms[card->nterms] and *@nll; returns whether the point is good
 * (status ok and nll < card->nll_below).
 */
bool mls_likelihood_eval(const struct mls_card *card, int status, const double *obs, double *terms,
                         double *nll);

#endif /* MLSCAN_LIKELIHOOD_H */
