/*
 * smote.c - SMOTE and the exact k-nearest-neighbour search it needs.
 *
 * The search is brute force, arranged as a blocked matrix product. In 40 dimensions distances
 * concentrate: with 1e5 points, uniform or near a thin shell, the 5th neighbour is at 0.65 of
 * the median distance, and the distances from a vantage point have a standard deviation of
 * only 0.13 of that neighbour radius (bench/knn_speed prints both). A VP-tree, ball tree or
 * kd-tree can discard a subtree only when the query's distance to a pivot differs from the
 * subtree's by more than that radius, so an exact tree search would still visit nearly every
 * point, at a higher cost per point. Brute force at least runs at the speed of the
 * floating-point units, and its cost does not depend on how the points are spread.
 *
 * Each (query, point) pair costs one d-long dot product: |q - x|^2 = |q|^2 + |x|^2 - 2 q.x,
 * computed a tile of queries by a panel of points at a time with SIMD code (AVX-512 or
 * AVX2 with FMA, picked at run time on x86-64, else a portable two-wide kernel). That expansion
 * cancels, so it is used only as a rigorous lower bound on the distance; a point whose bound
 * beats the query's current k-th distance gets its distance recomputed directly, as the sum
 * of (q_l - x_l)^2 in index order, and only those direct distances rank neighbours. The
 * result is therefore the exact k nearest by that formula, with ties going to the lower
 * index, whichever SIMD kernel ran and whatever order the blocks went in.
 */
#include <config.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#define MLS_KNN_X86 1
#include <immintrin.h>
#endif /* __x86_64__ */

#include "mlscan/log.h"
#include "mlscan/smote.h"
#include "mlscan/util.h"

/* Points per packed panel: one AVX-512 register pair or two AVX2 register pairs. */
#define NB 16
/* The largest tile height (queries) any kernel uses. */
#define MB_MAX 12
/* Aim for a chunk of panels that stays in a 256 KiB L2 while a query block sweeps it. */
#define CHUNK_BYTES (256 * 1024)
/* Queries sharing one sweep of the points; more reuse each chunk, fewer keep heaps small. */
#define QBLOCK 240
/* Cap on heap entries per query block when k is large. */
#define HEAP_ENTRIES (1 << 19)
/* Above this magnitude |x|^2 could overflow, and the lower bound would be useless. */
#define PRUNE_MAX_ABS 1e100

/*
 * A tile kernel: the dot products of the (padded) query tile @qp[d x mb] with the panel
 * @xp[d x NB], turned into the lower bounds lb = (qn + xn) c1 - 2 q.x; bit j of @mask[i] is
 * set when lb does not exceed @thr[i], that is when point j may still be among query i's
 * nearest. Returns nonzero when any bit is set.
 */
typedef int (*tile_fn)(const double *qp, const double *qn, const double *thr, const double *xp,
                       const double *xn, int d, double c1, uint16_t *mask);

struct kernel {
        const char *name;
        int mb; /* queries per tile */
        tile_fn tile;
};

/* The points, packed once per call; the neighbour count; the pruning constants. */
struct knn {
        const double *x;
        int64_t n, npanel;
        int d, k;
        double *xp;   /* xp[(p d + l) NB + j] = x[(p NB + j) d + l], zero padding */
        double *xn;   /* |x|^2, +inf for padding so padding never passes a finite threshold */
        void *xp_mem; /* xp before alignment */
        double c1;    /* lb = (qn + xn) c1 - 2 q.x */
        double grow;  /* the threshold is top grow + tiny */
        double tiny;
        bool prune; /* false when the data is too large for the bound: every point is checked */
        const struct kernel *kern;
};

/* One query block's state: a max-heap of (distance, index) per query, and the tile inputs. */
struct block {
        int64_t nq; /* queries in this block */
        int *cnt;   /* heap sizes */
        double *hf; /* hf[i k ..]: heap of distances, largest (then highest index) at the root */
        int64_t *hi;
        double *thr; /* per query (and padding rows at -inf): skip points whose lb exceeds it */
        double *qn;
        double *qp; /* packed tiles: qp[(t d + l) mb + i] */
        uint16_t mask[MB_MAX];
};

static double dist2(const double *a, const double *b, int d)
{
        double s = 0.0;

        for (int l = 0; l < d; l++) {
                double t = a[l] - b[l];

                s += t * t;
        }
        return s;
}

/* ------------------------------------------------------------------ tile kernels */

/* Two doubles: SSE2 on any x86-64, NEON on AArch64; GCC and Clang lower it elsewhere. */
typedef double v2d __attribute__((vector_size(16)));

/*
 * The portable kernel: two queries by eight points at a time, so that the eight two-wide
 * accumulators stay in registers even on SSE2's sixteen.
 */
static int tile_generic(const double *qp, const double *qn, const double *thr, const double *xp,
                        const double *xn, int d, double c1, uint16_t *mask)
{
        enum { MB = 2, H = 8 };
        unsigned m0 = 0, m1 = 0;

        for (int h = 0; h < NB; h += H) {
                v2d a0[H / 2] = {{0}}, a1[H / 2] = {{0}};

                for (int l = 0; l < d; l++) {
                        v2d q0 = {qp[l * MB], qp[l * MB]}, q1 = {qp[l * MB + 1], qp[l * MB + 1]};

#pragma GCC unroll 4
                        for (int j = 0; j < H / 2; j++) {
                                v2d x;

                                memcpy(&x, xp + l * NB + h + 2 * j, sizeof(x)); /* not *(v2d *): aliasing */
                                a0[j] += q0 * x;
                                a1[j] += q1 * x;
                        }
                }
                for (int j = 0; j < H; j++) {
                        double lb0 = (qn[0] + xn[h + j]) * c1 - 2.0 * a0[j / 2][j % 2];
                        double lb1 = (qn[1] + xn[h + j]) * c1 - 2.0 * a1[j / 2][j % 2];

                        /* Written as !(lb > thr) so that a NaN bound is never skipped. */
                        m0 |= (unsigned)!(lb0 > thr[0]) << (h + j);
                        m1 |= (unsigned)!(lb1 > thr[1]) << (h + j);
                }
        }
        mask[0] = (uint16_t)m0;
        mask[1] = (uint16_t)m1;
        return (m0 | m1) != 0;
}

#ifdef MLS_KNN_X86
__attribute__((target("avx2,fma"))) static int tile_avx2(const double *qp, const double *qn,
                                                         const double *thr, const double *xp,
                                                         const double *xn, int d, double c1, uint16_t *mask)
{
        enum { MB = 6 };
        const __m256d c = _mm256_set1_pd(c1);
        int any = 0;

        for (int i = 0; i < MB; i++)
                mask[i] = 0;
                /* Two halves of eight points: 12 accumulators, two loads and a broadcast fit 16 registers. */
#pragma GCC unroll 2
        for (int h = 0; h < NB; h += 8) {
                __m256d acc[MB][2];

#pragma GCC unroll 6
                for (int i = 0; i < MB; i++)
                        acc[i][0] = acc[i][1] = _mm256_setzero_pd();
                for (int l = 0; l < d; l++) {
                        __m256d x0 = _mm256_loadu_pd(xp + l * NB + h);
                        __m256d x1 = _mm256_loadu_pd(xp + l * NB + h + 4);

#pragma GCC unroll 6
                        for (int i = 0; i < MB; i++) {
                                __m256d q = _mm256_broadcast_sd(qp + l * MB + i);

                                acc[i][0] = _mm256_fmadd_pd(q, x0, acc[i][0]);
                                acc[i][1] = _mm256_fmadd_pd(q, x1, acc[i][1]);
                        }
                }
#pragma GCC unroll 6
                for (int i = 0; i < MB; i++) {
                        __m256d s0 = _mm256_add_pd(_mm256_set1_pd(qn[i]), _mm256_loadu_pd(xn + h));
                        __m256d s1 = _mm256_add_pd(_mm256_set1_pd(qn[i]), _mm256_loadu_pd(xn + h + 4));
                        __m256d lb0 =
                                _mm256_sub_pd(_mm256_mul_pd(s0, c), _mm256_add_pd(acc[i][0], acc[i][0]));
                        __m256d lb1 =
                                _mm256_sub_pd(_mm256_mul_pd(s1, c), _mm256_add_pd(acc[i][1], acc[i][1]));
                        __m256d t = _mm256_set1_pd(thr[i]);
                        int m = _mm256_movemask_pd(_mm256_cmp_pd(lb0, t, _CMP_NGT_UQ)) |
                                _mm256_movemask_pd(_mm256_cmp_pd(lb1, t, _CMP_NGT_UQ)) << 4;

                        mask[i] |= (uint16_t)(m << h);
                        any |= m;
                }
        }
        return any;
}

__attribute__((target("avx512f"))) static int tile_avx512(const double *qp, const double *qn,
                                                          const double *thr, const double *xp,
                                                          const double *xn, int d, double c1, uint16_t *mask)
{
        enum { MB = 12 };
        const __m512d c = _mm512_set1_pd(c1);
        const __m512d xn0 = _mm512_loadu_pd(xn), xn1 = _mm512_loadu_pd(xn + 8);
        __m512d acc[MB][2];
        int any = 0;

        /* 24 accumulators, two loads and a broadcast fit the 32 registers. */
#pragma GCC unroll 12
        for (int i = 0; i < MB; i++)
                acc[i][0] = acc[i][1] = _mm512_setzero_pd();
        for (int l = 0; l < d; l++) {
                __m512d x0 = _mm512_loadu_pd(xp + l * NB);
                __m512d x1 = _mm512_loadu_pd(xp + l * NB + 8);

#pragma GCC unroll 12
                for (int i = 0; i < MB; i++) {
                        __m512d q = _mm512_set1_pd(qp[l * MB + i]);

                        acc[i][0] = _mm512_fmadd_pd(q, x0, acc[i][0]);
                        acc[i][1] = _mm512_fmadd_pd(q, x1, acc[i][1]);
                }
        }
#pragma GCC unroll 12
        for (int i = 0; i < MB; i++) {
                __m512d qi = _mm512_set1_pd(qn[i]), t = _mm512_set1_pd(thr[i]);
                __m512d lb0 = _mm512_sub_pd(_mm512_mul_pd(_mm512_add_pd(qi, xn0), c),
                                            _mm512_add_pd(acc[i][0], acc[i][0]));
                __m512d lb1 = _mm512_sub_pd(_mm512_mul_pd(_mm512_add_pd(qi, xn1), c),
                                            _mm512_add_pd(acc[i][1], acc[i][1]));
                unsigned m = (unsigned)_mm512_cmp_pd_mask(lb0, t, _CMP_NGT_UQ) |
                             (unsigned)_mm512_cmp_pd_mask(lb1, t, _CMP_NGT_UQ) << 8;

                mask[i] = (uint16_t)m;
                any |= (int)m;
        }
        return any;
}
#endif /* MLS_KNN_X86 */

static const struct kernel kernels[] = {
#ifdef MLS_KNN_X86
        {"avx512", 12, tile_avx512},
        {"avx2", 6, tile_avx2},
#endif /* MLS_KNN_X86 */
        {"generic", 2, tile_generic},
};

static bool kernel_supported(const struct kernel *kn)
{
#ifdef MLS_KNN_X86
        if (kn->tile == tile_avx512)
                return __builtin_cpu_supports("avx512f");
        if (kn->tile == tile_avx2)
                return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif /* MLS_KNN_X86 */
        return kn->tile == tile_generic;
}

/*
 * The fastest kernel this CPU runs, unless MLSCAN_KNN_KERNEL names another supported one:
 * the tests and bench/knn_speed use it to check and time every kernel. The result does not
 * depend on the choice.
 */
static const struct kernel *kernel_pick(void)
{
        const char *want = getenv("MLSCAN_KNN_KERNEL");
        const struct kernel *best = NULL;
        size_t nk = sizeof(kernels) / sizeof(kernels[0]);

        for (size_t i = 0; i < nk; i++) {
                if (!kernel_supported(&kernels[i]))
                        continue;
                if (!best)
                        best = &kernels[i];
                if (want && strcmp(want, kernels[i].name) == 0)
                        return &kernels[i];
        }
        return best;
}

/* ------------------------------------------------------------------ search */

/* (fa, ia) ranks after (fb, ib): farther, or as far with a higher index. */
static bool after(double fa, int64_t ia, double fb, int64_t ib)
{
        return fa > fb || (fa == fb && ia > ib);
}

static void heap_swap(double *hf, int64_t *hi, int a, int b)
{
        double tf = hf[a];
        int64_t ti = hi[a];

        hf[a] = hf[b];
        hi[a] = hi[b];
        hf[b] = tf;
        hi[b] = ti;
}

static void heap_sift_down(double *hf, int64_t *hi, int cnt, int at)
{
        for (;;) {
                int big = at, c = 2 * at + 1;

                if (c < cnt && after(hf[c], hi[c], hf[big], hi[big]))
                        big = c;
                if (c + 1 < cnt && after(hf[c + 1], hi[c + 1], hf[big], hi[big]))
                        big = c + 1;
                if (big == at)
                        return;
                heap_swap(hf, hi, at, big);
                at = big;
        }
}

static void heap_push(double *hf, int64_t *hi, int *cnt, double f, int64_t j)
{
        int at = (*cnt)++;

        while (at > 0) {
                int up = (at - 1) / 2;

                if (!after(f, j, hf[up], hi[up]))
                        break;
                hf[at] = hf[up];
                hi[at] = hi[up];
                at = up;
        }
        hf[at] = f;
        hi[at] = j;
}

/* offer - point @j to query @i of the block, whose point index is @q. */
static void offer(const struct knn *s, struct block *b, int64_t i, int64_t q, int64_t j)
{
        double *hf = b->hf + i * s->k;
        int64_t *hi = b->hi + i * s->k;
        double f = dist2(s->x + q * s->d, s->x + j * s->d, s->d);

        if (b->cnt[i] < s->k) {
                heap_push(hf, hi, &b->cnt[i], f, j);
        } else if (after(hf[0], hi[0], f, j)) {
                hf[0] = f;
                hi[0] = j;
                heap_sift_down(hf, hi, s->k, 0);
        } else {
                return;
        }
        if (b->cnt[i] == s->k && s->prune)
                b->thr[i] = hf[0] * s->grow + s->tiny;
}

/* The points of one tile's candidates: drop the padding and the query itself, then offer. */
static void tile_offer(const struct knn *s, struct block *b, const int64_t *query, int64_t t0, int mb,
                       int64_t p)
{
        for (int r = 0; r < mb && t0 + r < b->nq; r++) {
                for (unsigned m = b->mask[r]; m; m &= m - 1) {
                        int64_t j = p * NB + __builtin_ctz(m);

                        if (j < s->n && j != query[t0 + r])
                                offer(s, b, t0 + r, query[t0 + r], j);
                }
        }
}

/* block_start - reset the heaps and pack the block's queries into tiles of the kernel's height. */
static void block_start(const struct knn *s, struct block *b, const int64_t *query, int64_t nq)
{
        int mb = s->kern->mb, d = s->d;
        int64_t ntile = (nq + mb - 1) / mb;

        b->nq = nq;
        for (int64_t i = 0; i < ntile * mb; i++) {
                int64_t t = i / mb, r = i % mb;
                double *dst = b->qp + t * d * mb + r;

                if (i < nq) {
                        b->cnt[i] = 0;
                        b->thr[i] = INFINITY;
                        b->qn[i] = s->xn[query[i]];
                        for (int l = 0; l < d; l++)
                                dst[l * mb] = s->x[query[i] * d + l];
                } else {
                        b->thr[i] = -INFINITY; /* padding rows pass nothing */
                        b->qn[i] = 0.0;
                        for (int l = 0; l < d; l++)
                                dst[l * mb] = 0.0;
                }
        }
}

/* block_finish - the heaps, nearest first, into @idx; -1 where k exceeds the other points. */
static void block_finish(const struct knn *s, struct block *b, int k, int64_t *idx)
{
        for (int64_t i = 0; i < b->nq; i++) {
                double *hf = b->hf + i * s->k;
                int64_t *hi = b->hi + i * s->k;

                /* Heap sort: the largest goes to the end, leaving the row nearest first. */
                for (int c = b->cnt[i]; c > 1; c--) {
                        heap_swap(hf, hi, 0, c - 1);
                        heap_sift_down(hf, hi, c - 1, 0);
                }
                for (int c = 0; c < k; c++)
                        idx[i * k + c] = c < b->cnt[i] ? hi[c] : -1;
        }
}

/* knn_search - the block loops: for each query block, sweep the points chunk by chunk. */
static void knn_search(const struct knn *s, const int64_t *query, int64_t nq, int k, int64_t *idx)
{
        int mb = s->kern->mb;
        int64_t qb = QBLOCK, chunk = CHUNK_BYTES / ((int64_t)s->d * NB * (int64_t)sizeof(double));
        struct block b;

        if ((int64_t)s->k * qb > HEAP_ENTRIES)
                qb = HEAP_ENTRIES / s->k;
        qb = qb < mb ? mb : qb - qb % mb;
        if (chunk < 1)
                chunk = 1;
        b.cnt = mls_calloc((size_t)qb, sizeof(*b.cnt));
        b.hf = mls_calloc((size_t)(qb * s->k), sizeof(*b.hf));
        b.hi = mls_calloc((size_t)(qb * s->k), sizeof(*b.hi));
        b.thr = mls_calloc((size_t)qb, sizeof(*b.thr));
        b.qn = mls_calloc((size_t)qb, sizeof(*b.qn));
        b.qp = mls_calloc((size_t)(qb * s->d), sizeof(*b.qp));
        for (int64_t q0 = 0; q0 < nq; q0 += qb) {
                const int64_t *bq = query + q0;

                block_start(s, &b, bq, nq - q0 < qb ? nq - q0 : qb);
                for (int64_t p0 = 0; p0 < s->npanel; p0 += chunk) {
                        int64_t p1 = p0 + chunk < s->npanel ? p0 + chunk : s->npanel;

                        for (int64_t t0 = 0; t0 < b.nq; t0 += mb) {
                                const double *qp = b.qp + t0 * s->d;

                                for (int64_t p = p0; p < p1; p++)
                                        if (s->kern->tile(qp, b.qn + t0, b.thr + t0, s->xp + p * s->d * NB,
                                                          s->xn + p * NB, s->d, s->c1, b.mask))
                                                tile_offer(s, &b, bq, t0, mb, p);
                        }
                }
                block_finish(s, &b, k, idx + q0 * k);
        }
        free(b.cnt);
        free(b.hf);
        free(b.hi);
        free(b.thr);
        free(b.qn);
        free(b.qp);
}

/*
 * knn_init - pack the points into panels and set the bound's constants.
 *
 * With s = |q|^2 + |x|^2 and p = q.x, the computed s' and p' (any summation order, with or
 * without FMA) satisfy |s' - s| <= g(d+1) s and |p' - p| <= g(d) s / 2, where g(m) = m u / (1 - m u)
 * and u = DBL_EPSILON / 2, so |q - x|^2 >= s' (1 - 2 g(d+1)) - 2 p'. The direct sum f of d
 * rounded squares is within g(d+2) of |q - x|^2. Writing c1 = 1 - (d + 8) DBL_EPSILON and
 * grow = 1 + (d + 8) DBL_EPSILON doubles what those bounds need, which leaves room for the
 * rounding of the bound and threshold themselves; tiny covers underflow, where the errors are
 * absolute. So lb > top grow + tiny implies f > top: the point cannot enter a full heap.
 */
static void knn_init(struct knn *s, const double *x, int64_t n, int d, int k, double max_abs)
{
        double *xp;

        s->x = x;
        s->n = n;
        s->d = d;
        s->k = k;
        s->npanel = (n + NB - 1) / NB;
        s->c1 = 1.0 - (d + 8) * DBL_EPSILON;
        s->grow = 1.0 + (d + 8) * DBL_EPSILON;
        s->tiny = 8.0 * (d + 8) * DBL_TRUE_MIN;
        s->prune = max_abs <= PRUNE_MAX_ABS;
        s->kern = kernel_pick();
        /* 64-byte alignment keeps every AVX-512 panel row in one cache line. */
        s->xp_mem = mls_calloc((size_t)(s->npanel * d * NB + 8), sizeof(double));
        xp = (double *)(((uintptr_t)s->xp_mem + 63) & ~(uintptr_t)63);
        s->xp = xp;
        s->xn = mls_calloc((size_t)(s->npanel * NB), sizeof(double));
        for (int64_t j = 0; j < s->npanel * NB; j++) {
                int64_t p = j / NB, c = j % NB;

                if (j >= n) {
                        s->xn[j] = INFINITY;
                        continue;
                }
                for (int l = 0; l < d; l++)
                        xp[(p * d + l) * NB + c] = x[j * d + l];
                s->xn[j] = 0.0;
                for (int l = 0; l < d; l++)
                        s->xn[j] += x[j * d + l] * x[j * d + l];
        }
}

static void knn_fini(struct knn *s)
{
        mls_free(&s->xp_mem);
        mls_free(&s->xn);
        s->xp = NULL;
}

/* check_points - the shared argument checks; *@max_abs gets the largest |x|. */
static mls_rc check_points(const char *fn, const double *x, int64_t n, int d, int k, double *max_abs)
{
        double big = 0.0;

        if (!x || n < 2 || d < 1 || k < 1) {
                MLS_LOG(MLS_LOG_ERR,
                        "%s: invalid arguments: %lld points (need at least 2), dimension %d, k = %d%s", fn,
                        (long long)n, d, k, x ? "" : ", no points");
                return MLS_ERR_INTERNAL;
        }
        for (int64_t i = 0; i < n * d; i++) {
                double a = fabs(x[i]);

                if (!(a <= DBL_MAX)) {
                        MLS_LOG(MLS_LOG_ERR, "%s: point %lld has a non-finite coordinate %d", fn,
                                (long long)(i / d), (int)(i % d));
                        return MLS_ERR_INTERNAL;
                }
                if (a > big)
                        big = a;
        }
        *max_abs = big;
        return MLS_OK;
}

mls_rc mls_knn(const double *x, int64_t n, int d, const int64_t *query, int64_t nq, int k, int64_t *idx)
{
        struct knn s;
        double max_abs;
        mls_rc rc;

        if ((rc = check_points("mls_knn", x, n, d, k, &max_abs)) != MLS_OK)
                return rc;
        if (nq < 0 || (nq > 0 && (!query || !idx))) {
                MLS_LOG(MLS_LOG_ERR, "mls_knn: invalid queries: %lld%s", (long long)nq,
                        nq > 0 ? " with no query or output array" : "");
                return MLS_ERR_INTERNAL;
        }
        for (int64_t i = 0; i < nq; i++) {
                if (query[i] < 0 || query[i] >= n) {
                        MLS_LOG(MLS_LOG_ERR, "mls_knn: query %lld is point %lld of %lld", (long long)i,
                                (long long)query[i], (long long)n);
                        return MLS_ERR_INTERNAL;
                }
        }
        if (nq == 0)
                return MLS_OK;
        knn_init(&s, x, n, d, k < n - 1 ? k : (int)(n - 1), max_abs);
        knn_search(&s, query, nq, k, idx);
        knn_fini(&s);
        return MLS_OK;
}

/* ------------------------------------------------------------------ SMOTE */

mls_rc mls_smote(const double *x, int64_t n, int d, int k, int64_t nsyn, struct mls_rng *rng, double *out,
                 int64_t *base, int64_t *nbr)
{
        int64_t *b = NULL, *r = NULL, *slot = NULL, *qs = NULL, *nn = NULL, nd = 0;
        double *t = NULL, max_abs;
        struct knn s;
        mls_rc rc;
        int ke;

        if ((rc = check_points("mls_smote", x, n, d, k, &max_abs)) != MLS_OK)
                return rc;
        if (nsyn < 0 || (nsyn > 0 && (!rng || !out))) {
                MLS_LOG(MLS_LOG_ERR, "mls_smote: invalid request for %lld synthetic points%s",
                        (long long)nsyn, nsyn > 0 ? " with no generator or output array" : "");
                return MLS_ERR_INTERNAL;
        }
        if (nsyn == 0)
                return MLS_OK;
        ke = k < n - 1 ? k : (int)(n - 1);
        b = mls_calloc((size_t)nsyn, sizeof(*b));
        r = mls_calloc((size_t)nsyn, sizeof(*r));
        t = mls_calloc((size_t)nsyn, sizeof(*t));
        /*
         * Three draws per synthetic point, in point order, before any search: point i depends only
         * on its own draws, so a longer request starts with the points of a shorter one.
         */
        for (int64_t i = 0; i < nsyn; i++) {
                b[i] = (int64_t)mls_rng_below(rng, (uint64_t)n);
                r[i] = (int64_t)mls_rng_below(rng, (uint64_t)ke);
                t[i] = mls_rng_uniform(rng);
        }
        /* Search only the distinct bases: at most nsyn of them, often far fewer than n. */
        slot = mls_calloc((size_t)n, sizeof(*slot));
        for (int64_t i = 0; i < nsyn; i++)
                slot[b[i]] = 1;
        qs = mls_calloc((size_t)(nsyn < n ? nsyn : n), sizeof(*qs));
        for (int64_t j = 0; j < n; j++)
                if (slot[j]) {
                        slot[j] = nd;
                        qs[nd++] = j;
                }
        nn = mls_calloc((size_t)(nd * ke), sizeof(*nn));
        knn_init(&s, x, n, d, ke, max_abs);
        knn_search(&s, qs, nd, ke, nn);
        knn_fini(&s);
        for (int64_t i = 0; i < nsyn; i++) {
                const double *xb = x + b[i] * d;
                int64_t j = nn[slot[b[i]] * ke + r[i]];
                const double *xj = x + j * d;

                for (int l = 0; l < d; l++) {
                        double lo = xb[l] < xj[l] ? xb[l] : xj[l], hi = xb[l] < xj[l] ? xj[l] : xb[l];
                        double v = xb[l] + t[i] * (xj[l] - xb[l]);

                        /* Rounding can step past an end; clamping keeps unit-cube points in the cube. */
                        out[i * d + l] = v < lo ? lo : v > hi ? hi : v;
                }
                if (base)
                        base[i] = b[i];
                if (nbr)
                        nbr[i] = j;
        }
        free(b);
        free(r);
        free(t);
        free(slot);
        free(qs);
        free(nn);
        return MLS_OK;
}
