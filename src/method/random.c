/* random.c - the baseline: points uniform in the unit cube, mapped through the priors. */
#include <config.h>

#include "mlscan/method.h"

static mls_rc random_create(const struct mls_card *card, void **state)
{
        (void)card;
        *state = NULL;
        return MLS_OK;
}

static void random_destroy(void **state)
{
        *state = NULL;
}

static mls_rc random_propose(void *state, const struct mls_dataset *ds, struct mls_rng *rng, int64_t want,
                             double *u, int8_t *origin, int32_t *generation, int64_t *got,
                             struct mls_gen_info *info)
{
        (void)state;
        info->generation = -1;
        for (int64_t i = 0; i < want; i++) {
                for (int j = 0; j < ds->d; j++)
                        u[i * ds->d + j] = mls_rng_uniform(rng);
                origin[i] = 0;
                generation[i] = 0;
        }
        *got = want;
        return MLS_OK;
}

const struct mls_method_ops mls_method_random = {
        .name = "random",
        .summary = "uniform in the unit cube, mapped through each parameter's prior",
        .learns = false,
        .create = random_create,
        .destroy = random_destroy,
        .propose = random_propose,
        .network = NULL,
};
