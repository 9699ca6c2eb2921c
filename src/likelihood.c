/* likelihood.c - loss terms, the capped NLL, the target rule. */
#include <config.h>

#include <math.h>

#include "mlscan/likelihood.h"
#include "mlscan/physics.h"

const char *mls_term_kind_name(enum mls_term_kind k)
{
        switch (k) {
        case MLS_TERM_GAUSS: return "gauss";
        case MLS_TERM_UPPER: return "upper";
        case MLS_TERM_LOWER: return "lower";
        case MLS_TERM_LOGLIKE: return "loglike";
        case MLS_TERM_NLL: return "nll";
        }
        return "?";
}

/* ln(1 + e^z) without overflow for large z. */
static double softplus(double z)
{
        return z > 30.0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

double mls_term_value(const struct mls_term *t, double x)
{
        double z;

        switch (t->kind) {
        case MLS_TERM_GAUSS: z = (x - t->mean) / t->sigma; return 0.5 * z * z;
        case MLS_TERM_UPPER: return softplus((x - t->mean) / t->sigma);
        case MLS_TERM_LOWER: return softplus((t->mean - x) / t->sigma);
        case MLS_TERM_LOGLIKE: return -x;
        case MLS_TERM_NLL: return x;
        }
        return NAN;
}

double mls_nll_cap(double t)
{
        if (isnan(t))
                return MLS_NLL_CAP;
        if (isinf(t))
                return t > 0 ? MLS_NLL_CAP : -MLS_NLL_CAP;
        if (fabs(t) <= MLS_NLL_KNEE)
                return t;
        /* above the knee: slope 1 there, saturating at M */
        return copysign(MLS_NLL_KNEE + (MLS_NLL_CAP - MLS_NLL_KNEE) * -expm1(-(fabs(t) - MLS_NLL_KNEE) /
                                                                             (MLS_NLL_CAP - MLS_NLL_KNEE)),
                        t);
}

bool mls_likelihood_eval(const struct mls_card *card, int status, const double *obs, double *terms,
                         double *nll)
{
        double sum = 0.0;

        for (int i = 0; i < card->nterms; i++) {
                const struct mls_term *t = &card->terms[i];

                terms[i] =
                        status == MLS_ST_OK ? mls_nll_cap(mls_term_value(t, obs[t->obs_index])) : MLS_NLL_CAP;
                sum += terms[i];
        }
        *nll = sum;
        return status == MLS_ST_OK && sum < card->nll_below;
}
