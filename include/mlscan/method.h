/*
 * method.h - scan methods behind one interface: propose points, learn from results.
 * A new method is one file under src/method/ and one line in the table in src/method.c.
 */
#ifndef MLSCAN_METHOD_H
#define MLSCAN_METHOD_H

#include <stdbool.h>
#include <stdint.h>
#include "mlscan/card.h"
#include "mlscan/dataset.h"
#include "mlscan/err.h"
#include "mlscan/rng.h"

struct mls_method_ops {
        const char *name;
        const char *summary;
        bool learns; /* trains the network of the card's model section */
        /* create the method's state for @card; *state is owned by the method */
        mls_rc (*create)(const struct mls_card *card, void **state);
        void (*destroy)(void **state);
        /*
         * propose up to @want points: unit-cube coordinates into @u[want x d], how each was
         * proposed into @origin[want] and its model generation into @generation[want];
         * *@got may be less than @want (0: nothing to propose until more results arrive).
         */
        mls_rc (*propose)(void *state, const struct mls_dataset *ds, struct mls_rng *rng, int64_t want,
                          double *u, int8_t *origin, int32_t *generation, int64_t *got);
};

/* mls_method_count / mls_method_get / mls_method_find - the table of methods. */
int mls_method_count(void);
const struct mls_method_ops *mls_method_get(int i);
int mls_method_find(const char *name);

/* The methods, each in its own file under src/method/. */
extern const struct mls_method_ops mls_method_random;

#endif /* MLSCAN_METHOD_H */
