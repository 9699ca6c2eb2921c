/*
 * nn_engine.c - mlscan's side of "mlscan's engine vs PyTorch" (run by bench/nn_vs_torch.sh).
 *
 *   nn_engine --case reg7|reg20|cls7 [--threads T] [--dump-init FILE] [--data FILE]
 *             [--n N] [--epochs E] [--infer M] [--seed S]
 *        speed: train d -> 4 x 100 ReLU -> 1 on N points (Adam lr 1e-3, batch 500, E epochs, no
 *        validation, no early stopping), the loss on a 10,000-point test set, then predict M points.
 *        --dump-init writes the initial weights, --data the STANDARDISED training and test sets
 *        (as float32, exactly what the engine trains on), so bench/nn_torch.py starts from the same
 *        weights and data.
 *   nn_engine --warm-cold --case reg7|reg20|cls7 --n N [--max-epochs E] [--no-native]
 *        time to equal validation loss: a fresh network with early stopping (cold) against one
 *        warm-started from a previous generation trained on the first 90% of the points.
 *   nn_engine --peak
 *        measured FP32 FMA throughput of one core with AVX2 and AVX-512 registers.
 *
 * Each measurement is one line "nn_engine key=value ..." on stdout; diagnostics go to stderr.
 * Not MPI: the engine is rank 0's alone.
 */
#include <config.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "mlscan/nn.h"
#include "mlscan/rng.h"
#include "mlscan/util.h"

#define MAX_IN     32
#define NHIDDEN    4
#define WIDTH      100
#define NTEST      10000
#define STREAM_TR  1 /* random streams of the data sets */
#define STREAM_TE  2
#define STREAM_INF 3
#define STREAM_VAL 4
#define PATIENCE   10 /* mls_nn_train_defaults() */

enum mode { MODE_SPEED, MODE_WARM_COLD, MODE_PEAK };

struct bcase {
        const char *name;
        int nin;
        bool cls; /* cls7: label of the shell3d likelihood; else y = sum sin x_i */
};

static const struct bcase cases[] = {{"reg7", 7, false}, {"reg20", 20, false}, {"cls7", 7, true}};

struct opts {
        enum mode mode;
        const struct bcase *bc;
        int threads, epochs, max_epochs;
        int64_t n, ninfer;
        uint64_t seed;
        const char *init_path, *data_path;
        bool native; /* warm-cold: also time mls_nn_train's own early stopping */
};

/* A data set in original units; owned (release with set_free()). */
struct set {
        int64_t n;
        int nin;
        double *x, *y;
};

/* Means and population deviations, computed as src/nn.c computes them. */
struct scaler {
        double xm[MAX_IN], xs[MAX_IN], ym, ys;
};

struct clocks {
        double cpu, wall;
};

/* ------------------------------------------------------------------ small helpers */

static struct clocks clocks_now(void)
{
        struct timespec c, w;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
        clock_gettime(CLOCK_MONOTONIC, &w);
        return (struct clocks){c.tv_sec + 1e-9 * c.tv_nsec, w.tv_sec + 1e-9 * w.tv_nsec};
}

/* clocks_add - add the time since @t0 to @sum. */
static void clocks_add(struct clocks *sum, struct clocks t0)
{
        struct clocks t = clocks_now();

        sum->cpu += t.cpu - t0.cpu;
        sum->wall += t.wall - t0.wall;
}

static void set_alloc(struct set *s, int64_t n, int nin)
{
        s->n = n;
        s->nin = nin;
        s->x = mls_calloc((size_t)(n * nin), sizeof(double));
        s->y = mls_calloc((size_t)n, sizeof(double));
}

static void set_free(struct set *s)
{
        free(s->x);
        free(s->y);
        s->x = s->y = NULL;
}

/* shell_label - 1 when the shell3d likelihood L = exp(-(F-100)^2/800) of x[0..2] exceeds 0.5. */
static double shell_label(const double *x)
{
        double f = pow(2.0 + cos(x[0] / 7.0) * cos(x[1] / 7.0) * cos(x[2] / 7.0), 5.0);

        return exp(-(f - 100.0) * (f - 100.0) / 800.0) > 0.5 ? 1.0 : 0.0;
}

/* draw - @n points of case @bc from stream @stream of @seed into @s. */
static void draw(const struct bcase *bc, uint64_t seed, uint64_t stream, int64_t n, struct set *s)
{
        double lo = bc->cls ? -10.0 * MLS_PI : -2.0 * MLS_PI, span = -2.0 * lo;
        struct mls_rng rng;

        set_alloc(s, n, bc->nin);
        mls_rng_init(&rng, seed, stream);
        for (int64_t i = 0; i < n; i++) {
                double *x = s->x + i * bc->nin, sum = 0.0;

                for (int j = 0; j < bc->nin; j++) {
                        x[j] = lo + span * mls_rng_uniform(&rng);
                        sum += sin(x[j]);
                }
                s->y[i] = bc->cls ? shell_label(x) : sum;
        }
}

/* fit_column - the same arithmetic, in the same order, as fit_column() in src/nn.c. */
static void fit_column(const double *v, int64_t n, int stride, double *mean, double *std)
{
        double s = 0.0, ss = 0.0;

        for (int64_t i = 0; i < n; i++)
                s += v[i * stride];
        *mean = s / (double)n;
        for (int64_t i = 0; i < n; i++)
                ss += (v[i * stride] - *mean) * (v[i * stride] - *mean);
        *std = sqrt(ss / (double)n);
        if (!(*std > 1e-12 * (fabs(*mean) + 1.0)))
                *std = 1.0;
}

static void fit_scaler(const struct set *s, bool cls, struct scaler *sc)
{
        for (int j = 0; j < s->nin; j++)
                fit_column(s->x + j, s->n, s->nin, &sc->xm[j], &sc->xs[j]);
        sc->ym = 0.0; /* class labels stay 0/1 */
        sc->ys = 1.0;
        if (!cls)
                fit_column(s->y, s->n, 1, &sc->ym, &sc->ys);
}

/* standardise - @s as float, (v - mean) / std as src/nn.c's scale_rows(); owned by caller (free()). */
static void standardise(const struct set *s, const struct scaler *sc, float **xs, float **ys)
{
        *xs = mls_calloc((size_t)(s->n * s->nin), sizeof(float));
        *ys = mls_calloc((size_t)s->n, sizeof(float));
        for (int64_t i = 0; i < s->n; i++) {
                for (int j = 0; j < s->nin; j++)
                        (*xs)[i * s->nin + j] = (float)((s->x[i * s->nin + j] - sc->xm[j]) / sc->xs[j]);
                (*ys)[i] = (float)((s->y[i] - sc->ym) / sc->ys);
        }
}

static bool scaler_matches(mls_nn *nn, const struct scaler *sc, int nin)
{
        struct mls_nn_state st;
        bool same = true;

        mls_nn_state_get(nn, &st);
        for (int j = 0; j < nin; j++)
                same = same && st.x_mean[j] == sc->xm[j] && st.x_std[j] == sc->xs[j];
        return same && st.y_mean[0] == sc->ym && st.y_std[0] == sc->ys;
}

static struct mls_nn_arch make_arch(const struct bcase *bc)
{
        struct mls_nn_arch a = {.nin = bc->nin, .nout = 1, .nhidden = NHIDDEN, .act = MLS_ACT_RELU};

        for (int i = 0; i < NHIDDEN; i++)
                a.width[i] = WIDTH;
        a.out = bc->cls ? MLS_OUT_SIGMOID : MLS_OUT_LINEAR;
        return a;
}

/* flop_row - work per row: 2 in out forward; training adds 4 in out backward (2 in layer 1). */
static double flop_row(const struct mls_nn_arch *a, bool train)
{
        double f = 0.0;

        for (int i = 0; i <= a->nhidden; i++) {
                double in = i == 0 ? a->nin : a->width[i - 1], out = i == a->nhidden ? a->nout : a->width[i];

                f += (train ? (i == 0 ? 4.0 : 6.0) : 2.0) * in * out;
        }
        return f;
}

/* ------------------------------------------------------------------ files for the torch script */

static mls_rc write_file(const char *path, const char magic[8], const int64_t *head, int nhead,
                         const float *const *blocks, const int64_t *lens, int nblocks)
{
        FILE *f = fopen(path, "wb");
        bool ok = f != NULL;

        ok = ok && fwrite(magic, 1, 8, f) == 8 &&
             fwrite(head, sizeof(int64_t), (size_t)nhead, f) == (size_t)nhead;
        for (int b = 0; ok && b < nblocks; b++)
                ok = fwrite(blocks[b], sizeof(float), (size_t)lens[b], f) == (size_t)lens[b];
        if (f && fclose(f) != 0)
                ok = false;
        if (!ok) {
                fprintf(stderr, "nn_engine: cannot write %s\n", path);
                return MLS_ERR_IO;
        }
        return MLS_OK;
}

/* dump_init - "MLSNNINI", nlayers, (in, out) per layer, nparams, then the flat float32 weights. */
static mls_rc dump_init(const char *path, mls_nn *nn)
{
        const struct mls_nn_arch *a = mls_nn_arch_get(nn);
        int64_t head[2 * MLS_NN_MAX_HIDDEN + 4], len = mls_nn_nparams(nn);
        const float *blocks[1] = {mls_nn_params(nn)};
        int k = 0;

        head[k++] = a->nhidden + 1;
        for (int i = 0; i <= a->nhidden; i++) {
                head[k++] = i == 0 ? a->nin : a->width[i - 1];
                head[k++] = i == a->nhidden ? a->nout : a->width[i];
        }
        head[k++] = len;
        return write_file(path, "MLSNNINI", head, k, blocks, &len, 1);
}

/* dump_data - "MLSNNDAT", ntrain, ntest, nin, nout, then x_train, y_train, x_test, y_test (float32). */
static mls_rc dump_data(const char *path, const float *const blocks[4], int64_t ntr, int64_t nte, int nin)
{
        int64_t head[4] = {ntr, nte, nin, 1}, lens[4] = {ntr * nin, ntr, nte * nin, nte};

        return write_file(path, "MLSNNDAT", head, 4, blocks, lens, 4);
}

/* ------------------------------------------------------------------ speed */

/* The data of a speed run: original units and the standardised copies the torch script gets. */
struct speed_data {
        struct set tr, te;
        struct scaler sc;
        float *xtr, *ytr, *xte, *yte;
};

static mls_rc speed_data_make(const struct opts *op, struct speed_data *d)
{
        const float *blocks[4];
        double pos = 0.0;

        draw(op->bc, op->seed, STREAM_TR, op->n, &d->tr);
        draw(op->bc, op->seed, STREAM_TE, NTEST, &d->te);
        fit_scaler(&d->tr, op->bc->cls, &d->sc);
        standardise(&d->tr, &d->sc, &d->xtr, &d->ytr);
        standardise(&d->te, &d->sc, &d->xte, &d->yte);
        for (int64_t i = 0; op->bc->cls && i < d->tr.n; i++)
                pos += d->tr.y[i];
        if (op->bc->cls)
                printf("nn_engine case=%s what=data positive_fraction=%.4f\n", op->bc->name,
                       pos / (double)op->n);
        blocks[0] = d->xtr;
        blocks[1] = d->ytr;
        blocks[2] = d->xte;
        blocks[3] = d->yte;
        return op->data_path ? dump_data(op->data_path, blocks, op->n, NTEST, op->bc->nin) : MLS_OK;
}

static void speed_data_free(struct speed_data *d)
{
        set_free(&d->tr);
        set_free(&d->te);
        free(d->xtr);
        free(d->ytr);
        free(d->xte);
        free(d->yte);
}

/* std_loss - the training loss of @nn on standardised rows, computed by the engine itself. */
static mls_rc std_loss(mls_nn *nn, const float *xs, const float *ys, int64_t n,
                       const struct mls_nn_train_opts *o, double *loss)
{
        float *grad = mls_calloc((size_t)mls_nn_nparams(nn), sizeof(float));
        mls_rc rc = mls_nn_loss_grad(nn, xs, ys, n, o, loss, grad);

        free(grad);
        return rc;
}

static mls_rc speed_train(const struct opts *op, mls_nn *nn, struct speed_data *d)
{
        struct mls_nn_train_opts o;
        struct mls_nn_report rep;
        struct clocks t = {0, 0}, t0;
        double gflop = flop_row(mls_nn_arch_get(nn), true) * (double)op->n * op->epochs * 1e-9, loss;
        mls_rc rc;

        mls_nn_train_defaults(&o, mls_nn_arch_get(nn)->out);
        o.epochs = op->epochs;
        o.val_fraction = 0.0; /* the same work as torch: every epoch, no early stopping */
        o.patience = 0;
        o.seed = op->seed;
        if ((rc = std_loss(nn, d->xtr, d->ytr, op->n, &o, &loss)) != MLS_OK)
                return rc;
        printf("nn_engine case=%s threads=%d what=init train_loss=%.9g\n", op->bc->name, op->threads, loss);
        t0 = clocks_now();
        rc = mls_nn_train(nn, d->tr.x, d->tr.y, op->n, &o, &rep);
        clocks_add(&t, t0);
        if (rc != MLS_OK)
                return rc;
        printf("nn_engine case=%s threads=%d what=train n=%lld epochs=%d cpu_s=%.4f wall_s=%.4f gflop=%.3f "
               "engine_gflop=%.3f gflops_cpu=%.2f final_train_loss=%.6g scalers_match=%d\n",
               op->bc->name, op->threads, (long long)op->n, rep.epochs_run, t.cpu, t.wall, gflop, rep.gflop,
               gflop / t.cpu, rep.train_loss, scaler_matches(nn, &d->sc, op->bc->nin));
        if ((rc = std_loss(nn, d->xte, d->yte, NTEST, &o, &loss)) == MLS_OK)
                printf("nn_engine case=%s threads=%d what=test n=%d loss=%.6g\n", op->bc->name, op->threads,
                       NTEST, loss);
        return rc;
}

/* speed_infer - predict @op->ninfer fresh points (original units, as the scanner calls it). */
static mls_rc speed_infer(const struct opts *op, mls_nn *nn)
{
        struct set s;
        struct clocks t = {0, 0}, t0;
        double gflop = flop_row(mls_nn_arch_get(nn), false) * (double)op->ninfer * 1e-9, *yhat;
        mls_rc rc;

        draw(op->bc, op->seed, STREAM_INF, op->ninfer, &s);
        yhat = mls_calloc((size_t)op->ninfer, sizeof(double));
        /* A first small call builds the inference primitives outside the timing, as torch warms up. */
        rc = mls_nn_predict(nn, s.x, op->ninfer < 4096 ? op->ninfer : 4096, yhat);
        t0 = clocks_now();
        if (rc == MLS_OK)
                rc = mls_nn_predict(nn, s.x, op->ninfer, yhat);
        clocks_add(&t, t0);
        if (rc == MLS_OK)
                printf("nn_engine case=%s threads=%d what=infer n=%lld cpu_s=%.4f wall_s=%.4f gflop=%.3f "
                       "gflops_cpu=%.2f\n",
                       op->bc->name, op->threads, (long long)op->ninfer, t.cpu, t.wall, gflop, gflop / t.cpu);
        free(yhat);
        set_free(&s);
        return rc;
}

static mls_rc run_speed(const struct opts *op)
{
        struct mls_nn_arch a = make_arch(op->bc);
        struct speed_data d;
        mls_nn *nn = NULL;
        mls_rc rc;

        memset(&d, 0, sizeof(d));
        if ((rc = mls_nn_create(&a, op->seed, op->threads, &nn)) != MLS_OK)
                return rc;
        if (op->init_path)
                rc = dump_init(op->init_path, nn);
        if (rc == MLS_OK)
                rc = speed_data_make(op, &d);
        if (rc == MLS_OK)
                rc = speed_train(op, nn, &d);
        if (rc == MLS_OK)
                rc = speed_infer(op, nn);
        speed_data_free(&d);
        mls_nn_destroy(&nn);
        return rc;
}

/* ------------------------------------------------------------------ warm vs cold */

/* What one training run did. Times run from its start and include the per-epoch validation. */
struct es_run {
        int epochs, best_epoch; /* epochs run; the epoch whose weights were kept (0: the starting ones) */
        int reach_epoch,
                near_epoch; /* first epoch with validation loss <= target, <= 1.01 target; -1: never */
        int since;          /* epochs without improvement */
        double first_val, best_val, target;
        struct clocks t, t_best, t_reach, t_near;
};

/* val_loss - MSE in original units, or BCE of the predicted probabilities, of @nn on @va. */
static mls_rc val_loss(mls_nn *nn, const struct set *va, bool cls, double *loss)
{
        double *p = mls_calloc((size_t)va->n, sizeof(double)), sum = 0.0;
        mls_rc rc = mls_nn_predict(nn, va->x, va->n, p);

        for (int64_t i = 0; i < va->n; i++) {
                double q = fmin(fmax(p[i], 1e-15), 1.0 - 1e-15), d = p[i] - va->y[i];

                sum += cls ? -(va->y[i] * log(q) + (1.0 - va->y[i]) * log(1.0 - q)) : d * d;
        }
        *loss = sum / (double)va->n;
        free(p);
        return rc;
}

/* es_note - record epoch @e's validation loss @vl (a copy of improved weights goes to @best); true: stop. */
static bool es_note(struct es_run *r, mls_nn *nn, int e, double vl, float *best, struct clocks t0)
{
        struct clocks now = clocks_now(), el = {now.cpu - t0.cpu, now.wall - t0.wall};
        struct mls_nn_state st;

        mls_nn_state_get(nn, &st);
        if (e == 0)
                r->first_val = vl;
        if (r->target > 0 && r->reach_epoch < 0 && vl <= r->target) {
                r->reach_epoch = e;
                r->t_reach = el;
        }
        if (r->target > 0 && r->near_epoch < 0 && vl <= 1.01 * r->target) {
                r->near_epoch = e;
                r->t_near = el;
        }
        /* mls_nn_train's min_delta (1e-5) applies to standardised targets: rescale it. */
        if (vl < r->best_val - 1e-5 * st.y_std[0] * st.y_std[0]) {
                r->best_val = vl;
                r->best_epoch = e;
                r->t_best = el;
                r->since = 0;
                memcpy(best, mls_nn_params(nn), (size_t)mls_nn_nparams(nn) * sizeof(float));
                return false;
        }
        return ++r->since >= PATIENCE;
}

/*
 * train_es - early stopping as mls_nn_train does it (patience 10, best weights restored), but one
 * mls_nn_train() call per epoch (reshuffled by a per-epoch seed) on @tr and the validation loss on
 * @va after each, so that cold and warm runs see the same validation set. With @target > 0 the
 * run also notes when it first reaches @target, counting epoch 0 (the starting weights).
 */
static mls_rc train_es(mls_nn *nn, const struct set *tr, const struct set *va, const struct opts *op,
                       double target, struct es_run *r)
{
        struct mls_nn_train_opts o;
        struct mls_nn_report rep;
        float *best = mls_calloc((size_t)mls_nn_nparams(nn), sizeof(float));
        struct clocks t0 = clocks_now();
        double vl;
        mls_rc rc = MLS_OK;

        mls_nn_train_defaults(&o, mls_nn_arch_get(nn)->out);
        o.epochs = 1;
        o.val_fraction = 0.0;
        o.patience = 0;
        *r = (struct es_run){.best_epoch = -1,
                             .reach_epoch = -1,
                             .near_epoch = -1,
                             .first_val = NAN,
                             .best_val = INFINITY,
                             .target = target};
        for (int e = target > 0 ? 0 : 1; e <= op->max_epochs && rc == MLS_OK; e++) {
                o.seed = op->seed * 100003 + (uint64_t)e;
                if (e > 0)
                        rc = mls_nn_train(nn, tr->x, tr->y, tr->n, &o, &rep);
                if (rc == MLS_OK)
                        rc = val_loss(nn, va, op->bc->cls, &vl);
                r->epochs = e;
                if (rc != MLS_OK || es_note(r, nn, e, vl, best, t0))
                        break;
        }
        clocks_add(&r->t, t0);
        if (r->best_epoch >= 0)
                memcpy(mls_nn_params(nn), best, (size_t)mls_nn_nparams(nn) * sizeof(float));
        free(best);
        return rc;
}

/* The points of a warm-cold run, split once for life: a point stays validation or training. */
struct wc_data {
        struct set tr, va, tr_prev, va_prev, te;
};

static void wc_split(const struct set *all, int64_t upto, struct set *tr, struct set *va, uint64_t seed)
{
        struct mls_rng rng;
        int64_t ntr = 0, nva = 0;
        int d = all->nin;

        set_alloc(tr, upto, d);
        set_alloc(va, upto, d);
        mls_rng_init(&rng, seed, STREAM_VAL);
        for (int64_t i = 0; i < upto; i++) {
                struct set *s = mls_rng_uniform(&rng) < 0.2 ? va : tr;
                int64_t k = s == va ? nva++ : ntr++;

                memcpy(s->x + k * d, all->x + i * d, (size_t)d * sizeof(double));
                s->y[k] = all->y[i];
        }
        tr->n = ntr;
        va->n = nva;
}

static void wc_print(const struct opts *op, const char *run, const struct es_run *r, double test)
{
        printf("nn_engine what=warmcold case=%s n=%lld run=%s epochs=%d best_epoch=%d first_val=%.6g "
               "val=%.6g cpu_s=%.4f wall_s=%.4f cpu_best_s=%.4f target=%.6g reach_epoch=%d cpu_reach_s=%.4f "
               "near_epoch=%d cpu_near_s=%.4f test=%.6g\n",
               op->bc->name, (long long)op->n, run, r->epochs, r->best_epoch, r->first_val, r->best_val,
               r->t.cpu, r->t.wall, r->t_best.cpu, r->target, r->reach_epoch, r->t_reach.cpu, r->near_epoch,
               r->t_near.cpu, test);
}

/* wc_native - the cold run as the scanner does it: one mls_nn_train() with its own split. */
static mls_rc wc_native(const struct opts *op, const struct set *all)
{
        struct mls_nn_arch a = make_arch(op->bc);
        struct mls_nn_train_opts o;
        struct mls_nn_report rep;
        struct clocks t = {0, 0}, t0;
        mls_nn *nn = NULL;
        mls_rc rc;

        if ((rc = mls_nn_create(&a, op->seed, op->threads, &nn)) != MLS_OK)
                return rc;
        mls_nn_train_defaults(&o, a.out);
        o.epochs = op->max_epochs;
        o.seed = op->seed;
        t0 = clocks_now();
        rc = mls_nn_train(nn, all->x, all->y, all->n, &o, &rep);
        clocks_add(&t, t0);
        if (rc == MLS_OK)
                printf("nn_engine what=warmcold case=%s n=%lld run=native epochs=%d best_epoch=%d "
                       "val_std=%.6g cpu_s=%.4f wall_s=%.4f\n",
                       op->bc->name, (long long)op->n, rep.epochs_run, rep.best_epoch, rep.val_loss, t.cpu,
                       t.wall);
        mls_nn_destroy(&nn);
        return rc;
}

static mls_rc wc_runs(const struct opts *op, struct wc_data *d)
{
        struct mls_nn_arch a = make_arch(op->bc);
        mls_nn *cold = NULL, *warm = NULL;
        struct es_run r_cold, r_prev, r_warm;
        double t_cold = NAN, t_warm = NAN;
        mls_rc rc;

        if ((rc = mls_nn_create(&a, op->seed, op->threads, &cold)) == MLS_OK)
                rc = mls_nn_create(&a, op->seed, op->threads, &warm);
        if (rc == MLS_OK)
                rc = train_es(cold, &d->tr, &d->va, op, 0.0, &r_cold);
        if (rc == MLS_OK && (rc = val_loss(cold, &d->te, op->bc->cls, &t_cold)) == MLS_OK)
                wc_print(op, "cold", &r_cold, t_cold);
        /* The previous generation: the first 90% of the points, early stopping on its own split. */
        if (rc == MLS_OK && (rc = train_es(warm, &d->tr_prev, &d->va_prev, op, 0.0, &r_prev)) == MLS_OK)
                wc_print(op, "prev", &r_prev, NAN);
        if (rc == MLS_OK)
                rc = train_es(warm, &d->tr, &d->va, op, r_cold.best_val, &r_warm);
        if (rc == MLS_OK && (rc = val_loss(warm, &d->te, op->bc->cls, &t_warm)) == MLS_OK)
                wc_print(op, "warm", &r_warm, t_warm);
        mls_nn_destroy(&cold);
        mls_nn_destroy(&warm);
        return rc;
}

static mls_rc run_warm_cold(const struct opts *op)
{
        struct set all;
        struct wc_data d;
        mls_rc rc;

        draw(op->bc, op->seed, STREAM_TR, op->n, &all);
        draw(op->bc, op->seed, STREAM_TE, NTEST, &d.te);
        wc_split(&all, op->n, &d.tr, &d.va, op->seed);
        wc_split(&all, op->n * 9 / 10, &d.tr_prev, &d.va_prev, op->seed);
        rc = wc_runs(op, &d);
        if (rc == MLS_OK && op->native)
                rc = wc_native(op, &all);
        set_free(&all);
        set_free(&d.tr);
        set_free(&d.va);
        set_free(&d.tr_prev);
        set_free(&d.va_prev);
        set_free(&d.te);
        return rc;
}

/* ------------------------------------------------------------------ FMA peak */

#if defined(__x86_64__)
/* Twelve independent chains hide the FMA latency (4 cycles x 2 ports); x <- 0.9999999 x + 1e-7 stays at 1. */
#define FMA12(fma, a, b, v)                                                                                  \
        do {                                                                                                 \
                v##0 = fma(v##0, a, b), v##1 = fma(v##1, a, b), v##2 = fma(v##2, a, b);                      \
                v##3 = fma(v##3, a, b), v##4 = fma(v##4, a, b), v##5 = fma(v##5, a, b);                      \
                v##6 = fma(v##6, a, b), v##7 = fma(v##7, a, b), v##8 = fma(v##8, a, b);                      \
                v##9 = fma(v##9, a, b), v##10 = fma(v##10, a, b), v##11 = fma(v##11, a, b);                  \
        } while (0)

__attribute__((target("avx2,fma"))) static float fma_avx2(int64_t iters)
{
        __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f), v0, v1, v2, v3, v4, v5, v6, v7, v8,
               v9, v10, v11, s;

        /* distinct starts, or the compiler merges the identical chains into one */
        v0 = _mm256_set1_ps(1.0f), v1 = _mm256_set1_ps(1.1f), v2 = _mm256_set1_ps(1.2f);
        v3 = _mm256_set1_ps(1.3f), v4 = _mm256_set1_ps(1.4f), v5 = _mm256_set1_ps(1.5f);
        v6 = _mm256_set1_ps(1.6f), v7 = _mm256_set1_ps(1.7f), v8 = _mm256_set1_ps(1.8f);
        v9 = _mm256_set1_ps(1.9f), v10 = _mm256_set1_ps(2.0f), v11 = _mm256_set1_ps(2.1f);
        for (int64_t i = 0; i < iters; i++)
                FMA12(_mm256_fmadd_ps, a, b, v);
        s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(v0, v1), _mm256_add_ps(v2, v3)),
                          _mm256_add_ps(_mm256_add_ps(v4, v5), _mm256_add_ps(v6, v7)));
        s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(v8, v9), _mm256_add_ps(v10, v11)));
        return _mm256_cvtss_f32(s);
}

__attribute__((target("avx512f"))) static float fma_avx512(int64_t iters)
{
        __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f), v0, v1, v2, v3, v4, v5, v6, v7, v8,
               v9, v10, v11, s;

        /* distinct starts, or the compiler merges the identical chains into one */
        v0 = _mm512_set1_ps(1.0f), v1 = _mm512_set1_ps(1.1f), v2 = _mm512_set1_ps(1.2f);
        v3 = _mm512_set1_ps(1.3f), v4 = _mm512_set1_ps(1.4f), v5 = _mm512_set1_ps(1.5f);
        v6 = _mm512_set1_ps(1.6f), v7 = _mm512_set1_ps(1.7f), v8 = _mm512_set1_ps(1.8f);
        v9 = _mm512_set1_ps(1.9f), v10 = _mm512_set1_ps(2.0f), v11 = _mm512_set1_ps(2.1f);
        for (int64_t i = 0; i < iters; i++)
                FMA12(_mm512_fmadd_ps, a, b, v);
        s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(v0, v1), _mm512_add_ps(v2, v3)),
                          _mm512_add_ps(_mm512_add_ps(v4, v5), _mm512_add_ps(v6, v7)));
        s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(v8, v9), _mm512_add_ps(v10, v11)));
        return _mm512_reduce_add_ps(s);
}

/* peak_one - GFLOP per CPU second of @kernel (12 FMA of @lanes floats per iteration), best of 3. */
static double peak_one(float (*kernel)(int64_t), int lanes, float *sink)
{
        int64_t iters = 100000000 / lanes;
        double best = 0.0;

        for (int rep = 0; rep < 3; rep++) {
                struct clocks t = {0, 0}, t0 = clocks_now();

                *sink += kernel(iters);
                clocks_add(&t, t0);
                best = fmax(best, 24.0 * lanes * (double)iters / t.cpu * 1e-9);
        }
        return best;
}

static mls_rc run_peak(void)
{
        float sink = 0.0f;

        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
                printf("nn_engine what=peak isa=avx2 gflops=%.2f\n", peak_one(fma_avx2, 8, &sink));
        if (__builtin_cpu_supports("avx512f"))
                printf("nn_engine what=peak isa=avx512 gflops=%.2f\n", peak_one(fma_avx512, 16, &sink));
        fprintf(stderr, "nn_engine: peak kernels settled at %g\n", sink);
        return MLS_OK;
}
#else
static mls_rc run_peak(void)
{
        fprintf(stderr, "nn_engine: --peak needs x86-64\n");
        return MLS_OK;
}
#endif /* __x86_64__ */

/* ------------------------------------------------------------------ command line */

static mls_rc usage(const char *why)
{
        fprintf(stderr,
                "nn_engine: %s\n"
                "usage: nn_engine --case reg7|reg20|cls7 [--threads T] [--dump-init FILE] [--data FILE]\n"
                "                 [--n N] [--epochs E] [--infer M] [--seed S]\n"
                "       nn_engine --warm-cold --case C --n N [--max-epochs E] [--no-native] [--threads T]\n"
                "       nn_engine --peak\n",
                why);
        return MLS_ERR_USAGE;
}

static mls_rc parse_case(const char *name, struct opts *op)
{
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                if (strcmp(name, cases[i].name) == 0) {
                        op->bc = &cases[i];
                        return MLS_OK;
                }
        return usage("unknown --case");
}

/* parse_value - the option @opt at argv[*i] with its value argv[*i + 1]. */
static mls_rc parse_value(const char *opt, const char *val, struct opts *op)
{
        char *end = NULL;
        long long v = strtoll(val, &end, 10);
        bool num = end && *end == '\0' && v > 0;

        if (strcmp(opt, "--case") == 0)
                return parse_case(val, op);
        if (strcmp(opt, "--dump-init") == 0)
                op->init_path = val;
        else if (strcmp(opt, "--data") == 0)
                op->data_path = val;
        else if (!num)
                return usage("options other than --case, --dump-init and --data take a positive integer");
        else if (strcmp(opt, "--threads") == 0)
                op->threads = (int)v;
        else if (strcmp(opt, "--n") == 0)
                op->n = v;
        else if (strcmp(opt, "--epochs") == 0)
                op->epochs = (int)v;
        else if (strcmp(opt, "--max-epochs") == 0)
                op->max_epochs = (int)v;
        else if (strcmp(opt, "--infer") == 0)
                op->ninfer = v;
        else if (strcmp(opt, "--seed") == 0)
                op->seed = (uint64_t)v;
        else
                return usage("unknown option");
        return MLS_OK;
}

static mls_rc parse(int argc, char **argv, struct opts *op)
{
        mls_rc rc = MLS_OK;

        *op = (struct opts){.mode = MODE_SPEED,
                            .threads = 1,
                            .epochs = 250,
                            .max_epochs = 250,
                            .n = 10000,
                            .ninfer = 1000000,
                            .seed = 12345,
                            .native = true};
        for (int i = 1; i < argc && rc == MLS_OK; i++) {
                if (strcmp(argv[i], "--warm-cold") == 0)
                        op->mode = MODE_WARM_COLD;
                else if (strcmp(argv[i], "--peak") == 0)
                        op->mode = MODE_PEAK;
                else if (strcmp(argv[i], "--no-native") == 0)
                        op->native = false;
                else if (i + 1 < argc)
                        rc = parse_value(argv[i], argv[i + 1], op), i++; /* the value is consumed */
                else
                        rc = usage("missing value");
        }
        if (rc == MLS_OK && op->mode != MODE_PEAK && !op->bc)
                rc = usage("--case is required");
        return rc;
}

int main(int argc, char **argv)
{
        struct opts op;
        mls_rc rc = parse(argc, argv, &op);

        if (rc == MLS_OK)
                rc = op.mode == MODE_PEAK        ? run_peak()
                     : op.mode == MODE_WARM_COLD ? run_warm_cold(&op)
                                                 : run_speed(&op);
        fflush(stdout);
        if (rc != MLS_OK)
                fprintf(stderr, "nn_engine: failed: %s\n", mls_rc_str(rc));
        return rc == MLS_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
