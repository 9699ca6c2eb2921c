/*
 * nn.c - the multilayer perceptron on oneDNN 2.x primitives (C API), f32.
 * The only file that knows oneDNN. Layout decisions (see ../shared/reference/onednn.md):
 * plain tags everywhere (nc activations, oi weights = torch's Linear layout, x biases), so
 * forward, backward-data and backward-weights share one flat parameter array with no
 * reorders, and Adam runs over that array. Shapes are baked into primitives, so a "pass"
 * holds the primitives for one batch size; partial batches are padded with rows whose
 * gradient is zero, which keeps the arithmetic exact.
 */
#include <config.h>

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "mlscan/log.h"
#include "mlscan/nn.h"
#include "mlscan/rng.h"
#include "mlscan/util.h"

#define MAX_LAYERS (MLS_NN_MAX_HIDDEN + 1)
#define INFER_ROWS 4096 /* activations of a 4096-row chunk stay in cache (onednn.md) */
#define NPASSES    4

struct layer {
        int in, out;
        int64_t w_off, b_off; /* into params / grad */
};

/* The primitives and buffers for one batch size. */
struct pass {
        int64_t rows;
        bool train;
        float *act[MAX_LAYERS + 1]; /* h: act[0] = input, act[i] = layer i's output after activation */
        float *pre[MAX_LAYERS +
                   1]; /* z: pre[i] = layer i's output before activation; pre[L] = network output */
        float *dact[MAX_LAYERS + 1]; /* gradients with respect to act and pre */
        float *dpre[MAX_LAYERS + 1];
        dnnl_primitive_t ip_fwd[MAX_LAYERS], act_fwd[MAX_LAYERS];
        dnnl_primitive_t ip_bwd_w[MAX_LAYERS], ip_bwd_d[MAX_LAYERS], act_bwd[MAX_LAYERS];
        dnnl_memory_t mem[16 * MAX_LAYERS];
        int nmem;
        /* arguments of every primitive, prepared once */
        dnnl_exec_arg_t a_ip_fwd[MAX_LAYERS][4], a_act_fwd[MAX_LAYERS][2];
        dnnl_exec_arg_t a_bwd_w[MAX_LAYERS][4], a_bwd_d[MAX_LAYERS][3], a_act_bwd[MAX_LAYERS][3];
        float *ybuf; /* targets of the batch */
        int64_t last_use;
};

struct mls_nn {
        struct mls_nn_arch arch;
        int nlayers;
        struct layer layer[MAX_LAYERS];
        int64_t nparams;
        float *params, *grad, *m, *v, *best;
        int64_t step;
        bool scaled;
        double *x_mean, *x_std, *y_mean, *y_std;
        dnnl_engine_t engine;
        dnnl_stream_t stream;
        struct pass *passes[NPASSES];
        int64_t uses;
};

static mls_rc dnnl_fail_at(const char *file, int line, dnnl_status_t st, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static mls_rc dnnl_fail_at(const char *file, int line, dnnl_status_t st, const char *fmt, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        mls_log_at(MLS_LOG_ERR, false, file, line, "oneDNN failed (%s) while %s", dnnl_status2str(st), what);
        return MLS_ERR_DNNL;
}
#define MLS_DNNL_FAIL(st, ...) dnnl_fail_at(__FILE__, __LINE__, (st), __VA_ARGS__)

static dnnl_alg_kind_t act_alg(enum mls_act a)
{
        switch (a) {
        case MLS_ACT_SILU: return dnnl_eltwise_swish;
        case MLS_ACT_TANH: return dnnl_eltwise_tanh;
        case MLS_ACT_RELU:
        default: return dnnl_eltwise_relu;
        }
}

static const char *act_name(enum mls_act a)
{
        return a == MLS_ACT_SILU ? "silu" : a == MLS_ACT_TANH ? "tanh" : "relu";
}

/* ------------------------------------------------------------------ passes */

static void pass_destroy(struct pass **pp)
{
        struct pass *p = *pp;

        if (!p)
                return;
        for (int i = 0; i < MAX_LAYERS; i++) {
                dnnl_primitive_t *all[] = {&p->ip_fwd[i], &p->act_fwd[i], &p->ip_bwd_w[i], &p->ip_bwd_d[i],
                                           &p->act_bwd[i]};

                for (size_t j = 0; j < sizeof(all) / sizeof(all[0]); j++)
                        if (*all[j])
                                dnnl_primitive_destroy(*all[j]);
        }
        for (int i = 0; i < p->nmem; i++)
                dnnl_memory_destroy(p->mem[i]);
        for (int i = 0; i <= MAX_LAYERS; i++) {
                free(p->act[i]);
                free(p->pre[i]);
                free(p->dact[i]);
                free(p->dpre[i]);
        }
        free(p->ybuf);
        mls_free(pp);
}

static void md2(dnnl_memory_desc_t *md, int64_t a, int64_t b, dnnl_format_tag_t tag)
{
        dnnl_dims_t dims = {a, b};

        dnnl_memory_desc_init_by_tag(md, 2, dims, dnnl_f32, tag);
}

static void md1(dnnl_memory_desc_t *md, int64_t a)
{
        dnnl_dims_t dims = {a};

        dnnl_memory_desc_init_by_tag(md, 1, dims, dnnl_f32, dnnl_a);
}

/* mem - a memory object over the user buffer @ptr (not owned), remembered for destruction. */
static dnnl_memory_t mem(mls_nn *nn, struct pass *p, const dnnl_memory_desc_t *md, void *ptr)
{
        dnnl_memory_t m = NULL;

        if (dnnl_memory_create(&m, md, nn->engine, ptr) != dnnl_success)
                MLS_ABORT("oneDNN could not wrap a buffer in a memory object");
        p->mem[p->nmem++] = m;
        return m;
}

static dnnl_status_t make_primitive(dnnl_primitive_t *prim, const_dnnl_op_desc_t op, dnnl_engine_t eng,
                                    const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *keep)
{
        dnnl_primitive_desc_t pd = NULL;
        dnnl_status_t st;

        if ((st = dnnl_primitive_desc_create(&pd, op, NULL, eng, hint)) != dnnl_success)
                return st;
        st = dnnl_primitive_create(prim, pd);
        if (keep && st == dnnl_success)
                *keep = pd;
        else
                dnnl_primitive_desc_destroy(pd);
        return st;
}

/*
 * BUILD - check the op descriptor's @init status, then create the primitive; a failure
 * names the primitive and its shapes. Never jumps.
 */
#define BUILD(prim, init, op, hint, keep, ...)                                                               \
        do {                                                                                                 \
                dnnl_status_t st_ = (init);                                                                  \
                if (st_ == dnnl_success)                                                                     \
                        st_ = make_primitive((prim), (op), nn->engine, (hint), (keep));                      \
                if (st_ != dnnl_success)                                                                     \
                        rc = MLS_DNNL_FAIL(st_, __VA_ARGS__);                                                \
        } while (0)

static mls_rc pass_layer(mls_nn *nn, struct pass *p, int i)
{
        const struct layer *ly = &nn->layer[i];
        int64_t B = p->rows;
        bool hidden = i < nn->nlayers - 1;
        dnnl_prop_kind_t prop = p->train ? dnnl_forward_training : dnnl_forward_inference;
        dnnl_memory_desc_t src, w, b, dst;
        dnnl_inner_product_desc_t ipd;
        dnnl_eltwise_desc_t ed;
        dnnl_primitive_desc_t ip_pd = NULL, act_pd = NULL;
        dnnl_alg_kind_t alg = act_alg(nn->arch.act);
        float alpha = nn->arch.act == MLS_ACT_SILU ? 1.0f : 0.0f;
        mls_rc rc = MLS_OK;

        md2(&src, B, ly->in, dnnl_nc);
        md2(&w, ly->out, ly->in, dnnl_oi);
        md1(&b, ly->out);
        md2(&dst, B, ly->out, dnnl_nc);
        BUILD(&p->ip_fwd[i], dnnl_inner_product_forward_desc_init(&ipd, prop, &src, &w, &b, &dst), &ipd, NULL,
              &ip_pd, "creating inner product forward, layer %d (%lld x %d -> %d)", i + 1, (long long)B,
              ly->in, ly->out);
        if (rc != MLS_OK)
                return rc;
        p->a_ip_fwd[i][0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, mem(nn, p, &src, p->act[i])};
        p->a_ip_fwd[i][1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, mem(nn, p, &w, nn->params + ly->w_off)};
        p->a_ip_fwd[i][2] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, mem(nn, p, &b, nn->params + ly->b_off)};
        p->a_ip_fwd[i][3] = (dnnl_exec_arg_t){DNNL_ARG_DST, mem(nn, p, &dst, p->pre[i + 1])};
        if (hidden) {
                BUILD(&p->act_fwd[i], dnnl_eltwise_forward_desc_init(&ed, prop, alg, &dst, alpha, 0.0f), &ed,
                      NULL, &act_pd, "creating %s forward, layer %d (%lld x %d)", act_name(nn->arch.act),
                      i + 1, (long long)B, ly->out);
                if (rc == MLS_OK) {
                        p->a_act_fwd[i][0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, mem(nn, p, &dst, p->pre[i + 1])};
                        p->a_act_fwd[i][1] = (dnnl_exec_arg_t){DNNL_ARG_DST, mem(nn, p, &dst, p->act[i + 1])};
                }
        }
        if (rc == MLS_OK && p->train) {
                dnnl_inner_product_desc_t bw, bd;

                BUILD(&p->ip_bwd_w[i], dnnl_inner_product_backward_weights_desc_init(&bw, &src, &w, &b, &dst),
                      &bw, ip_pd, NULL, "creating inner product backward weights, layer %d (%lld x %d -> %d)",
                      i + 1, (long long)B, ly->in, ly->out);
                if (rc == MLS_OK) {
                        p->a_bwd_w[i][0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, mem(nn, p, &src, p->act[i])};
                        p->a_bwd_w[i][1] =
                                (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, mem(nn, p, &dst, p->dpre[i + 1])};
                        p->a_bwd_w[i][2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS,
                                                             mem(nn, p, &w, nn->grad + ly->w_off)};
                        p->a_bwd_w[i][3] =
                                (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, mem(nn, p, &b, nn->grad + ly->b_off)};
                }
                if (rc == MLS_OK && i > 0) {
                        BUILD(&p->ip_bwd_d[i],
                              dnnl_inner_product_backward_data_desc_init(&bd, &src, &w, &dst), &bd, ip_pd,
                              NULL, "creating inner product backward data, layer %d (%lld x %d -> %d)", i + 1,
                              (long long)B, ly->in, ly->out);
                        if (rc == MLS_OK) {
                                p->a_bwd_d[i][0] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST,
                                                                     mem(nn, p, &dst, p->dpre[i + 1])};
                                p->a_bwd_d[i][1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS,
                                                                     mem(nn, p, &w, nn->params + ly->w_off)};
                                p->a_bwd_d[i][2] =
                                        (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, mem(nn, p, &src, p->dact[i])};
                        }
                }
                if (rc == MLS_OK && hidden) {
                        dnnl_eltwise_desc_t eb;

                        BUILD(&p->act_bwd[i],
                              dnnl_eltwise_backward_desc_init(&eb, alg, &dst, &dst, alpha, 0.0f), &eb, act_pd,
                              NULL, "creating %s backward, layer %d (%lld x %d)", act_name(nn->arch.act),
                              i + 1, (long long)B, ly->out);
                        if (rc == MLS_OK) {
                                p->a_act_bwd[i][0] =
                                        (dnnl_exec_arg_t){DNNL_ARG_SRC, mem(nn, p, &dst, p->pre[i + 1])};
                                p->a_act_bwd[i][1] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST,
                                                                       mem(nn, p, &dst, p->dact[i + 1])};
                                p->a_act_bwd[i][2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC,
                                                                       mem(nn, p, &dst, p->dpre[i + 1])};
                        }
                }
        }
        if (ip_pd)
                dnnl_primitive_desc_destroy(ip_pd);
        if (act_pd)
                dnnl_primitive_desc_destroy(act_pd);
        return rc;
}

static mls_rc pass_create(mls_nn *nn, int64_t rows, bool train, struct pass **out)
{
        struct pass *p = mls_calloc(1, sizeof(*p));
        mls_rc rc = MLS_OK;

        p->rows = rows;
        p->train = train;
        for (int i = 0; i <= nn->nlayers; i++) {
                int w = i == 0 ? nn->arch.nin : nn->layer[i - 1].out;

                p->act[i] = mls_calloc((size_t)(rows * w), sizeof(float));
                p->pre[i] = mls_calloc((size_t)(rows * w), sizeof(float));
                if (train) {
                        p->dact[i] = mls_calloc((size_t)(rows * w), sizeof(float));
                        p->dpre[i] = mls_calloc((size_t)(rows * w), sizeof(float));
                }
        }
        p->ybuf = mls_calloc((size_t)(rows * nn->arch.nout), sizeof(float));
        for (int i = 0; i < nn->nlayers && rc == MLS_OK; i++)
                rc = pass_layer(nn, p, i);
        if (rc != MLS_OK)
                pass_destroy(&p);
        *out = p;
        return rc;
}

/* get_pass - the pass for (@rows, @train), built on first use; the least recently used one goes. */
static mls_rc get_pass(mls_nn *nn, int64_t rows, bool train, struct pass **out)
{
        int slot = 0;
        mls_rc rc;

        for (int i = 0; i < NPASSES; i++) {
                struct pass *p = nn->passes[i];

                if (p && p->rows == rows && p->train == train) {
                        p->last_use = ++nn->uses;
                        *out = p;
                        return MLS_OK;
                }
                if (!p || (nn->passes[slot] && p->last_use < nn->passes[slot]->last_use))
                        slot = i;
        }
        pass_destroy(&nn->passes[slot]);
        if ((rc = pass_create(nn, rows, train, &nn->passes[slot])) != MLS_OK)
                return rc;
        nn->passes[slot]->last_use = ++nn->uses;
        *out = nn->passes[slot];
        return MLS_OK;
}

static mls_rc run(mls_nn *nn, dnnl_primitive_t prim, int nargs, const dnnl_exec_arg_t *args, const char *what,
                  int layer)
{
        dnnl_status_t st = dnnl_primitive_execute(prim, nn->stream, nargs, args);

        if (st != dnnl_success)
                return MLS_DNNL_FAIL(st, "executing %s of layer %d", what, layer + 1);
        return MLS_OK;
}

static mls_rc forward(mls_nn *nn, struct pass *p)
{
        mls_rc rc = MLS_OK;

        for (int i = 0; i < nn->nlayers && rc == MLS_OK; i++) {
                rc = run(nn, p->ip_fwd[i], 4, p->a_ip_fwd[i], "inner product forward", i);
                if (rc == MLS_OK && p->act_fwd[i])
                        rc = run(nn, p->act_fwd[i], 2, p->a_act_fwd[i], "activation forward", i);
        }
        if (rc == MLS_OK && dnnl_stream_wait(nn->stream) != dnnl_success)
                rc = MLS_DNNL_FAIL(dnnl_runtime_error, "waiting for the forward pass");
        return rc;
}

static mls_rc backward(mls_nn *nn, struct pass *p)
{
        mls_rc rc = MLS_OK;

        for (int i = nn->nlayers - 1; i >= 0 && rc == MLS_OK; i--) {
                if (p->act_bwd[i])
                        rc = run(nn, p->act_bwd[i], 3, p->a_act_bwd[i], "activation backward", i);
                if (rc == MLS_OK)
                        rc = run(nn, p->ip_bwd_w[i], 4, p->a_bwd_w[i], "inner product backward weights", i);
                if (rc == MLS_OK && i > 0)
                        rc = run(nn, p->ip_bwd_d[i], 3, p->a_bwd_d[i], "inner product backward data", i);
        }
        if (rc == MLS_OK && dnnl_stream_wait(nn->stream) != dnnl_success)
                rc = MLS_DNNL_FAIL(dnnl_runtime_error, "waiting for the backward pass");
        return rc;
}

/* ------------------------------------------------------------------ losses */

static double softplus(double z)
{
        return z > 30.0 ? z : z < -30.0 ? exp(z) : log1p(exp(z));
}

/*
 * loss_grad - loss of the first @r valid rows of the batch (outputs @out, targets @y) and
 * its gradient into @g (zero for padding rows). The loss is a mean over rows and outputs.
 */
static double loss_grad(const struct mls_nn_train_opts *o, int nout, const float *out, const float *y,
                        int64_t r, int64_t rows, float *g)
{
        double sum = 0.0, scale = 1.0 / ((double)r * nout);

        for (int64_t k = 0; k < r * nout; k++) {
                double s = out[k], t = y[k], d = s - t;

                switch (o->loss) {
                case MLS_LOSS_MAE:
                        sum += fabs(d);
                        if (g)
                                g[k] = (float)(scale * (d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0));
                        break;
                case MLS_LOSS_BCE: {
                        /* with logits: -pw t log(sig(s)) - (1 - t) log(1 - sig(s)), computed stably */
                        double sig = 1.0 / (1.0 + exp(-s));

                        sum += o->pos_weight * t * softplus(-s) + (1.0 - t) * softplus(s);
                        if (g)
                                g[k] = (float)(scale * (o->pos_weight * t * (sig - 1.0) + (1.0 - t) * sig));
                        break;
                }
                case MLS_LOSS_MSE:
                default:
                        sum += d * d;
                        if (g)
                                g[k] = (float)(scale * 2.0 * d);
                        break;
                }
        }
        if (g)
                memset(g + r * nout, 0, (size_t)((rows - r) * nout) * sizeof(float));
        return sum * scale;
}

/* ------------------------------------------------------------------ the network */

void mls_nn_train_defaults(struct mls_nn_train_opts *o, enum mls_nn_out out)
{
        memset(o, 0, sizeof(*o));
        o->loss = out == MLS_OUT_SIGMOID ? MLS_LOSS_BCE : MLS_LOSS_MSE;
        o->optim = MLS_OPTIM_ADAM;
        o->lr = 1e-3;
        o->lr_decay = 1.0;
        o->beta1 = 0.9;
        o->beta2 = 0.999;
        o->eps = 1e-8;
        o->epochs = 250;
        o->batch = 500;
        o->val_fraction = 0.2;
        o->patience = 10;
        o->min_delta = 1e-5;
        o->pos_weight = 1.0;
        o->seed = 1;
}

void mls_nn_reset(mls_nn *nn, uint64_t seed)
{
        struct mls_rng rng;

        mls_rng_init(&rng, seed, 0x6e6e); /* a stream of its own: "nn" */
        for (int i = 0; i < nn->nlayers; i++) {
                const struct layer *ly = &nn->layer[i];
                double bound = 1.0 / sqrt((double)ly->in);

                for (int64_t k = 0; k < (int64_t)ly->out * ly->in; k++)
                        nn->params[ly->w_off + k] = (float)((2.0 * mls_rng_uniform(&rng) - 1.0) * bound);
                for (int k = 0; k < ly->out; k++)
                        nn->params[ly->b_off + k] = (float)((2.0 * mls_rng_uniform(&rng) - 1.0) * bound);
        }
        memset(nn->m, 0, (size_t)nn->nparams * sizeof(float));
        memset(nn->v, 0, (size_t)nn->nparams * sizeof(float));
        nn->step = 0;
        nn->scaled = false;
        for (int i = 0; i < nn->arch.nin; i++) {
                nn->x_mean[i] = 0.0;
                nn->x_std[i] = 1.0;
        }
        for (int i = 0; i < nn->arch.nout; i++) {
                nn->y_mean[i] = 0.0;
                nn->y_std[i] = 1.0;
        }
}

static mls_rc check_arch(const struct mls_nn_arch *a)
{
        if (a->nin < 1 || a->nout < 1 || a->nhidden < 0 || a->nhidden > MLS_NN_MAX_HIDDEN ||
            (a->out == MLS_OUT_SIGMOID && a->nout != 1)) {
                MLS_LOG(MLS_LOG_ERR, "invalid network: %d inputs, %d outputs, %d hidden layers%s", a->nin,
                        a->nout, a->nhidden,
                        a->out == MLS_OUT_SIGMOID && a->nout != 1 ? ", sigmoid with several outputs" : "");
                return MLS_ERR_INTERNAL;
        }
        for (int i = 0; i < a->nhidden; i++) {
                if (a->width[i] < 1) {
                        MLS_LOG(MLS_LOG_ERR, "invalid network: hidden layer %d has width %d", i + 1,
                                a->width[i]);
                        return MLS_ERR_INTERNAL;
                }
        }
        return MLS_OK;
}

static atomic_int cancelled;

void mls_nn_cancel(bool on)
{
        atomic_store(&cancelled, on ? 1 : 0);
}

void mls_nn_threads(int threads)
{
        if (threads > 0)
                omp_set_num_threads(threads);
}

mls_rc mls_nn_create(const struct mls_nn_arch *a, uint64_t seed, int threads, mls_nn **out)
{
        mls_nn *nn;
        int64_t off = 0;
        dnnl_status_t st;
        mls_rc rc;

        *out = NULL;
        if ((rc = check_arch(a)) != MLS_OK)
                return rc;
        /* Before the first primitive: libgomp reads OMP_NUM_THREADS only at load time. */
        if (threads > 0)
                omp_set_num_threads(threads);
        nn = mls_calloc(1, sizeof(*nn));
        nn->arch = *a;
        nn->nlayers = a->nhidden + 1;
        for (int i = 0; i < nn->nlayers; i++) {
                struct layer *ly = &nn->layer[i];

                ly->in = i == 0 ? a->nin : a->width[i - 1];
                ly->out = i == a->nhidden ? a->nout : a->width[i];
                ly->w_off = off;
                off += (int64_t)ly->in * ly->out;
                ly->b_off = off;
                off += ly->out;
        }
        nn->nparams = off;
        nn->params = mls_calloc((size_t)off, sizeof(float));
        nn->grad = mls_calloc((size_t)off, sizeof(float));
        nn->m = mls_calloc((size_t)off, sizeof(float));
        nn->v = mls_calloc((size_t)off, sizeof(float));
        nn->best = mls_calloc((size_t)off, sizeof(float));
        nn->x_mean = mls_calloc((size_t)a->nin, sizeof(double));
        nn->x_std = mls_calloc((size_t)a->nin, sizeof(double));
        nn->y_mean = mls_calloc((size_t)a->nout, sizeof(double));
        nn->y_std = mls_calloc((size_t)a->nout, sizeof(double));
        mls_nn_reset(nn, seed);
        if ((st = dnnl_engine_create(&nn->engine, dnnl_cpu, 0)) != dnnl_success)
                rc = MLS_DNNL_FAIL(st, "creating the CPU engine");
        else if ((st = dnnl_stream_create(&nn->stream, nn->engine, dnnl_stream_default_flags)) !=
                 dnnl_success)
                rc = MLS_DNNL_FAIL(st, "creating a stream");
        if (rc != MLS_OK) {
                mls_nn_destroy(&nn);
                return rc;
        }
        *out = nn;
        return MLS_OK;
}

void mls_nn_destroy(mls_nn **pnn)
{
        mls_nn *nn = pnn ? *pnn : NULL;

        if (!nn)
                return;
        for (int i = 0; i < NPASSES; i++)
                pass_destroy(&nn->passes[i]);
        if (nn->stream)
                dnnl_stream_destroy(nn->stream);
        if (nn->engine)
                dnnl_engine_destroy(nn->engine);
        free(nn->params);
        free(nn->grad);
        free(nn->m);
        free(nn->v);
        free(nn->best);
        free(nn->x_mean);
        free(nn->x_std);
        free(nn->y_mean);
        free(nn->y_std);
        mls_free(pnn);
}

int64_t mls_nn_nparams(const mls_nn *nn)
{
        return nn->nparams;
}

float *mls_nn_params(mls_nn *nn)
{
        return nn->params;
}

const struct mls_nn_arch *mls_nn_arch_get(const mls_nn *nn)
{
        return &nn->arch;
}

/* ------------------------------------------------------------------ scaling */

static void fit_column(const double *v, int64_t n, int stride, double *mean, double *std)
{
        double s = 0.0, ss = 0.0;

        for (int64_t i = 0; i < n; i++)
                s += v[i * stride];
        *mean = s / (double)n;
        for (int64_t i = 0; i < n; i++)
                ss += (v[i * stride] - *mean) * (v[i * stride] - *mean);
        *std = sqrt(ss / (double)n);
        /* A constant column is centred only: dividing by ~0 would blow it up. */
        if (!(*std > 1e-12 * (fabs(*mean) + 1.0)))
                *std = 1.0;
}

static void fit_scalers(mls_nn *nn, const double *x, const double *y, int64_t n)
{
        for (int j = 0; j < nn->arch.nin; j++)
                fit_column(x + j, n, nn->arch.nin, &nn->x_mean[j], &nn->x_std[j]);
        /* Regression targets are standardised too; class labels stay 0/1. */
        for (int j = 0; j < nn->arch.nout; j++) {
                if (nn->arch.out == MLS_OUT_LINEAR)
                        fit_column(y + j, n, nn->arch.nout, &nn->y_mean[j], &nn->y_std[j]);
        }
        nn->scaled = true;
}

static void scale_rows(const double *v, int64_t n, int w, const double *mean, const double *std, float *out)
{
        for (int64_t i = 0; i < n; i++)
                for (int j = 0; j < w; j++)
                        out[i * w + j] = (float)((v[i * w + j] - mean[j]) / std[j]);
}

/* ------------------------------------------------------------------ training */

static void adam_step(mls_nn *nn, const struct mls_nn_train_opts *o, double lr)
{
        float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
        double c1, c2;
        float step_size, l2 = 0.0f, decay = 1.0f;

        nn->step++;
        c1 = 1.0 - pow(o->beta1, (double)nn->step);
        c2 = 1.0 - pow(o->beta2, (double)nn->step);
        step_size = (float)(lr / c1);
        if (o->optim == MLS_OPTIM_ADAMW)
                decay = (float)(1.0 - lr * o->weight_decay);
        else
                l2 = (float)o->weight_decay;
        {
                float *p = nn->params, *g = nn->grad, *m = nn->m, *v = nn->v;
                float rc2 = (float)(1.0 / sqrt(c2));

                for (int64_t k = 0; k < nn->nparams; k++) {
                        float gk = g[k] + l2 * p[k];

                        m[k] = b1 * m[k] + (1.0f - b1) * gk;
                        v[k] = b2 * v[k] + (1.0f - b2) * gk * gk;
                        p[k] = p[k] * decay - step_size * m[k] / (sqrtf(v[k]) * rc2 + eps);
                }
        }
}

/* Work per row: forward 2 in out; backward data and weights 2 in out each (no data gradient of layer 1). */
static double flop_per_row(const mls_nn *nn, bool train)
{
        double f = 0.0;

        for (int i = 0; i < nn->nlayers; i++) {
                double io = 2.0 * nn->layer[i].in * nn->layer[i].out;

                f += train ? (i > 0 ? 3.0 : 2.0) * io : io;
        }
        return f;
}

/* batch_step - forward, loss, backward on @r rows already in the pass buffers; no update. */
static mls_rc batch_step(mls_nn *nn, struct pass *p, const struct mls_nn_train_opts *o, int64_t r,
                         double *loss)
{
        int L = nn->nlayers;
        mls_rc rc;

        if ((rc = forward(nn, p)) != MLS_OK)
                return rc;
        *loss = loss_grad(o, nn->arch.nout, p->pre[L], p->ybuf, r, p->rows, p->dpre[L]);
        return backward(nn, p);
}

/* eval_loss - the loss over @n standardised rows, forward only, in chunks. */
static mls_rc eval_loss(mls_nn *nn, const float *xs, const float *ys, const int64_t *idx, int64_t n,
                        const struct mls_nn_train_opts *o, double *loss)
{
        int64_t rows = n < INFER_ROWS ? n : INFER_ROWS;
        int nin = nn->arch.nin, nout = nn->arch.nout;
        struct pass *p;
        double sum = 0.0;
        mls_rc rc;

        if ((rc = get_pass(nn, rows, false, &p)) != MLS_OK)
                return rc;
        for (int64_t s = 0; s < n && rc == MLS_OK; s += rows) {
                int64_t r = n - s < rows ? n - s : rows;

                for (int64_t i = 0; i < r; i++) {
                        memcpy(p->act[0] + i * nin, xs + idx[s + i] * nin, (size_t)nin * sizeof(float));
                        memcpy(p->ybuf + i * nout, ys + idx[s + i] * nout, (size_t)nout * sizeof(float));
                }
                if ((rc = forward(nn, p)) == MLS_OK)
                        sum += loss_grad(o, nout, p->pre[nn->nlayers], p->ybuf, r, rows, NULL) * (double)r;
        }
        *loss = sum / (double)n;
        return rc;
}

static void shuffle(int64_t *v, int64_t n, struct mls_rng *rng)
{
        for (int64_t i = n - 1; i > 0; i--) {
                int64_t j = (int64_t)mls_rng_below(rng, (uint64_t)i + 1), t = v[i];

                v[i] = v[j];
                v[j] = t;
        }
}

/* one_epoch - a shuffled pass over the training rows @tr[ntr]; returns the mean batch loss. */
static mls_rc one_epoch(mls_nn *nn, struct pass *p, const float *xs, const float *ys, int64_t *tr,
                        int64_t ntr, const struct mls_nn_train_opts *o, double lr, struct mls_rng *rng,
                        double *mean_loss)
{
        int nin = nn->arch.nin, nout = nn->arch.nout;
        double sum = 0.0, loss;
        mls_rc rc = MLS_OK;

        shuffle(tr, ntr, rng);
        for (int64_t s = 0; s < ntr && rc == MLS_OK; s += p->rows) {
                int64_t r = ntr - s < p->rows ? ntr - s : p->rows;

                for (int64_t i = 0; i < r; i++) {
                        memcpy(p->act[0] + i * nin, xs + tr[s + i] * nin, (size_t)nin * sizeof(float));
                        memcpy(p->ybuf + i * nout, ys + tr[s + i] * nout, (size_t)nout * sizeof(float));
                }
                if ((rc = batch_step(nn, p, o, r, &loss)) == MLS_OK) {
                        adam_step(nn, o, lr);
                        sum += loss * (double)r;
                }
        }
        *mean_loss = sum / (double)ntr;
        return rc;
}

mls_rc mls_nn_train(mls_nn *nn, const double *x, const double *y, int64_t n,
                    const struct mls_nn_train_opts *o, struct mls_nn_report *rep)
{
        int nin = nn->arch.nin, nout = nn->arch.nout, since_best = 0;
        int64_t nval, ntr, *perm;
        float *xs, *ys;
        double t0 = mls_now(), best = INFINITY, lr = o->lr, tl = NAN, vl = NAN;
        struct mls_rng rng;
        struct pass *p = NULL;
        mls_rc rc = MLS_OK;

        memset(rep, 0, sizeof(*rep));
        rep->val_loss = NAN;
        /* BCE needs 0/1 targets and logits; a sigmoid output is trained only through BCE. */
        if ((o->loss == MLS_LOSS_BCE) != (nn->arch.out == MLS_OUT_SIGMOID)) {
                MLS_LOG(MLS_LOG_ERR,
                        "loss %s does not suit a %s output (use BCE exactly with a sigmoid output)",
                        o->loss == MLS_LOSS_BCE   ? "bce"
                        : o->loss == MLS_LOSS_MAE ? "mae"
                                                  : "mse",
                        nn->arch.out == MLS_OUT_SIGMOID ? "sigmoid" : "linear");
                return MLS_ERR_INTERNAL;
        }
        if (n < 1 || o->epochs < 1 || o->batch < 1)
                return MLS_OK;
        if (!nn->scaled)
                fit_scalers(nn, x, y, n);
        xs = mls_calloc((size_t)(n * nin), sizeof(float));
        ys = mls_calloc((size_t)(n * nout), sizeof(float));
        scale_rows(x, n, nin, nn->x_mean, nn->x_std, xs);
        scale_rows(y, n, nout, nn->y_mean, nn->y_std, ys);
        /* A seeded split: the validation rows are the first of a random permutation. */
        mls_rng_init(&rng, o->seed, 0x7472); /* "tr" */
        perm = mls_calloc((size_t)n, sizeof(int64_t));
        for (int64_t i = 0; i < n; i++)
                perm[i] = i;
        shuffle(perm, n, &rng);
        nval = o->val_fraction > 0 ? (int64_t)(o->val_fraction * (double)n) : 0;
        if (nval >= n)
                nval = n - 1;
        ntr = n - nval;
        rc = get_pass(nn, ntr < o->batch ? ntr : o->batch, true, &p);
        for (int e = 0; e < o->epochs && rc == MLS_OK; e++) {
                if (atomic_load(&cancelled)) {
                        rc = MLS_STOPPED;
                        break;
                }
                if ((rc = one_epoch(nn, p, xs, ys, perm + nval, ntr, o, lr, &rng, &tl)) != MLS_OK)
                        break;
                rep->epochs_run = e + 1;
                rep->gflop += flop_per_row(nn, true) * (double)ntr * 1e-9;
                lr *= o->lr_decay;
                if (nval == 0) {
                        rep->best_epoch = e + 1;
                        rep->train_loss = tl;
                        continue;
                }
                if ((rc = eval_loss(nn, xs, ys, perm, nval, o, &vl)) != MLS_OK)
                        break;
                rep->gflop += flop_per_row(nn, false) * (double)nval * 1e-9;
                MLS_LOG(MLS_LOG_DEBUG, "epoch %d: train loss %.6g, validation loss %.6g", e + 1, tl, vl);
                if (vl < best - o->min_delta) {
                        best = vl;
                        since_best = 0;
                        rep->best_epoch = e + 1;
                        rep->train_loss = tl;
                        rep->val_loss = vl;
                        memcpy(nn->best, nn->params, (size_t)nn->nparams * sizeof(float));
                } else if (o->patience > 0 && ++since_best >= o->patience) {
                        break;
                }
        }
        /* Restore the best epoch's weights (a real copy; the optimizer moments stay as they are). */
        if (rc == MLS_OK && nval > 0 && rep->best_epoch > 0 && rep->best_epoch < rep->epochs_run)
                memcpy(nn->params, nn->best, (size_t)nn->nparams * sizeof(float));
        rep->seconds = mls_now() - t0;
        if (rc == MLS_OK)
                MLS_LOG(MLS_LOG_DEBUG,
                        "trained on %lld points: %d epochs (kept %d), train loss %.5g, validation loss %.5g, %.2f s, %.1f GFLOP/s",
                        (long long)n, rep->epochs_run, rep->best_epoch, rep->train_loss, rep->val_loss,
                        rep->seconds, rep->seconds > 0 ? rep->gflop / rep->seconds : 0.0);
        free(perm);
        free(xs);
        free(ys);
        return rc;
}

mls_rc mls_nn_loss_grad(mls_nn *nn, const float *xs, const float *ys, int64_t n,
                        const struct mls_nn_train_opts *o, double *loss, float *grad)
{
        struct pass *p;
        mls_rc rc;

        if ((rc = get_pass(nn, n, true, &p)) != MLS_OK)
                return rc;
        memcpy(p->act[0], xs, (size_t)(n * nn->arch.nin) * sizeof(float));
        memcpy(p->ybuf, ys, (size_t)(n * nn->arch.nout) * sizeof(float));
        if ((rc = batch_step(nn, p, o, n, loss)) == MLS_OK)
                memcpy(grad, nn->grad, (size_t)nn->nparams * sizeof(float));
        return rc;
}

/* ------------------------------------------------------------------ inference */

mls_rc mls_nn_predict(mls_nn *nn, const double *x, int64_t n, double *y)
{
        int64_t rows = n < INFER_ROWS ? (n > 0 ? n : 1) : INFER_ROWS;
        int nin = nn->arch.nin, nout = nn->arch.nout;
        struct pass *p;
        mls_rc rc;

        if (n <= 0)
                return MLS_OK;
        if ((rc = get_pass(nn, rows, false, &p)) != MLS_OK)
                return rc;
        for (int64_t s = 0; s < n && rc == MLS_OK; s += rows) {
                int64_t r = n - s < rows ? n - s : rows;
                const float *out = p->pre[nn->nlayers];

                scale_rows(x + s * nin, r, nin, nn->x_mean, nn->x_std, p->act[0]);
                if ((rc = forward(nn, p)) != MLS_OK)
                        break;
                for (int64_t i = 0; i < r * nout; i++) {
                        int j = (int)(i % nout);

                        y[s * nout + i] = nn->arch.out == MLS_OUT_SIGMOID
                                                  ? 1.0 / (1.0 + exp(-(double)out[i]))
                                                  : (double)out[i] * nn->y_std[j] + nn->y_mean[j];
                }
        }
        return rc;
}

/* ------------------------------------------------------------------ state */

void mls_nn_state_get(mls_nn *nn, struct mls_nn_state *st)
{
        st->arch = nn->arch;
        st->nparams = nn->nparams;
        st->params = nn->params;
        st->adam_m = nn->m;
        st->adam_v = nn->v;
        st->step = nn->step;
        st->scaled = nn->scaled;
        st->x_mean = nn->x_mean;
        st->x_std = nn->x_std;
        st->y_mean = nn->y_mean;
        st->y_std = nn->y_std;
}

mls_rc mls_nn_state_load(const struct mls_nn_state *st, int threads, mls_nn **out)
{
        mls_nn *nn;
        mls_rc rc;

        *out = NULL;
        if ((rc = mls_nn_create(&st->arch, 0, threads, &nn)) != MLS_OK)
                return rc;
        if (nn->nparams != st->nparams) {
                MLS_LOG(MLS_LOG_ERR, "saved network holds %lld parameters, its architecture needs %lld",
                        (long long)st->nparams, (long long)nn->nparams);
                mls_nn_destroy(&nn);
                return MLS_ERR_INTERNAL;
        }
        memcpy(nn->params, st->params, (size_t)nn->nparams * sizeof(float));
        memcpy(nn->m, st->adam_m, (size_t)nn->nparams * sizeof(float));
        memcpy(nn->v, st->adam_v, (size_t)nn->nparams * sizeof(float));
        memcpy(nn->x_mean, st->x_mean, (size_t)st->arch.nin * sizeof(double));
        memcpy(nn->x_std, st->x_std, (size_t)st->arch.nin * sizeof(double));
        memcpy(nn->y_mean, st->y_mean, (size_t)st->arch.nout * sizeof(double));
        memcpy(nn->y_std, st->y_std, (size_t)st->arch.nout * sizeof(double));
        nn->step = st->step;
        nn->scaled = st->scaled;
        *out = nn;
        return MLS_OK;
}
