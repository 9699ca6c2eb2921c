/* space.c - priors: the unit cube <-> physical parameter values. */
#include <config.h>

#include <math.h>

#include "mlscan/space.h"

double mls_prior_to_x(const struct mls_param *p, double u)
{
        switch (p->prior) {
        case MLS_PRIOR_LOG: return p->lo * exp(u * log(p->hi / p->lo));
        case MLS_PRIOR_LINEAR:
        default: return p->lo + u * (p->hi - p->lo);
        }
}

double mls_prior_to_u(const struct mls_param *p, double x)
{
        switch (p->prior) {
        case MLS_PRIOR_LOG: return log(x / p->lo) / log(p->hi / p->lo);
        case MLS_PRIOR_LINEAR:
        default: return (x - p->lo) / (p->hi - p->lo);
        }
}

void mls_space_to_x(const struct mls_param *params, int n, const double *u, double *x)
{
        for (int i = 0; i < n; i++)
                x[i] = mls_prior_to_x(&params[i], u[i]);
}
