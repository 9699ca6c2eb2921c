/*
 * method.h - scan methods behind one interface: propose points, learn from results.
 * A new method is one line in the table in src/method.c and its code under src/method/
 * (random.c; the learning methods dnnr, dnnc and mls share src/method/learn.c).
 * Methods run on rank 0 only, single-threaded, and draw every random number from the rng
 * they are given, so a scan is reproducible from the seed.
 */
#ifndef MLSCAN_METHOD_H
#define MLSCAN_METHOD_H

#include <stdbool.h>
#include <stdint.h>
#include "mlscan/card.h"
#include "mlscan/dataset.h"
#include "mlscan/err.h"
#include "mlscan/nn.h"
#include "mlscan/rng.h"

/* What a method did to start one generation (reported once, when the generation starts). */
struct mls_gen_info {
        int32_t generation; /* -1: no generation started in this call */
        int64_t ntrain;     /* points the networks were trained on (0 for a random generation) */
        int64_t proposed;   /* points in the generation: model + random + smote */
        int64_t nmodel, nrandom, nsmote;
        int64_t npass;          /* candidates the model predicted good */
        double random_fraction; /* the exploration fraction used */
        double train_loss, val_loss;
        int32_t epochs;
        double train_seconds, propose_seconds;
};

struct mls_blob;
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
         * *@got may be less than @want (0: nothing to propose until more results arrive; the
         * caller asks again after the next result, and never with nothing in flight).
         * When the call starts a new generation, @info describes it, else info->generation = -1.
         * Every point the method has handed out before is in @ds when it is called.
         */
        mls_rc (*propose)(void *state, const struct mls_dataset *ds, struct mls_rng *rng, int64_t want,
                          double *u, int8_t *origin, int32_t *generation, int64_t *got,
                          struct mls_gen_info *info);
        /*
         * the network that proposed the newest generation, for /model in the output file, and
         * its generation; NULL before the first training (and always for random)
         */
        mls_nn *(*network)(void *state, int32_t *generation);
        /*
         * checkpoints: append everything the method needs to go on exactly as it would have
         * (networks and optimizer state included) to @b; and, on a fresh state from create(),
         * read it back. NULL for a method without state (random).
         */
        void (*save)(void *state, struct mls_blob *b);
        mls_rc (*load)(void *state, struct mls_blob *b);
};

/* mls_method_count / mls_method_get / mls_method_find - the table of methods. */
int mls_method_count(void);
const struct mls_method_ops *mls_method_get(int i);
int mls_method_find(const char *name);

/* The methods, each in its own file under src/method/. */
extern const struct mls_method_ops mls_method_random;
extern const struct mls_method_ops mls_method_dnnr;
extern const struct mls_method_ops mls_method_dnnc;
extern const struct mls_method_ops mls_method_mls;

/*
 * mls_learn_predict - what the saved network @net of a learning method's run with @card
 * says about @n points @u (unit cube): the predicted NLL (dnnr, mls) or P(good) (dnnc) into
 * @out, named by *@what ("pred_nll" or "p_good"). Not collective.
 */
mls_rc mls_learn_predict(const struct mls_card *card, mls_nn *net, const double *u, int64_t n, double *out,
                         const char **what);

#endif /* MLSCAN_METHOD_H */
