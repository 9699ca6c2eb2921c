/*
 * nn.h - rank 0's learning engine: a multilayer perceptron on oneDNN primitives (f32).
 * Only src/nn.c knows oneDNN. Regression (linear outputs, one or several targets) or binary
 * classification (one sigmoid output). Not collective: rank 0 alone trains and predicts.
 */
#ifndef MLSCAN_NN_H
#define MLSCAN_NN_H

#include <stdbool.h>
#include <stdint.h>
#include "mlscan/err.h"

#define MLS_NN_MAX_HIDDEN 16

enum mls_act { MLS_ACT_RELU = 0, MLS_ACT_SILU, MLS_ACT_TANH };
enum mls_nn_out { MLS_OUT_LINEAR = 0, MLS_OUT_SIGMOID };
enum mls_loss { MLS_LOSS_MSE = 0, MLS_LOSS_MAE, MLS_LOSS_BCE };
enum mls_optim { MLS_OPTIM_ADAM = 0, MLS_OPTIM_ADAMW };

struct mls_nn_arch {
        int nin, nout;
        int nhidden; /* hidden layers, 0 .. MLS_NN_MAX_HIDDEN */
        int width[MLS_NN_MAX_HIDDEN];
        enum mls_act act;    /* of every hidden layer */
        enum mls_nn_out out; /* MLS_OUT_SIGMOID needs nout == 1 */
};

struct mls_nn_train_opts {
        enum mls_loss loss;   /* BCE goes with a sigmoid output */
        enum mls_optim optim; /* Adam (weight_decay as L2) or AdamW (decoupled) */
        double lr, lr_decay;  /* learning rate of epoch e: lr * lr_decay^e (1: constant) */
        double beta1, beta2, eps, weight_decay;
        int epochs, batch;
        double val_fraction; /* held out, seeded; 0: no validation, no early stopping */
        int patience;        /* epochs without improvement before stopping; 0: never stop early */
        double min_delta;    /* an improvement must beat the best validation loss by this */
        double pos_weight;   /* BCE weight of the positive class (1: none) */
        uint64_t seed;       /* shuffling and the validation split */
};

/* mls_nn_train_defaults - Adam, lr 1e-3, betas 0.9/0.999, eps 1e-8, 250 epochs, batch 500,
 * val_fraction 0.2, patience 10, min_delta 1e-5, pos_weight 1, MSE (BCE for sigmoid output). */
void mls_nn_train_defaults(struct mls_nn_train_opts *o, enum mls_nn_out out);

struct mls_nn_report {
        int epochs_run;    /* epochs actually run */
        int best_epoch;    /* 1-based epoch whose weights were kept */
        double train_loss; /* mean training loss of the kept epoch */
        double val_loss;   /* validation loss of the kept epoch (NaN without validation) */
        double seconds;
        double gflop; /* floating-point work done, 1e9 FLOP */
};

typedef struct mls_nn mls_nn;

/*
 * mls_nn_create - a network of architecture @a with fresh weights drawn from @seed (uniform
 * +-1/sqrt(fan_in) for weights and biases, as torch.nn.Linear), identity scalers and zeroed
 * optimizer state. @threads > 0 sets the OpenMP threads oneDNN uses (process-wide).
 * On MLS_OK *out is owned by caller (release with mls_nn_destroy()).
 */
mls_rc mls_nn_create(const struct mls_nn_arch *a, uint64_t seed, int threads, mls_nn **out);
void mls_nn_destroy(mls_nn **nn);

/* mls_nn_reset - fresh seeded weights, zeroed optimizer state, scalers to be fitted again. */
void mls_nn_reset(mls_nn *nn, uint64_t seed);

/*
 * mls_nn_train - train on @n rows: inputs @x[n x nin], targets @y[n x nout] (0/1 labels for a
 * classifier). Scalers (input means/deviations, and for regression target ones) are fitted on
 * the first call after create/reset and kept afterwards, so later calls warm-start the same
 * weights. With validation, the best epoch's weights are restored at the end.
 */
mls_rc mls_nn_train(mls_nn *nn, const double *x, const double *y, int64_t n,
                    const struct mls_nn_train_opts *o, struct mls_nn_report *rep);
/*
 * mls_nn_cancel - while on, every training (in any thread) returns MLS_STOPPED before its next
 * epoch, leaving its network half trained: rank 0 ends its learning thread with it.
 */
void mls_nn_cancel(bool on);
/* mls_nn_threads - the OpenMP threads the calling thread's primitives use (OpenMP's setting is per thread). */
void mls_nn_threads(int threads);

/*
 * mls_nn_predict - outputs @y[n x nout] for inputs @x[n x nin], in the original units
 * (probabilities for a classifier). Works in chunks: memory stays bounded whatever @n.
 */
mls_rc mls_nn_predict(mls_nn *nn, const double *x, int64_t n, double *y);

/*
 * mls_nn_loss_grad - the training loss over @n rows (already standardised inputs @xs and
 * targets @ys, as float) and its gradient with respect to every parameter into @grad
 * (mls_nn_nparams() floats, in the order of mls_nn_params()). For gradient checks.
 */
mls_rc mls_nn_loss_grad(mls_nn *nn, const float *xs, const float *ys, int64_t n,
                        const struct mls_nn_train_opts *o, double *loss, float *grad);

/* The whole state, as plain data (borrowed pointers into the network, valid until it changes). */
struct mls_nn_state {
        struct mls_nn_arch arch;
        int64_t nparams; /* weights (out x in per layer, then bias), layer by layer */
        float *params, *adam_m, *adam_v;
        int64_t step;           /* optimizer steps taken */
        bool scaled;            /* scalers fitted */
        double *x_mean, *x_std; /* nin each */
        double *y_mean, *y_std; /* nout each */
};

/* mls_nn_state_get - view the state of @nn (for saving). */
void mls_nn_state_get(mls_nn *nn, struct mls_nn_state *st);
/* mls_nn_state_load - a network holding a copy of @st; owned by caller (mls_nn_destroy()). */
mls_rc mls_nn_state_load(const struct mls_nn_state *st, int threads, mls_nn **out);

int64_t mls_nn_nparams(const mls_nn *nn);
float *mls_nn_params(mls_nn *nn); /* borrowed; for tests and gradient checks */
const struct mls_nn_arch *mls_nn_arch_get(const mls_nn *nn);

#endif /* MLSCAN_NN_H */
