/*
 * card.h - the run card: YAML text -> typed, validated plain data.
 * Only src/card.c knows libyaml. Every rank parses the same bytes the same way.
 */
#ifndef MLSCAN_CARD_H
#define MLSCAN_CARD_H

#include <stdbool.h>
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
        int obs_index; /* index into the card's observables (obs) */
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
/* run.mode: async (default) lets generations overlap and trains in a thread; sync waits for each. */
enum mls_mode { MLS_MODE_ASYNC = 0, MLS_MODE_SYNC };
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

/*
 * physics: a built-in model, or a chain of external programs run per point in a private
 * scratch directory (physics.h; defaults in src/card.c, README and the man page).
 */
#define MLS_CARD_MAX_INDICES 8
enum mls_obs_kind { MLS_OBS_BUILTIN = 0, MLS_OBS_SLHA, MLS_OBS_TABLE, MLS_OBS_TEXT, MLS_OBS_EXPR };

struct mls_obs {
        char *name;
        enum mls_obs_kind kind;
        int builtin_index; /* builtin: index into the model's observables */
        char *file;        /* slha/table/text: file name in the scratch directory */
        char *key;         /* slha: block name (or DECAY, DECAY1L); table: column name (NULL: by
                              index); text: the name on the line */
        int nidx;          /* slha: integer indices; table: 1 (column index, 0-based, in idx[0]) */
        int idx[MLS_CARD_MAX_INDICES];
        double q; /* slha: Q= of the block (NAN: the last block of that name) */
        int row;  /* table: 0-based data row, -1 the last */
        char *expr;
        int has_valid; /* a validity cut: the point is invalid outside [lo, hi] */
        double lo, hi;
};

/* An input file rendered per point: text with {name} / {name:fmt} placeholders, or SLHA entries set. */
struct mls_slha_set {
        int param; /* index into params */
        char *block;
        int nidx;
        int idx[MLS_CARD_MAX_INDICES];
};
struct mls_template {
        char *from; /* absolute path of the template */
        char *to;   /* file name in the scratch directory */
        char *text; /* the template's bytes */
        size_t len;
        int slha; /* set SLHA entries instead of replacing placeholders */
        int nset;
        struct mls_slha_set *set;
};

struct mls_program {
        char *name;
        int argc;
        char **argv; /* argv[0] resolved to an absolute path; others may hold placeholders */
        int nenv;
        char **env; /* "NAME=value" */
        double timeout;
        char *output; /* a file the program must produce (NULL: none) */
};

struct mls_physics_card {
        char *scratch; /* parent of the per-rank scratch directories (NULL: /dev/shm or $TMPDIR) */
        int keep_scratch;
        double kill_grace; /* seconds between SIGTERM and SIGKILL */
        int nfiles;
        char **files; /* absolute paths copied into each scratch directory once */
        int ntemplates;
        struct mls_template *templates;
        int nprograms;
        struct mls_program *programs;
        char *slha; /* the default file of slha observables */
        int nkeep;
        char **keep; /* output files stored per point in /outputs */
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
        int mode;   /* enum mls_mode */
        double checkpoint_seconds;
        int64_t checkpoint_generations; /* also checkpoint after every this many generations (0: no) */
        double checkpoint_max_share; /* postpone checkpoints to keep them below this share of the time (0: no) */
        char *start_from;            /* CSV or mlscan HDF5 file of earlier points (NULL: none) */
        /* stop: (0 = no limit; at least one is set) */
        int64_t max_evaluations;
        int64_t max_good;
        int64_t max_generations;
        double walltime; /* seconds */
        /* parameters: */
        int nparams;
        struct mls_param *params;
        /* physics: */
        int builtin; /* index into the built-in model table (physics.h); -1: external programs */
        struct mls_physics_card phys;
        int nobs; /* observables: the built-in model's, then the card's own */
        struct mls_obs *obs;
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

/*
 * mls_card_describe - the card as canonical `section.key = value` lines, every default
 * written out and each template's content hashed (NULL-terminated; release with
 * mls_card_describe_free()). Stored in the output file (card_summary) so that a resumed run
 * can be compared with the card it started from.
 */
char **mls_card_describe(const struct mls_card *card);
void mls_card_describe_free(char ***lines);

/*
 * mls_card_resume_diff - true when a run started with description @old may not be resumed
 * with description @now (stop.*, run.checkpoint_*, run.output, run.name, physics.scratch,
 * keep_scratch, kill_grace, program timeouts and model.threads may change; nothing else),
 * with the first difference in @msg: "search.candidates: '100000' in the file, '50000' now".
 */
bool mls_card_resume_diff(char *const *old, char *const *now, char *msg, size_t len);

#endif /* MLSCAN_CARD_H */
