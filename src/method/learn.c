/*
 * learn.c - the learning methods, one generation loop for all three:
 *   dnnr  a regressor of asinh(NLL / s); candidates ranked by predicted NLL, the confidently
 *         good ones taken farthest-first
 *   dnnc  a classifier of P(good), class-balanced; ranked likewise; SMOTE points while good
 *         points are few
 *   mls   a regressor of the NLL or of each observable; score = L_pred * d_min^power, picked
 *         greedily so that each pick pushes the next ones away; a validity classifier
 * Generation 0 is random (search.initial_points, fewer when start_from supplied points).
 * In run.mode sync, generation g >= 1 trains on every point of generations <= g - 1 (<= g - 2
 * with search.overlap, so that rank 0 trains while generation g - 1 is still evaluated),
 * waiting until those are all back: the training set is a function of the seed alone, so the
 * scan is reproducible whatever the timing of the workers. In run.mode async (the default) it
 * runs in rank 0's learning thread (src/ahead.c) on a snapshot of every point evaluated so far,
 * whenever the farm asks, and generations overlap. Then it scores search.candidates points
 * (uniform, and around good points when the uniform ones are too few; generations grow with
 * the data, search.growth), takes the model's picks, and adds uniform random points: a fixed
 * fraction, or (random_fraction: auto) a fraction that follows the model's measured
 * blindness: the share of good random points the model had ranked low (assess()). The
 * candidates are drawn and scored CAND_CHUNK at a time and only bounded samples of them are
 * kept (struct stream), so rank 0's memory does not grow with search.candidates.
 * Failed and invalid points stay in the training data: NLL capped at M (the worst) for the
 * regressors, bad for the classifiers. No point is proposed twice.
 */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/blob.h"
#include "mlscan/likelihood.h"
#include "mlscan/log.h"
#include "mlscan/method.h"
#include "mlscan/nn.h"
#include "mlscan/physics.h"
#include "mlscan/rows.h"
#include "mlscan/smote.h"
#include "mlscan/util.h"

enum kind { KIND_DNNR, KIND_DNNC, KIND_MLS };

/* Adaptive exploration: f = F_MIN + (F_MAX - F_MIN) * (estimated miss rate). */
#define F_MIN         0.02
#define F_MAX         0.3
#define ASSESS_DECAY  0.8   /* weight of older generations' counts, per generation */
#define ASSESS_SAMPLE 20000 /* uniform points that calibrate the model's score scale */
#define ASSESS_SLACK  3.0   /* a good point is found when the model ranks it within 3 x the good volume */
#define MISS_PRIOR    0.5   /* prior counts: f starts at F_MIN + (F_MAX - F_MIN) / 4 */
#define FOUND_PRIOR   1.0
#define PARENT_K      5    /* local candidates: density of parents from the 5th neighbour */
#define PARENT_MAX    2000 /* at most this many parents per generation */
#define DNNC_MIN_GOOD 20   /* dnnc: below this many good points, learn the best DNNC_TOP instead */
#define DNNC_TOP      0.05
#define SPREAD_REF    50000 /* density penalty: at most about this many reference points */
#define MLS_POOL      4     /* mls: density scores for at most this many candidates per pick */
#define CAND_CHUNK    8192  /* candidates are drawn and scored this many at a time */
#define LN10          2.302585092994046

/* A set of the points proposed so far, by a 64-bit hash of their coordinates. */
struct seen {
        uint64_t *key; /* 0: empty */
        int64_t cap, n;
};

struct learner {
        enum kind kind;
        const struct mls_card *card;
        const struct mls_search_card *sc;
        int d, m;
        mls_nn *net;     /* dnnr, mls: regressor; dnnc: classifier */
        mls_nn *valid;   /* mls: valid vs invalid classifier, when asked for */
        bool trained;    /* net has been trained at least once */
        int32_t net_gen; /* the generation net was trained for */
        bool valid_trained;
        struct mls_nn_train_opts topt, vopt;
        int32_t gen; /* the generation being handed out; -1 before the first */
        double *buf_u;
        int8_t *buf_origin;
        int64_t buf_n, buf_next, buf_cap;
        int64_t first_open;   /* every id below is done */
        int64_t train_end;    /* the training set is ids [0, train_end) */
        int64_t assessed;     /* random points below this id were assessed (or trained on) */
        double found, missed; /* decayed counts of good random points predicted good / bad */
        double f;             /* exploration fraction of the next generation */
        struct seen seen;
        /* scratch, grown as needed; the candidates' is bounded (CAND_CHUNK, ASSESS_SAMPLE rows) */
        double *y, *x2;
        int64_t ycap, x2cap;
        double *cand, *out, *score, *vp, *terms;
        int64_t ccap;
};

/* ------------------------------------------------------------------ the seen-set */

static uint64_t point_hash(const double *u, int d)
{
        uint64_t h = 0x9e3779b97f4a7c15ULL;

        for (int j = 0; j < d; j++) {
                uint64_t b;

                memcpy(&b, &u[j], sizeof(b));
                h ^= b + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
                h *= 0xbf58476d1ce4e5b9ULL;
                h ^= h >> 31;
        }
        return h ? h : 1;
}

/* seen_add - insert @u; false when it was there already. */
static bool seen_add(struct seen *s, const double *u, int d)
{
        uint64_t h = point_hash(u, d);
        int64_t i;

        if (2 * (s->n + 1) > s->cap) {
                struct seen t = {mls_calloc((size_t)(s->cap ? 2 * s->cap : 4096), sizeof(uint64_t)),
                                 s->cap ? 2 * s->cap : 4096, 0};

                for (int64_t k = 0; k < s->cap; k++) {
                        if (!s->key[k])
                                continue;
                        for (i = (int64_t)(s->key[k] & (uint64_t)(t.cap - 1)); t.key[i];
                             i = (i + 1) & (t.cap - 1))
                                ;
                        t.key[i] = s->key[k];
                        t.n++;
                }
                free(s->key);
                *s = t;
        }
        for (i = (int64_t)(h & (uint64_t)(s->cap - 1)); s->key[i]; i = (i + 1) & (s->cap - 1))
                if (s->key[i] == h)
                        return false;
        s->key[i] = h;
        s->n++;
        return true;
}

/* ------------------------------------------------------------------ set-up */

static void grow_scratch(struct learner *L, int64_t n);

static void arch_from_card(const struct mls_model_card *mc, int nin, int nout, enum mls_nn_out out,
                           struct mls_nn_arch *a)
{
        memset(a, 0, sizeof(*a));
        a->nin = nin;
        a->nout = nout;
        a->nhidden = mc->nhidden;
        for (int i = 0; i < mc->nhidden; i++)
                a->width[i] = mc->hidden[i];
        a->act = (enum mls_act)mc->activation;
        a->out = out;
}

static void opts_from_card(const struct mls_model_card *mc, enum mls_nn_out out, struct mls_nn_train_opts *o)
{
        mls_nn_train_defaults(o, out);
        o->optim = (enum mls_optim)mc->optimizer;
        o->lr = mc->learning_rate;
        o->lr_decay = mc->lr_decay;
        o->weight_decay = mc->weight_decay;
        o->epochs = (int)mc->epochs;
        o->batch = (int)mc->batch;
        o->val_fraction = mc->val_fraction;
        o->patience = (int)mc->patience;
        o->min_delta = mc->min_delta;
}

static mls_rc learner_create(enum kind kind, const struct mls_card *card, void **state)
{
        struct learner *L = mls_calloc(1, sizeof(*L));
        const struct mls_model_card *mc = &card->model;
        struct mls_nn_arch a;
        enum mls_nn_out out = kind == KIND_DNNC ? MLS_OUT_SIGMOID : MLS_OUT_LINEAR;
        int nout = 1;
        mls_rc rc;

        L->kind = kind;
        L->card = card;
        L->sc = &card->search;
        L->d = card->nparams;
        L->m = card->nobs;
        L->gen = -1;
        L->f = card->search.random_fraction >= 0
                       ? card->search.random_fraction
                       : F_MIN + (F_MAX - F_MIN) * MISS_PRIOR / (2.0 * MISS_PRIOR + FOUND_PRIOR);
        if (kind == KIND_MLS && card->search.learn == MLS_LEARN_OBSERVABLES)
                nout = L->m;
        arch_from_card(mc, L->d, nout, out, &a);
        opts_from_card(mc, out, &L->topt);
        if ((rc = mls_nn_create(&a, card->seed, (int)mc->threads, &L->net)) != MLS_OK) {
                free(L);
                return rc;
        }
        if (kind == KIND_MLS && card->search.validity_classifier) {
                /* xBIT's validity network: 2 x 50, small and quick. */
                struct mls_model_card vc = *mc;

                vc.nhidden = 2;
                vc.hidden[0] = vc.hidden[1] = 50;
                arch_from_card(&vc, L->d, 1, MLS_OUT_SIGMOID, &a);
                opts_from_card(&vc, MLS_OUT_SIGMOID, &L->vopt);
                if ((rc = mls_nn_create(&a, card->seed ^ 0x76616c6964ULL, (int)mc->threads, &L->valid)) !=
                    MLS_OK) {
                        mls_nn_destroy(&L->net);
                        free(L);
                        return rc;
                }
        }
        grow_scratch(L, 1);
        *state = L;
        return MLS_OK;
}

static void learner_destroy(void **state)
{
        struct learner *L = *state;

        if (!L)
                return;
        mls_nn_destroy(&L->net);
        mls_nn_destroy(&L->valid);
        free(L->buf_u);
        free(L->buf_origin);
        free(L->seen.key);
        free(L->y);
        free(L->x2);
        free(L->cand);
        free(L->out);
        free(L->score);
        free(L->vp);
        free(L->terms);
        free(L);
        *state = NULL;
}

static void grow_scratch(struct learner *L, int64_t n)
{
        int w = L->m > 1 ? L->m : 1;

        if (n <= L->ccap)
                return;
        L->cand = mls_realloc(L->cand, (size_t)n * (size_t)L->d, sizeof(double));
        L->out = mls_realloc(L->out, (size_t)n * (size_t)w, sizeof(double));
        L->score = mls_realloc(L->score, (size_t)n, sizeof(double));
        L->vp = mls_realloc(L->vp, (size_t)n, sizeof(double));
        L->ccap = n;
        if (!L->terms)
                L->terms = mls_calloc((size_t)(L->card->nterms > 0 ? L->card->nterms : 1), sizeof(double));
}

static void buf_push(struct learner *L, const double *u, int origin)
{
        if (L->buf_n == L->buf_cap) {
                L->buf_cap = L->buf_cap ? 2 * L->buf_cap : 1024;
                L->buf_u = mls_realloc(L->buf_u, (size_t)L->buf_cap * (size_t)L->d, sizeof(double));
                L->buf_origin = mls_realloc(L->buf_origin, (size_t)L->buf_cap, sizeof(int8_t));
        }
        memcpy(L->buf_u + L->buf_n * L->d, u, (size_t)L->d * sizeof(double));
        L->buf_origin[L->buf_n] = (int8_t)origin;
        L->buf_n++;
}

/* push_new - add @u to the generation unless it was proposed before; whether it was added. */
static bool push_new(struct learner *L, const double *u, int origin)
{
        if (!seen_add(&L->seen, u, L->d))
                return false;
        buf_push(L, u, origin);
        return true;
}

static void uniform_point(struct mls_rng *rng, int d, double *u)
{
        for (int j = 0; j < d; j++)
                u[j] = mls_rng_uniform(rng);
}

static void push_random(struct learner *L, struct mls_rng *rng, int64_t n)
{
        double *u = L->cand; /* scratch: at least one row */

        for (int64_t i = 0; i < n;) {
                uniform_point(rng, L->d, u);
                i += push_new(L, u, MLS_ORIGIN_RANDOM);
        }
}

/* ------------------------------------------------------------------ predictions */

/*
 * The regressors learn asinh(NLL / s), s = max(|select_below|, 0.01): monotonic, so ranks and
 * thresholds carry over, but it spreads the region near the threshold that matters and squeezes
 * the far tail (a failed point's M = 710.8 becomes 9.5 for s = 0.1), where the raw NLL would let
 * a few huge values dominate the squared error.
 */
static double target_scale(const struct learner *L)
{
        double s = fabs(L->sc->select_below);

        return s > 0.01 ? s : 0.01;
}

static double to_target(const struct learner *L, double nll)
{
        return asinh(nll / target_scale(L));
}

static double from_target(const struct learner *L, double y)
{
        return target_scale(L) * sinh(y);
}

/*
 * badness - for @n points @u: the method's score, lower is better, into @s: predicted NLL
 * (dnnr, mls) or -P(good) (dnnc). Uses L->out as scratch.
 */
static mls_rc badness(struct learner *L, const double *u, int64_t n, double *s)
{
        mls_rc rc;

        if ((rc = mls_nn_predict(L->net, u, n, L->out)) != MLS_OK)
                return rc;
        if (L->kind == KIND_DNNC) {
                for (int64_t i = 0; i < n; i++)
                        s[i] = -L->out[i];
        } else if (L->kind == KIND_MLS && L->sc->learn == MLS_LEARN_OBSERVABLES) {
                for (int64_t i = 0; i < n; i++)
                        mls_likelihood_eval(L->card, MLS_ST_OK, L->out + i * L->m, L->terms, &s[i]);
        } else {
                for (int64_t i = 0; i < n; i++)
                        s[i] = from_target(L, L->out[i]);
        }
        return MLS_OK;
}

static bool predicted_good(const struct learner *L, double s)
{
        return L->kind == KIND_DNNC ? -s > 0.5 : s < L->sc->select_below;
}

/*
 * assess - before retraining: of the random points that joined the training set since the
 * last generation (the current model never saw them), how many good ones did it predict good?
 */
static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static mls_rc assess(struct learner *L, const struct mls_dataset *ds, struct mls_rng *rng, int64_t end)
{
        int64_t n = 0, nrand = 0, grand = 0, nq = ASSESS_SAMPLE;
        double cut, q;
        mls_rc rc;

        if (!L->trained || L->sc->random_fraction >= 0) {
                L->assessed = end;
                return MLS_OK;
        }
        /* The volume fraction of the good region, from every random point so far. */
        for (int64_t id = 0; id < end; id++) {
                if (ds->origin[id] == MLS_ORIGIN_RANDOM) {
                        nrand++;
                        grand += ds->good[id];
                }
        }
        q = ASSESS_SLACK * ((double)grand + 0.5) / ((double)nrand + 1.0);
        if (q > 1.0)
                q = 1.0;
        /* The model's score that a fraction q of the whole space beats. */
        grow_scratch(L, nq > end - L->assessed + 1 ? nq : end - L->assessed + 1);
        for (int64_t i = 0; i < nq; i++)
                uniform_point(rng, L->d, L->cand + i * L->d);
        if ((rc = badness(L, L->cand, nq, L->score)) != MLS_OK)
                return rc;
        qsort(L->score, (size_t)nq, sizeof(double), cmp_double);
        cut = L->score[(int64_t)(q * (double)(nq - 1))];
        for (int64_t id = L->assessed; id < end; id++)
                if (ds->origin[id] == MLS_ORIGIN_RANDOM && ds->generation[id] >= 1 && ds->good[id])
                        memcpy(L->cand + (n++) * L->d, ds->u + id * L->d, (size_t)L->d * sizeof(double));
        L->assessed = end;
        L->found *= ASSESS_DECAY;
        L->missed *= ASSESS_DECAY;
        if (n > 0 && (rc = badness(L, L->cand, n, L->score)) != MLS_OK)
                return rc;
        for (int64_t i = 0; i < n; i++) {
                if (L->score[i] <= cut)
                        L->found += 1.0;
                else
                        L->missed += 1.0;
        }
        L->f = F_MIN + (F_MAX - F_MIN) * (L->missed + MISS_PRIOR) /
                               (L->found + L->missed + 2.0 * MISS_PRIOR + FOUND_PRIOR);
        MLS_LOG(MLS_LOG_DEBUG,
                "assessed %lld good random points against the top %.4f of the space: found %.2f, missed %.2f; random fraction %.3f",
                (long long)n, q, L->found, L->missed, L->f);
        return MLS_OK;
}

/* ------------------------------------------------------------------ training */

static void grow_y(struct learner *L, int64_t n, int w)
{
        if (n * w > L->ycap) {
                L->ycap = 2 * n * w;
                L->y = mls_realloc(L->y, (size_t)L->ycap, sizeof(double));
        }
}

/*
 * scale_drifted - whether the spread of some target column of @y[n x nout] is more than 4 times
 * off the network's scaler (fitted on the first generation's points, when all may have looked
 * alike: in 20 dimensions a random start sees an almost constant NLL). Warm starts keep the
 * scalers, so a drifted one is refitted by a cold start.
 */
static bool scale_drifted(mls_nn *net, const double *y, int64_t n)
{
        struct mls_nn_state st;

        mls_nn_state_get(net, &st);
        if (!st.scaled)
                return false;
        for (int k = 0; k < st.arch.nout; k++) {
                double s = 0.0, s2 = 0.0, sd, r;

                for (int64_t i = 0; i < n; i++) {
                        s += y[i * st.arch.nout + k];
                        s2 += y[i * st.arch.nout + k] * y[i * st.arch.nout + k];
                }
                sd = sqrt(fmax(s2 / (double)n - (s / (double)n) * (s / (double)n), 0.0));
                r = sd / (st.y_std[k] > 0 ? st.y_std[k] : 1.0);
                if (r > 4.0 || r < 0.25)
                        return true;
        }
        return false;
}

static mls_rc train(struct learner *L, const struct mls_dataset *ds, int64_t end, struct mls_gen_info *info)
{
        struct mls_nn_train_opts o = L->topt;
        struct mls_nn_report rep = {0};
        const double *x = ds->u;
        int64_t n = end, ngood = 0;
        mls_rc rc;

        o.seed = L->card->seed + (uint64_t)L->gen * 7919u;
        if (!L->card->model.warm_start)
                mls_nn_reset(L->net, o.seed);
        if (L->kind == KIND_MLS && L->sc->learn == MLS_LEARN_OBSERVABLES) {
                /* Observables exist only where the physics succeeded; the rest trains the validity net. */
                if (n > L->x2cap) {
                        L->x2cap = 2 * n;
                        L->x2 = mls_realloc(L->x2, (size_t)L->x2cap * (size_t)L->d, sizeof(double));
                }
                grow_y(L, n, L->m);
                n = 0;
                for (int64_t id = 0; id < end; id++) {
                        bool finite = ds->status[id] == MLS_ST_OK;

                        for (int j = 0; j < L->m && finite; j++)
                                finite = isfinite(ds->obs[id * L->m + j]);
                        if (!finite)
                                continue;
                        memcpy(L->x2 + n * L->d, ds->u + id * L->d, (size_t)L->d * sizeof(double));
                        memcpy(L->y + n * L->m, ds->obs + id * L->m, (size_t)L->m * sizeof(double));
                        n++;
                }
                x = L->x2;
        } else {
                grow_y(L, n, 1);
                for (int64_t id = 0; id < end; id++) {
                        if (L->kind == KIND_DNNC)
                                L->y[id] = ds->good[id] ? 1.0 : 0.0;
                        else
                                L->y[id] = to_target(
                                        L, mls_nll_cap(ds->status[id] == MLS_ST_OK ? ds->nll[id] : NAN));
                        ngood += ds->good[id];
                }
        }
        if (L->kind == KIND_DNNC && ngood < DNNC_MIN_GOOD && n > 0) {
                /*
                 * Too few good points to learn a class from (none at all in many dimensions): the
                 * classifier learns "among the best DNNC_TOP of the points so far" instead, and its
                 * picks climb towards the good region until enough real good points exist.
                 */
                double *key = mls_calloc((size_t)n, sizeof(double)), cut;

                for (int64_t id = 0; id < n; id++)
                        key[id] = mls_nll_cap(ds->status[id] == MLS_ST_OK ? ds->nll[id] : NAN);
                qsort(key, (size_t)n, sizeof(double), cmp_double);
                cut = key[(int64_t)(DNNC_TOP * (double)(n - 1))];
                free(key);
                ngood = 0;
                for (int64_t id = 0; id < n; id++) {
                        L->y[id] = ds->good[id] ||
                                   (ds->status[id] == MLS_ST_OK && mls_nll_cap(ds->nll[id]) <= cut);
                        ngood += L->y[id] != 0.0;
                }
        }
        if (L->kind == KIND_DNNC) {
                /* Balanced classes by weight: every point counts, no synthetic labels. */
                if (ngood == 0)
                        return MLS_OK; /* nothing to learn from yet: the generation is random */
                o.pos_weight = (double)(n - ngood) / (double)ngood;
                if (o.pos_weight < 1.0)
                        o.pos_weight = 1.0;
                if (o.pos_weight > 1000.0)
                        o.pos_weight = 1000.0;
        }
        if (n >= 2 && L->trained && L->kind != KIND_DNNC && scale_drifted(L->net, L->y, n)) {
                MLS_LOG(MLS_LOG_DEBUG,
                        "generation %d: the targets' spread moved away from the scalers: cold start", L->gen);
                mls_nn_reset(L->net, o.seed);
        }
        if (n >= 2) {
                if ((rc = mls_nn_train(L->net, x, L->y, n, &o, &rep)) != MLS_OK)
                        return rc;
                L->trained = true;
                L->net_gen = L->gen;
                info->train_loss = rep.train_loss;
                info->val_loss = rep.val_loss;
                info->epochs = rep.epochs_run;
        }
        if (L->valid) {
                int64_t nbad = 0;

                grow_y(L, end, 1);
                for (int64_t id = 0; id < end; id++) {
                        L->y[id] = ds->status[id] == MLS_ST_OK ? 1.0 : 0.0;
                        nbad += ds->status[id] != MLS_ST_OK;
                }
                L->valid_trained = false;
                if (nbad > 0 && nbad < end) {
                        struct mls_nn_train_opts vo = L->vopt;

                        vo.seed = o.seed + 1;
                        vo.pos_weight = 1.0;
                        if ((rc = mls_nn_train(L->valid, ds->u, L->y, end, &vo, &rep)) != MLS_OK)
                                return rc;
                        L->valid_trained = true;
                }
        }
        return MLS_OK;
}

/* ------------------------------------------------------------------ candidates */

static const double *sort_key;

static int by_score(const void *a, const void *b)
{
        double x = sort_key[*(const int64_t *)a], y = sort_key[*(const int64_t *)b];

        if (x < y)
                return -1;
        if (x > y)
                return 1;
        return *(const int64_t *)a < *(const int64_t *)b ? -1 : *(const int64_t *)a > *(const int64_t *)b;
}

/* rank - @order[n] = 0 .. n-1 sorted by @key ascending (ties by index: deterministic). */
static void rank(int64_t *order, const double *key, int64_t n)
{
        for (int64_t i = 0; i < n; i++)
                order[i] = i;
        sort_key = key;
        qsort(order, (size_t)n, sizeof(int64_t), by_score);
        sort_key = NULL;
}

/*
 * parents - ids of the points local candidates are drawn around: every good point of the
 * training set, or, with none yet, its best 2 % by NLL (at least 10).
 */
static int64_t parents(const struct mls_dataset *ds, int64_t end, int64_t **out)
{
        int64_t *p = mls_calloc((size_t)(end > 0 ? end : 1), sizeof(int64_t)), n = 0;

        for (int64_t id = 0; id < end; id++)
                if (ds->good[id])
                        p[n++] = id;
        if (n == 0 && end > 0) {
                double *key = mls_calloc((size_t)end, sizeof(double));
                int64_t want = end / 50 > 10 ? end / 50 : (end < 10 ? end : 10);

                for (int64_t id = 0; id < end; id++)
                        key[id] = mls_nll_cap(ds->status[id] == MLS_ST_OK ? ds->nll[id] : NAN);
                rank(p, key, end);
                free(key);
                n = want;
        }
        *out = p;
        return n;
}

static double reflect(double v)
{
        v = fabs(v);
        if (v > 1.0)
                v = 2.0 - v;
        return v < 0.0 ? 0.0 : (v >= 1.0 ? nextafter(1.0, 0.0) : v);
}

/*
 * parent_weights - cumulative sampling weights @cum[np] that even out the parents' density:
 * w = r^d, r the distance to the PARENT_K-th nearest other parent (a kNN density estimate
 * is proportional to 1 / r^d), clipped to [median / 100, 100 median]. Without it, regions
 * sampled most would get most local candidates, and more points, and so on.
 */
static void parent_weights(const struct mls_dataset *ds, const int64_t *par, int64_t np, double *cum)
{
        int d = ds->d, k = PARENT_K;
        double *x, *w, *sorted, med;
        int64_t *idx, *q;

        if (np <= k + 1) {
                for (int64_t i = 0; i < np; i++)
                        cum[i] = (double)(i + 1);
                return;
        }
        x = mls_calloc((size_t)np * (size_t)d, sizeof(double));
        w = mls_calloc((size_t)np, sizeof(double));
        sorted = mls_calloc((size_t)np, sizeof(double));
        idx = mls_calloc((size_t)np * (size_t)k, sizeof(int64_t));
        q = mls_calloc((size_t)np, sizeof(int64_t));
        for (int64_t i = 0; i < np; i++) {
                memcpy(x + i * d, ds->u + par[i] * d, (size_t)d * sizeof(double));
                q[i] = i;
        }
        if (mls_knn(x, np, d, q, np, k, idx) != MLS_OK) {
                for (int64_t i = 0; i < np; i++)
                        w[i] = 1.0;
        } else {
                for (int64_t i = 0; i < np; i++) {
                        const double *a = x + i * d, *b = x + idx[i * k + k - 1] * d;
                        double r2 = 0.0;

                        for (int j = 0; j < d; j++)
                                r2 += (a[j] - b[j]) * (a[j] - b[j]);
                        w[i] = pow(r2, 0.5 * d);
                }
        }
        memcpy(sorted, w, (size_t)np * sizeof(double));
        qsort(sorted, (size_t)np, sizeof(double), cmp_double);
        med = sorted[np / 2] > 0 ? sorted[np / 2] : 1.0;
        for (int64_t i = 0; i < np; i++) {
                double v = w[i] < med / 100 ? med / 100 : (w[i] > 100 * med ? 100 * med : w[i]);

                cum[i] = (i ? cum[i - 1] : 0.0) + v / med;
        }
        free(q);
        free(idx);
        free(sorted);
        free(w);
        free(x);
}

/* The parents local candidates are drawn around, with their cumulative sampling weights. */
struct local {
        int64_t *par;
        double *cum;
        int64_t np;
};

/* local_setup - @lc for the training set [0, @end); false when it has no parent. */
static bool local_setup(const struct mls_dataset *ds, int64_t end, struct mls_rng *rng, struct local *lc)
{
        lc->np = parents(ds, end, &lc->par);
        lc->cum = NULL;
        if (lc->np == 0)
                return false;
        /* At most PARENT_MAX parents, drawn at random: the density estimate is quadratic in them. */
        for (int64_t i = 0; i < lc->np && i < PARENT_MAX; i++) {
                int64_t j = i + (int64_t)mls_rng_below(rng, (uint64_t)(lc->np - i)), t = lc->par[i];

                lc->par[i] = lc->par[j];
                lc->par[j] = t;
        }
        if (lc->np > PARENT_MAX)
                lc->np = PARENT_MAX;
        lc->cum = mls_calloc((size_t)lc->np, sizeof(double));
        parent_weights(ds, lc->par, lc->np, lc->cum);
        return true;
}

static void local_free(struct local *lc)
{
        free(lc->cum);
        free(lc->par);
        memset(lc, 0, sizeof(*lc));
}

/* local_candidates - @n candidates into L->cand, around the parents @lc. */
static void local_candidates(struct learner *L, const struct mls_dataset *ds, const struct local *lc,
                             struct mls_rng *rng, int64_t n)
{
        const double *cum = lc->cum;
        int64_t np = lc->np;
        int d = L->d;

        for (int64_t i = 0; i < n; i++) {
                double r = mls_rng_uniform(rng) * cum[np - 1];
                int64_t lo = 0, hi = np - 1;
                const double *c;
                double sigma;

                while (lo < hi) {
                        int64_t mid = (lo + hi) / 2;

                        if (cum[mid] > r)
                                hi = mid;
                        else
                                lo = mid + 1;
                }
                c = ds->u + lc->par[lo] * d;
                /* log-uniform spread in [scale / 30, scale]: near and far neighbours of the parent */
                sigma = L->sc->local_scale * exp(-log(30.0) * mls_rng_uniform(rng));
                for (int j = 0; j < d; j++)
                        L->cand[i * d + j] = reflect(c[j] + sigma * mls_rng_normal(rng));
        }
}

/*
 * The score at which dnnr and dnnc stop ranking: a candidate predicted at least this good
 * (NLL below 3/4 of the selection threshold; P(good) above 0.9) is "confidently good", and
 * confidently good candidates tie; the tie is broken by distance to the points proposed so far
 * (greedy_spread), so the batch spreads over the whole predicted-good region instead of piling
 * onto wherever the model's errors happen to be lowest. mls uses it to sharpen its pool.
 */
static double confident(const struct learner *L)
{
        double t = L->sc->select_below;

        if (L->kind == KIND_DNNC)
                return -0.9;
        /* dnnr and mls: three quarters of the way from 0 to the threshold (for t > 0) */
        return t > 0 ? 0.75 * t : t - 0.25 * fabs(t);
}

/* Chebyshev distance from each of @nq points @q to the nearest of the @n points @p. */
static void cheb_nearest(const double *q, int64_t nq, const double *p, int64_t n, int d, double *out)
{
        for (int64_t i = 0; i < nq; i++) {
                const double *a = q + i * d;
                double best = INFINITY;

                for (int64_t k = 0; k < n; k++) {
                        const double *b = p + k * d;
                        double m = 0.0;

                        for (int j = 0; j < d && m < best; j++) {
                                double t = fabs(a[j] - b[j]);

                                m = t > m ? t : m;
                        }
                        best = m < best ? m : best;
                }
                out[i] = best;
        }
}

/* take_ranked - push up to @want of the rows @u in the order @order[n]; how many were pushed. */
static int64_t take_ranked(struct learner *L, const double *u, const int64_t *order, int64_t n, int64_t want)
{
        int64_t got = 0;

        for (int64_t i = 0; i < n && got < want; i++)
                got += push_new(L, u + order[i] * L->d, MLS_ORIGIN_MODEL);
        return got;
}

/*
 * greedy_spread - pick up to @want of the @npool candidates @pool (rows; their scores @score)
 * one at a time, each maximising lik * d_min^p: lik = exp(best - score) (or 1 with @flat, and
 * @score may be NULL), d_min the Chebyshev distance to every point proposed so far, this
 * generation's picks included.
 */
static mls_rc greedy_spread(struct learner *L, const struct mls_dataset *ds, const double *pool,
                            const double *score, int64_t npool, double best, bool flat, double p,
                            int64_t want, int64_t *taken)
{
        int d = L->d;
        size_t sz = (size_t)(npool > 0 ? npool : 1);
        double *lik = mls_calloc(sz, sizeof(double)), *dmin = mls_calloc(sz, sizeof(double));
        bool *gone = mls_calloc(sz, sizeof(bool));

        for (int64_t i = 0; i < npool; i++)
                lik[i] = flat ? 1.0 : exp(best - score[i]);
        if (ds->n <= SPREAD_REF) {
                cheb_nearest(pool, npool, ds->u, ds->n, d, dmin);
        } else {
                /*
                 * Past SPREAD_REF points, the distance to an evenly strided subset of them (and to
                 * every point still in flight): the density penalty stays O(SPREAD_REF) per
                 * candidate while the scan grows to millions of points.
                 */
                int64_t stride = (ds->n + SPREAD_REF - 1) / SPREAD_REF, nref = 0;
                double *ref = mls_calloc((size_t)(2 * SPREAD_REF + 1) * (size_t)d, sizeof(double));

                for (int64_t id = 0; id < ds->n; id++)
                        if ((id % stride == 0 || (!ds->done[id] && nref < 2 * SPREAD_REF)) &&
                            nref <= 2 * SPREAD_REF)
                                memcpy(ref + (nref++) * d, ds->u + id * d, (size_t)d * sizeof(double));
                cheb_nearest(pool, npool, ref, nref, d, dmin);
                free(ref);
        }
        while (*taken < want) {
                int64_t arg = -1;
                double top = -1.0;

                for (int64_t i = 0; i < npool; i++) {
                        double s;

                        if (gone[i])
                                continue;
                        s = lik[i] * (p == 2.0 ? dmin[i] * dmin[i] : pow(dmin[i], p));
                        if (s > top) {
                                top = s;
                                arg = i;
                        }
                }
                if (arg < 0)
                        break;
                if (push_new(L, pool + arg * d, MLS_ORIGIN_MODEL)) {
                        (*taken)++;
                        for (int64_t i = 0; i < npool; i++) {
                                double m = 0.0;

                                for (int j = 0; j < d; j++) {
                                        double t = fabs(pool[i * d + j] - pool[arg * d + j]);

                                        m = t > m ? t : m;
                                }
                                dmin[i] = m < dmin[i] ? m : dmin[i];
                        }
                }
                gone[arg] = true;
        }
        free(gone);
        free(dmin);
        free(lik);
        return MLS_OK;
}

/*
 * keep - a bounded set of candidates: of those offered, the (at most) cap with the lowest keys,
 * ties to the one offered first. Keyed by uniform random numbers it is a reservoir sample (a
 * uniform random subset of the candidates offered); keyed by the score, the best ranked. Its
 * rows are the slots [0, n), under a heap of slots with the highest key on top; the arrays grow
 * as candidates come, up to cap.
 */
struct keep {
        int d;
        int64_t cap, n, alloc;
        double tau; /* every candidate offered with a key >= tau was dropped */
        double *u, *score, *key;
        int64_t *seq, *heap;
};

static void keep_init(struct keep *k, int d, int64_t cap)
{
        memset(k, 0, sizeof(*k));
        k->d = d;
        k->cap = cap > 0 ? cap : 0;
        k->tau = INFINITY;
}

static void keep_free(struct keep *k)
{
        free(k->u);
        free(k->score);
        free(k->key);
        free(k->seq);
        free(k->heap);
        memset(k, 0, sizeof(*k));
}

/* keep_after - whether slot @a ranks after slot @b: a higher key, or the same one offered later */
static bool keep_after(const struct keep *k, int64_t a, int64_t b)
{
        return k->key[a] > k->key[b] || (k->key[a] == k->key[b] && k->seq[a] > k->seq[b]);
}

static void keep_down(struct keep *k, int64_t i)
{
        int64_t *h = k->heap;

        for (;;) {
                int64_t c = 2 * i + 1, t;

                if (c >= k->n)
                        return;
                if (c + 1 < k->n && keep_after(k, h[c + 1], h[c]))
                        c++;
                if (!keep_after(k, h[c], h[i]))
                        return;
                t = h[i];
                h[i] = h[c];
                h[c] = t;
                i = c;
        }
}

static void keep_up(struct keep *k, int64_t i)
{
        int64_t *h = k->heap;

        while (i > 0) {
                int64_t p = (i - 1) / 2, t;

                if (!keep_after(k, h[i], h[p]))
                        return;
                t = h[i];
                h[i] = h[p];
                h[p] = t;
                i = p;
        }
}

static void keep_put(struct keep *k, int64_t slot, const double *u, double score, double key, int64_t seq)
{
        memcpy(k->u + slot * k->d, u, (size_t)k->d * sizeof(double));
        k->score[slot] = score;
        k->key[slot] = key;
        k->seq[slot] = seq;
}

/* keep_offer - offer the row @u, score @score, key @key; @seq grows from one offer to the next. */
static void keep_offer(struct keep *k, const double *u, double score, double key, int64_t seq)
{
        int64_t slot;

        if (k->cap == 0 || !(key < k->tau))
                return;
        if (k->n == k->cap) {
                slot = k->heap[0];
                if (!(key < k->key[slot])) {
                        k->tau = key; /* offered after every kept one: it would rank last */
                        return;
                }
                k->tau = k->key[slot];
                keep_put(k, slot, u, score, key, seq);
                keep_down(k, 0);
                return;
        }
        if (k->n == k->alloc) {
                k->alloc = k->alloc ? 2 * k->alloc : 256;
                if (k->alloc > k->cap)
                        k->alloc = k->cap;
                k->u = mls_realloc(k->u, (size_t)k->alloc * (size_t)k->d, sizeof(double));
                k->score = mls_realloc(k->score, (size_t)k->alloc, sizeof(double));
                k->key = mls_realloc(k->key, (size_t)k->alloc, sizeof(double));
                k->seq = mls_realloc(k->seq, (size_t)k->alloc, sizeof(int64_t));
                k->heap = mls_realloc(k->heap, (size_t)k->alloc, sizeof(int64_t));
        }
        keep_put(k, k->n, u, score, key, seq);
        k->heap[k->n] = k->n;
        k->n++;
        keep_up(k, k->n - 1);
}

/* keep_pop - take the highest ranked out of the heap; its slot (whose row stays until reused) */
static int64_t keep_pop(struct keep *k)
{
        int64_t slot = k->heap[0];

        k->heap[0] = k->heap[--k->n];
        keep_down(k, 0);
        return slot;
}

/* keep_compact - of the @nslots slots in use, drop those flagged in @drop; rebuild the heap. */
static void keep_compact(struct keep *k, const bool *drop, int64_t nslots)
{
        int64_t m = 0;

        for (int64_t s = 0; s < nslots; s++) {
                if (drop[s])
                        continue;
                if (m != s)
                        keep_put(k, m, k->u + s * k->d, k->score[s], k->key[s], k->seq[s]);
                m++;
        }
        k->n = m;
        for (int64_t i = 0; i < m; i++)
                k->heap[i] = i;
        for (int64_t i = m / 2 - 1; i >= 0; i--)
                keep_down(k, i);
}

/* keep_prune - drop the candidates scored @limit or worse. */
static void keep_prune(struct keep *k, double limit)
{
        int64_t n = k->n;
        bool *drop = mls_calloc((size_t)(n > 0 ? n : 1), sizeof(bool));

        for (int64_t s = 0; s < n; s++)
                drop[s] = !(k->score[s] < limit);
        keep_compact(k, drop, n);
        free(drop);
}

/* keep_shrink - keep the @cap lowest keys. */
static void keep_shrink(struct keep *k, int64_t cap)
{
        int64_t n = k->n;
        bool *drop;

        if (n <= cap)
                return;
        drop = mls_calloc((size_t)n, sizeof(bool));
        while (k->n > cap)
                drop[keep_pop(k)] = true;
        keep_compact(k, drop, n);
        free(drop);
}

/* keep_drain - empty the heap into @order: the slots by key ascending; how many. */
static int64_t keep_drain(struct keep *k, int64_t *order)
{
        int64_t n = k->n;

        for (int64_t i = n - 1; i >= 0; i--)
                order[i] = keep_pop(k);
        return n;
}

/*
 * The candidates of a generation are drawn and scored CAND_CHUNK at a time, and only what the
 * picks need of them is kept, so that rank 0's memory does not grow with search.candidates:
 *   conf  a uniform random sample of at most MLS_POOL x nmodel of the confidently good ones
 *         (score <= confident(); mls: predicted valid and below it), nconf of them in all
 *   near  mls while none is confidently good: a uniform random sample of at most
 *         2 x MLS_POOL x nmodel of those predicted valid and within a factor 10 of the best
 *         predicted likelihood, dropping those that fall out as the best improves
 *   top   the nmodel best by score, for the rank-order remainder: dnnr, dnnc those not
 *         confidently good (confidently good ones tie), mls all of them
 */
struct stream {
        double sat;    /* confident(L) */
        int64_t seq;   /* candidates scored so far */
        int64_t sure;  /* of them, scored sat or better */
        int64_t nconf; /* of them, in conf's filter */
        double best;   /* mls: the best score of one predicted valid */
        double pruned; /* mls: the limit near was last pruned to */
        struct keep conf, near, top;
};

static void stream_init(struct learner *L, struct stream *st, int64_t nmodel)
{
        memset(st, 0, sizeof(*st));
        st->sat = confident(L);
        st->best = st->pruned = INFINITY;
        keep_init(&st->conf, L->d, MLS_POOL * nmodel);
        keep_init(&st->near, L->d, L->kind == KIND_MLS ? 2 * MLS_POOL * nmodel : 0);
        keep_init(&st->top, L->d, nmodel);
}

static void stream_free(struct stream *st)
{
        keep_free(&st->conf);
        keep_free(&st->near);
        keep_free(&st->top);
}

/* scan - draw @n candidates (uniform, or around the parents @lc), score them, and keep into @st. */
static mls_rc scan(struct learner *L, const struct mls_dataset *ds, struct mls_rng *rng,
                   const struct local *lc, int64_t n, struct stream *st, struct mls_gen_info *info)
{
        int d = L->d;
        bool vet = L->kind == KIND_MLS && L->valid_trained;
        mls_rc rc;

        for (int64_t from = 0; from < n; from += CAND_CHUNK) {
                int64_t c = n - from < CAND_CHUNK ? n - from : CAND_CHUNK;

                if (lc)
                        local_candidates(L, ds, lc, rng, c);
                else
                        for (int64_t i = 0; i < c; i++)
                                uniform_point(rng, d, L->cand + i * d);
                if ((rc = badness(L, L->cand, c, L->score)) != MLS_OK)
                        return rc;
                if (vet && (rc = mls_nn_predict(L->valid, L->cand, c, L->vp)) != MLS_OK)
                        return rc;
                for (int64_t i = 0; i < c; i++, st->seq++) {
                        const double *u = L->cand + i * d;
                        double s = L->score[i];

                        info->npass += predicted_good(L, s);
                        st->sure += s <= st->sat;
                        if (L->kind != KIND_MLS) {
                                if (s <= st->sat) {
                                        st->nconf++;
                                        keep_offer(&st->conf, u, s, mls_rng_uniform(rng), st->seq);
                                } else {
                                        keep_offer(&st->top, u, s, s, st->seq);
                                }
                                continue;
                        }
                        keep_offer(&st->top, u, s, s, st->seq);
                        if (vet && !(L->vp[i] >= 0.5))
                                continue;
                        if (s < st->best)
                                st->best = s;
                        if (s < st->sat) {
                                st->nconf++;
                                keep_offer(&st->conf, u, s, mls_rng_uniform(rng), st->seq);
                        } else if (st->nconf == 0 && s < st->best + LN10) {
                                keep_offer(&st->near, u, s, mls_rng_uniform(rng), st->seq);
                        }
                }
                if (L->kind == KIND_MLS && st->nconf == 0 && st->best + LN10 < st->pruned) {
                        st->pruned = st->best + LN10;
                        keep_prune(&st->near, st->pruned);
                }
        }
        return MLS_OK;
}

/*
 * mls_pick - xBIT's rule with the density penalty applied greedily: among candidates within a
 * factor 10 of the best predicted likelihood (and predicted valid), pick the highest
 * L_pred * d_min^power, where d_min is the Chebyshev distance to every point proposed so far,
 * the picks of this generation included. The pool is a uniform random sample of at most
 * MLS_POOL x @want of those candidates.
 */
static mls_rc mls_pick(struct learner *L, const struct mls_dataset *ds, struct stream *st, int64_t want,
                       int64_t *taken)
{
        double limit = st->best + LN10, p = L->sc->density_power;
        struct keep *pool = &st->conf;
        int64_t *ord;

        /*
         * xBIT's pool: within a factor 10 of the best predicted likelihood; the predicted-good
         * candidates instead when there are any (sharper once the model is good). While no
         * candidate is predicted confidently good (a good region not found yet, typical in many
         * dimensions), the density penalty would scatter the picks over a flat landscape
         * (xBIT's weakness there): the picks are then the best predicted, which climb towards
         * the good region. Once some are, the penalty spreads the picks among them.
         */
        if (!(st->nconf > 0 && st->sat < limit)) {
                p = 0.0;
                pool = &st->near;
                keep_prune(pool, limit);
                keep_shrink(pool, MLS_POOL * want);
        }
        if (p > 0.0)
                return greedy_spread(L, ds, pool->u, pool->score, pool->n, st->best, false, p, want, taken);
        /* No density penalty: the pool ranked by predicted likelihood. */
        ord = mls_calloc((size_t)(pool->n > 0 ? pool->n : 1), sizeof(int64_t));
        rank(ord, pool->score, pool->n);
        *taken += take_ranked(L, pool->u, ord, pool->n, want - *taken);
        free(ord);
        return MLS_OK;
}

/* smote_points - up to @want SMOTE points between good training points; how many were made. */
static mls_rc smote_points(struct learner *L, const struct mls_dataset *ds, int64_t end, struct mls_rng *rng,
                           int64_t want, int64_t *made)
{
        int64_t ng = 0, tries = 0;
        double *g, *out;
        mls_rc rc = MLS_OK;

        *made = 0;
        for (int64_t id = 0; id < end; id++)
                ng += ds->good[id];
        if (ng < 2 || want <= 0)
                return MLS_OK;
        g = mls_calloc((size_t)ng * (size_t)L->d, sizeof(double));
        out = mls_calloc((size_t)want * (size_t)L->d, sizeof(double));
        ng = 0;
        for (int64_t id = 0; id < end; id++)
                if (ds->good[id])
                        memcpy(g + (ng++) * L->d, ds->u + id * L->d, (size_t)L->d * sizeof(double));
        while (*made < want && tries++ < 4 && rc == MLS_OK) {
                int64_t ask = want - *made;

                if ((rc = mls_smote(g, ng, L->d, (int)L->sc->smote_k, ask, rng, out, NULL, NULL)) != MLS_OK)
                        break;
                for (int64_t i = 0; i < ask; i++)
                        *made += push_new(L, out + i * L->d, MLS_ORIGIN_SMOTE);
        }
        free(out);
        free(g);
        return rc;
}

static mls_rc model_generation(struct learner *L, const struct mls_dataset *ds, int64_t end,
                               struct mls_rng *rng, struct mls_gen_info *info)
{
        int64_t K = L->sc->points_per_generation, nc = L->sc->candidates, ngood = 0;
        /* Generations grow with the data, so that training (linear in it) costs the same per point. */
        int64_t grown = (int64_t)llround(L->sc->growth * (double)end);
        int64_t nrandom, nmodel, nsmote = 0, taken = 0;
        double t0 = mls_now();
        mls_rc rc;

        if (grown > K)
                K = grown;
        if ((rc = assess(L, ds, rng, end)) != MLS_OK || (rc = train(L, ds, end, info)) != MLS_OK)
                return rc;
        info->train_seconds = mls_now() - t0;
        t0 = mls_now();
        for (int64_t id = 0; id < end; id++)
                ngood += ds->good[id];
        if (L->sc->random_fraction >= 0)
                L->f = L->sc->random_fraction;
        nrandom = (int64_t)llround(L->f * (double)K);
        if (!L->trained)
                nrandom = K; /* nothing learnt yet (dnnc without a good point): explore */
        nmodel = K - nrandom;
        if (L->kind == KIND_DNNC && ngood < L->sc->smote_below && nmodel > 0) {
                if ((rc = smote_points(L, ds, end, rng,
                                       (int64_t)llround(L->sc->smote_fraction * (double)nmodel), &nsmote)) !=
                    MLS_OK)
                        return rc;
                nmodel -= nsmote;
        }
        if (nmodel > 0) {
                int64_t nlocal = (int64_t)llround(L->sc->local_fraction * (double)nc), nu = nc - nlocal;
                struct stream st;
                struct local lc;

                grow_scratch(L, CAND_CHUNK);
                stream_init(L, &st, nmodel);
                rc = scan(L, ds, rng, NULL, nu, &st, info);
                /*
                 * Candidates around good points only when the uniform ones hold too few confident
                 * picks (small good regions, high dimensions): else they would favour the regions
                 * already sampled most.
                 */
                if (rc == MLS_OK && st.sure < 2 * nmodel && nlocal > 0) {
                        if (local_setup(ds, end, rng, &lc))
                                rc = scan(L, ds, rng, &lc, nlocal, &st, info);
                        local_free(&lc);
                }
                /*
                 * dnnr, dnnc: the confidently good candidates tie; among them, each pick is the one
                 * farthest from every point proposed so far (the picks included), so the batch
                 * fills the predicted-good region evenly.
                 */
                if (rc == MLS_OK) {
                        if (L->kind == KIND_MLS)
                                rc = mls_pick(L, ds, &st, nmodel, &taken);
                        else if (st.conf.n > 0)
                                rc = greedy_spread(L, ds, st.conf.u, NULL, st.conf.n, 0.0, true, 2.0, nmodel,
                                                   &taken);
                }
                /* the rest (and mls's remainder): the best predicted, in rank order */
                if (rc == MLS_OK && taken < nmodel) {
                        int64_t *ord = mls_calloc((size_t)(st.top.n > 0 ? st.top.n : 1), sizeof(int64_t));
                        int64_t n = keep_drain(&st.top, ord);

                        taken += take_ranked(L, st.top.u, ord, n, nmodel - taken);
                        free(ord);
                }
                stream_free(&st);
                if (rc != MLS_OK)
                        return rc;
        }
        push_random(L, rng, K - taken - nsmote);
        info->nmodel = taken;
        info->nsmote = nsmote;
        info->nrandom = K - taken - nsmote;
        info->random_fraction = (double)info->nrandom / (double)K;
        info->propose_seconds = mls_now() - t0;
        return MLS_OK;
}

/* shuffle the generation, so that a budget cut drops a fair share of each kind of point */
static void shuffle_buffer(struct learner *L, struct mls_rng *rng)
{
        int d = L->d;
        double *t = mls_calloc((size_t)d, sizeof(double));

        for (int64_t i = L->buf_n - 1; i > 0; i--) {
                int64_t j = (int64_t)mls_rng_below(rng, (uint64_t)(i + 1));
                int8_t o = L->buf_origin[i];

                memcpy(t, L->buf_u + i * d, (size_t)d * sizeof(double));
                memcpy(L->buf_u + i * d, L->buf_u + j * d, (size_t)d * sizeof(double));
                memcpy(L->buf_u + j * d, t, (size_t)d * sizeof(double));
                L->buf_origin[i] = L->buf_origin[j];
                L->buf_origin[j] = o;
        }
        free(t);
}

/*
 * new_generation - start generation L->gen + 1 if its training data are all back; else
 * leave the buffer empty (the caller waits for more results).
 */
static mls_rc new_generation(struct learner *L, const struct mls_dataset *ds, struct mls_rng *rng,
                             struct mls_gen_info *info)
{
        int32_t g = L->gen + 1, upto;
        int64_t end;
        mls_rc rc = MLS_OK;

        while (L->first_open < ds->n && ds->done[L->first_open])
                L->first_open++;
        L->buf_n = L->buf_next = 0;
        memset(info, 0, sizeof(*info));
        info->generation = -1;
        if (g == 0) {
                int64_t k = L->sc->initial_points - ds->n_seed;

                if (ds->n_seed == 0 && k < 2)
                        k = L->sc->points_per_generation > 1 ? L->sc->points_per_generation : 2;
                /* Seeds are in the set already: a random generation must not repeat them. */
                for (int64_t id = 0; id < ds->n; id++)
                        seen_add(&L->seen, ds->u + id * L->d, L->d);
                grow_scratch(L, 1);
                push_random(L, rng, k > 0 ? k : 0);
                L->gen = 0;
                info->generation = 0;
                info->nrandom = info->proposed = L->buf_n;
                info->random_fraction = 1.0;
                return MLS_OK;
        }
        if (L->card->mode == MLS_MODE_ASYNC) {
                /*
                 * Asynchronous: @ds is rank 0's snapshot, the evaluated points first (in the order
                 * they came back, so it only ever grows at the end) and the points in flight after
                 * them; generation g learns from every evaluated point.
                 */
                end = L->first_open;
        } else {
                /* Generation g learns from generations <= upto, which must all be back. */
                upto = g - 1 - (L->sc->overlap ? 1 : 0);
                if (upto < 0)
                        upto = 0;
                if (L->first_open < ds->n && ds->generation[L->first_open] <= upto)
                        return MLS_OK;
                end = L->train_end;
                while (end < ds->n && ds->generation[end] <= upto)
                        end++;
        }
        L->train_end = end;
        L->gen = g;
        info->generation = g;
        info->ntrain = end;
        if ((rc = model_generation(L, ds, end, rng, info)) != MLS_OK)
                return rc;
        info->proposed = L->buf_n;
        shuffle_buffer(L, rng);
        return MLS_OK;
}

static mls_rc learner_propose(void *state, const struct mls_dataset *ds, struct mls_rng *rng, int64_t want,
                              double *u, int8_t *origin, int32_t *generation, int64_t *got,
                              struct mls_gen_info *info)
{
        struct learner *L = state;
        int64_t n;
        mls_rc rc;

        info->generation = -1;
        *got = 0;
        /* An empty generation (all of generation 0 supplied by start_from) is reported with *got 0. */
        if (L->buf_next == L->buf_n) {
                int32_t before = L->gen;

                if ((rc = new_generation(L, ds, rng, info)) != MLS_OK)
                        return rc;
                if (L->gen == before)
                        return MLS_OK; /* waiting for results */
        }
        n = L->buf_n - L->buf_next < want ? L->buf_n - L->buf_next : want;
        if (n > 0)
                memcpy(u, L->buf_u + L->buf_next * L->d, (size_t)(n * L->d) * sizeof(double));
        for (int64_t i = 0; i < n; i++) {
                origin[i] = L->buf_origin[L->buf_next + i];
                generation[i] = L->gen;
        }
        L->buf_next += n;
        *got = n;
        return MLS_OK;
}

/* ------------------------------------------------------------------ the saved model */

mls_rc mls_learn_predict(const struct mls_card *card, mls_nn *net, const double *u, int64_t n, double *out,
                         const char **what)
{
        const char *method = mls_method_get(card->method)->name;
        const struct mls_nn_arch *a = mls_nn_arch_get(net);
        double *y, *terms, s = fabs(card->search.select_below);
        mls_rc rc;

        *what = !strcmp(method, "dnnc") ? "p_good" : "pred_nll";
        if (a->nin != card->nparams)
                return MLS_ERR_CONFIG;
        y = mls_calloc((size_t)(n > 0 ? n : 1) * (size_t)a->nout, sizeof(double));
        terms = mls_calloc((size_t)(card->nterms > 0 ? card->nterms : 1), sizeof(double));
        if ((rc = mls_nn_predict(net, u, n, y)) == MLS_OK) {
                for (int64_t i = 0; i < n; i++) {
                        if (!strcmp(method, "dnnc"))
                                out[i] = y[i];
                        else if (a->nout == card->nobs && !strcmp(method, "mls") &&
                                 card->search.learn == MLS_LEARN_OBSERVABLES)
                                mls_likelihood_eval(card, MLS_ST_OK, y + i * a->nout, terms, &out[i]);
                        else /* the regressors' target, asinh(NLL / s): see target_scale() */
                                out[i] = (s > 0.01 ? s : 0.01) * sinh(y[i]);
                }
        }
        free(terms);
        free(y);
        return rc;
}

/* ------------------------------------------------------------------ checkpoints */

#define LEARN_STATE_MAGIC 0x6c6561726e657231LL /* "learner1" */

static void put_net(struct mls_blob *b, mls_nn *net)
{
        struct mls_nn_state st;

        mls_blob_put_i64(b, net != NULL);
        if (!net)
                return;
        mls_nn_state_get(net, &st);
        mls_blob_put(b, &st.arch, sizeof(st.arch));
        mls_blob_put_i64(b, st.step);
        mls_blob_put_i64(b, st.scaled);
        mls_blob_put_array(b, st.params, st.nparams, sizeof(float));
        mls_blob_put_array(b, st.adam_m, st.nparams, sizeof(float));
        mls_blob_put_array(b, st.adam_v, st.nparams, sizeof(float));
        mls_blob_put_array(b, st.x_mean, st.arch.nin, sizeof(double));
        mls_blob_put_array(b, st.x_std, st.arch.nin, sizeof(double));
        mls_blob_put_array(b, st.y_mean, st.arch.nout, sizeof(double));
        mls_blob_put_array(b, st.y_std, st.arch.nout, sizeof(double));
}

/* get_net - replace *@net by the saved one (which must have its architecture). */
static mls_rc get_net(struct mls_blob *b, mls_nn **net, int threads)
{
        struct mls_nn_state st;
        int64_t n[7];
        mls_nn *fresh = NULL;
        mls_rc rc = MLS_OK;

        if (mls_blob_get_i64(b) != (*net != NULL))
                return MLS_ERR_INTERNAL;
        if (!*net)
                return MLS_OK;
        memset(&st, 0, sizeof(st));
        mls_blob_get(b, &st.arch, sizeof(st.arch));
        st.step = mls_blob_get_i64(b);
        st.scaled = mls_blob_get_i64(b) != 0;
        st.params = mls_blob_get_array(b, &n[0], sizeof(float));
        st.adam_m = mls_blob_get_array(b, &n[1], sizeof(float));
        st.adam_v = mls_blob_get_array(b, &n[2], sizeof(float));
        st.x_mean = mls_blob_get_array(b, &n[3], sizeof(double));
        st.x_std = mls_blob_get_array(b, &n[4], sizeof(double));
        st.y_mean = mls_blob_get_array(b, &n[5], sizeof(double));
        st.y_std = mls_blob_get_array(b, &n[6], sizeof(double));
        st.nparams = n[0];
        if (b->bad || n[1] != n[0] || n[2] != n[0] || n[3] != st.arch.nin || n[4] != st.arch.nin ||
            n[5] != st.arch.nout || n[6] != st.arch.nout ||
            memcmp(&st.arch, mls_nn_arch_get(*net), sizeof(st.arch)) != 0)
                rc = MLS_ERR_INTERNAL;
        if (rc == MLS_OK && (rc = mls_nn_state_load(&st, threads, &fresh)) == MLS_OK) {
                mls_nn_destroy(net);
                *net = fresh;
        }
        free(st.params);
        free(st.adam_m);
        free(st.adam_v);
        free(st.x_mean);
        free(st.x_std);
        free(st.y_mean);
        free(st.y_std);
        return rc;
}

static void learner_save(void *state, struct mls_blob *b)
{
        struct learner *L = state;
        int64_t nkeys = 0;

        mls_blob_put_i64(b, LEARN_STATE_MAGIC);
        mls_blob_put_i64(b, L->kind);
        mls_blob_put_i64(b, L->gen);
        mls_blob_put_i64(b, L->net_gen);
        mls_blob_put_i64(b, L->trained);
        mls_blob_put_i64(b, L->valid_trained);
        mls_blob_put_i64(b, L->first_open);
        mls_blob_put_i64(b, L->train_end);
        mls_blob_put_i64(b, L->assessed);
        mls_blob_put_f64(b, L->found);
        mls_blob_put_f64(b, L->missed);
        mls_blob_put_f64(b, L->f);
        mls_blob_put_i64(b, L->buf_next);
        mls_blob_put_array(b, L->buf_u, L->buf_n * L->d, sizeof(double));
        mls_blob_put_array(b, L->buf_origin, L->buf_n, sizeof(int8_t));
        /* the seen-set: its nonzero keys */
        for (int64_t i = 0; i < L->seen.cap; i++)
                nkeys += L->seen.key[i] != 0;
        mls_blob_put_i64(b, nkeys);
        for (int64_t i = 0; i < L->seen.cap; i++)
                if (L->seen.key[i])
                        mls_blob_put(b, &L->seen.key[i], sizeof(uint64_t));
        put_net(b, L->net);
        put_net(b, L->valid);
}

static void seen_insert_key(struct seen *s, uint64_t h)
{
        int64_t i;

        for (i = (int64_t)(h & (uint64_t)(s->cap - 1)); s->key[i]; i = (i + 1) & (s->cap - 1))
                if (s->key[i] == h)
                        return;
        s->key[i] = h;
        s->n++;
}

static mls_rc learner_load(void *state, struct mls_blob *b)
{
        struct learner *L = state;
        int64_t nu, no, nkeys;
        int threads = (int)L->card->model.threads;
        mls_rc rc;

        if (mls_blob_get_i64(b) != LEARN_STATE_MAGIC || mls_blob_get_i64(b) != L->kind)
                return MLS_ERR_INTERNAL;
        L->gen = (int32_t)mls_blob_get_i64(b);
        L->net_gen = (int32_t)mls_blob_get_i64(b);
        L->trained = mls_blob_get_i64(b) != 0;
        L->valid_trained = mls_blob_get_i64(b) != 0;
        L->first_open = mls_blob_get_i64(b);
        L->train_end = mls_blob_get_i64(b);
        L->assessed = mls_blob_get_i64(b);
        L->found = mls_blob_get_f64(b);
        L->missed = mls_blob_get_f64(b);
        L->f = mls_blob_get_f64(b);
        L->buf_next = mls_blob_get_i64(b);
        free(L->buf_u);
        free(L->buf_origin);
        L->buf_u = mls_blob_get_array(b, &nu, sizeof(double));
        L->buf_origin = mls_blob_get_array(b, &no, sizeof(int8_t));
        L->buf_n = L->buf_cap = no;
        if (nu != no * L->d || L->buf_next < 0 || L->buf_next > L->buf_n)
                return MLS_ERR_INTERNAL;
        if (L->buf_cap == 0) {
                L->buf_u = NULL;
                L->buf_origin = NULL;
        }
        nkeys = mls_blob_get_i64(b);
        if (b->bad || nkeys < 0 || (uint64_t)nkeys > (b->n - b->pos) / sizeof(uint64_t))
                return MLS_ERR_INTERNAL;
        free(L->seen.key);
        L->seen.cap = 4096;
        while (L->seen.cap < 2 * (nkeys + 1))
                L->seen.cap *= 2;
        L->seen.key = mls_calloc((size_t)L->seen.cap, sizeof(uint64_t));
        L->seen.n = 0;
        for (int64_t i = 0; i < nkeys; i++) {
                uint64_t h;

                mls_blob_get(b, &h, sizeof(h));
                seen_insert_key(&L->seen, h);
        }
        if ((rc = get_net(b, &L->net, threads)) != MLS_OK || (rc = get_net(b, &L->valid, threads)) != MLS_OK)
                return rc;
        return b->bad ? MLS_ERR_INTERNAL : MLS_OK;
}

static mls_nn *learner_network(void *state, int32_t *generation)
{
        struct learner *L = state;

        *generation = L->net_gen;
        return L->trained ? L->net : NULL;
}

static mls_rc dnnr_create(const struct mls_card *card, void **state)
{
        return learner_create(KIND_DNNR, card, state);
}

static mls_rc dnnc_create(const struct mls_card *card, void **state)
{
        return learner_create(KIND_DNNC, card, state);
}

static mls_rc mls_create(const struct mls_card *card, void **state)
{
        return learner_create(KIND_MLS, card, state);
}

const struct mls_method_ops mls_method_dnnr = {
        .name = "dnnr",
        .summary = "a network regresses the NLL; the best-ranked candidates plus random exploration",
        .learns = true,
        .create = dnnr_create,
        .destroy = learner_destroy,
        .propose = learner_propose,
        .network = learner_network,
        .save = learner_save,
        .load = learner_load,
};

const struct mls_method_ops mls_method_dnnc = {
        .name = "dnnc",
        .summary = "a balanced classifier of good points, SMOTE points while good points are few",
        .learns = true,
        .create = dnnc_create,
        .destroy = learner_destroy,
        .propose = learner_propose,
        .network = learner_network,
        .save = learner_save,
        .load = learner_load,
};

const struct mls_method_ops mls_method_mls = {
        .name = "mls",
        .summary = "xBIT's MLS: predicted likelihood times a density penalty, with a validity classifier",
        .learns = true,
        .create = mls_create,
        .destroy = learner_destroy,
        .propose = learner_propose,
        .network = learner_network,
        .save = learner_save,
        .load = learner_load,
};
