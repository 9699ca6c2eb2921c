/* space.h - the unit cube and the physical parameter space, through each parameter's prior. */
#ifndef MLSCAN_SPACE_H
#define MLSCAN_SPACE_H

#include "mlscan/card.h"

/* mls_prior_to_x - map u in [0, 1] to the physical value of @p. */
double mls_prior_to_x(const struct mls_param *p, double u);
/* mls_prior_to_u - the inverse: physical value to the unit interval (not clamped). */
double mls_prior_to_u(const struct mls_param *p, double x);
/* mls_space_to_x - map a whole point: @u[n] -> @x[n] with the card's @n parameters. */
void mls_space_to_x(const struct mls_param *params, int n, const double *u, double *x);

#endif /* MLSCAN_SPACE_H */
