/*
 * card.h - the run card: YAML text -> typed, validated plain data.
 * Only src/card.c knows libyaml. Every rank parses the same bytes the same way.
 */
#ifndef MLSCAN_CARD_H
#define MLSCAN_CARD_H

#include <stddef.h>
#include <stdint.h>
#include "mlscan/err.h"

enum mls_prior { MLS_PRIOR_LINEAR = 0, MLS_PRIOR_LOG };

struct mls_param {
        char *name;
        double lo, hi;
        enum mls_prior prior;
};

/* Likelihood terms; each is a negative log-likelihood contribution of one observable. */
enum mls_term_kind {
        MLS_TERM_GAUSS = 0, /* (x - mean)^2 / (2 sigma^2) */
        MLS_TERM_UPPER,     /* ln(1 + exp((x - limit) / sigma)): soft upper limit */
        MLS_TERM_LOWER,     /* ln(1 + exp((limit - x) / sigma)): soft lower limit */
        MLS_TERM_LOGLIKE,   /* -x: the observable is a log-likelihood */
        MLS_TERM_NLL,       /* x: the observable is a negative log-likelihood (or chi2/2) */
};

struct mls_term {
        char *obs;     /* observable name */
        int obs_index; /* index into the physics model's observables */
        enum mls_term_kind kind;
        double mean; /* gauss: mean; upper/lower: limit */
        double sigma;
};

/* model: the network the learning methods train (defaults in src/card.c, README and the man page). */
#define MLS_CARD_MAX_HIDDEN 16
struct mls_model_card {
        int nhidden; /* hidden layers, each of hidden[i] units */
        int hidden[MLS_CARD_MAX_HIDDEN];
        int activation; /* enum mls_act (nn.h) */
        int optimizer;  /* enum mls_optim (nn.h) */
        int64_t epochs, batch, patience, threads;
        double learning_rate, lr_decay, weight_decay, val_fraction, min_delta;
        int warm_start; /* continue from the previous generation's weights */
};

/* search: how the learning methods (dnnr, dnnc, mls) propose points (defaults in src/card.c). */
enum mls_learn_target { MLS_LEARN_LIKELIHOOD = 0, MLS_LEARN_OBSERVABLES };
struct mls_search_card {
        int64_t initial_points;        /* random points of generation 0 */
        int64_t points_per_generation; /* K: points proposed per later generation, at least */
        double growth;                 /* ... and at least growth x the training set */
        int64_t candidates;            /* scored per generation */
        double random_fraction;        /* of each generation, uniform at random; < 0: adaptive ("auto") */
        double local_fraction;         /* of the candidates, drawn around good (or best) points */
        double local_scale;            /* largest spread of those, in the unit cube */
        int overlap;                   /* train while the previous generation is still evaluated */
        double select_below;           /* dnnr/mls: predicted NLL that counts as predicted good */
        int has_select_below;          /* else the target's nll_below */
        int64_t smote_k, smote_below;  /* dnnc: neighbours; SMOTE while good points < smote_below */
        double smote_fraction;         /* dnnc: share of the model's picks made by SMOTE while boosting */
        int learn;                     /* mls: enum mls_learn_target */
        double density_power;          /* mls: score = L_pred * d_min^power (0: no density penalty) */
        int validity_classifier;       /* mls: a valid/invalid classifier vetoes candidates */
};

struct mls_card {
        /* where it came from */
        char *path; /* as given on the command line */
        char *text; /* the whole card, stored in the output file */
        size_t text_len;
        /* run: */
        char *name;
        char *output;
        uint64_t seed;
        int method; /* index into the method table (method.h) */
        double checkpoint_seconds;
        char *start_from; /* CSV or mlscan HDF5 file of earlier points (NULL: none) */
        /* stop: (0 = no limit; at least one is set) */
        int64_t max_evaluations;
        int64_t max_good;
        int64_t max_generations;
        double walltime; /* seconds */
        /* parameters: */
        int nparams;
        struct mls_param *params;
        /* physics: */
        int builtin; /* index into the built-in model table (physics.h) */
        /* likelihood: */
        int nterms;
        struct mls_term *terms;
        /* target: */
        double nll_below;
        /* model: (given or not: has_model) */
        int has_model;
        struct mls_model_card model;
        /* search: (given or not: has_search) */
        int has_search;
        struct mls_search_card search;
};

/*
 * mls_card_parse - parse and validate @len bytes of @text, named @path in messages.
 * Not collective. On MLS_OK, @card is filled (release with mls_card_fini()); on
 * MLS_ERR_CONFIG, @err holds one line "path:line:col: message" and @card is empty.
 * @text and @path are borrowed (copied into the card).
 */
mls_rc mls_card_parse(const char *text, size_t len, const char *path, struct mls_card *card, char *err,
                      size_t errlen);

/* mls_card_fini - release what @card owns and zero it. NULL-safe. */
void mls_card_fini(struct mls_card *card);

#endif /* MLSCAN_CARD_H */
