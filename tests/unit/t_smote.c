/*
 * t_smote.c - unit tests of SMOTE and its exact neighbour search (smote.h).
 *
 * mls_knn is checked index for index against a sort of every distance, on random data, on
 * data full of ties and duplicates, and on data that strains the search's lower bound (far
 * from the origin, where it is loose; so large that it is switched off; underflowing), with
 * each SIMD kernel this CPU runs (MLSCAN_KNN_KERNEL).
 * mls_smote is checked for geometry (segment, neighbour), reproducibility and the uniformity
 * of its draws.
 *
 * Serial, no MPI: Check forks for each test. Exit status 0 when every test passes, 1 otherwise.
 * Statistical checks use fixed seeds; their bounds are exceeded with probability about 1e-6
 * by a correct implementation. Loops count violations and assert once after the loop.
 */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_FLOATING_DIG 17 /* print doubles in full when an assertion fails */
#include <check.h>

#include "mlscan/rng.h"
#include "mlscan/smote.h"
#include "mlscan/util.h"

static const char *const kernel_names[] = {"avx512", "avx2", "generic"};
#define NKERNEL ((int)(sizeof(kernel_names) / sizeof(kernel_names[0])))

static double dist2(const double *a, const double *b, int d)
{
        double s = 0.0;

        for (int l = 0; l < d; l++) {
                double t = a[l] - b[l];

                s += t * t;
        }
        return s;
}

struct cand {
        double f;
        int64_t j;
};

static int cmp_cand(const void *pa, const void *pb)
{
        const struct cand *a = pa, *b = pb;

        if (a->f != b->f)
                return a->f < b->f ? -1 : 1;
        return (a->j > b->j) - (a->j < b->j);
}

/* naive_knn - sort every other point by (distance, index); -1 past the n - 1 others. */
static void naive_knn(const double *x, int64_t n, int d, const int64_t *query, int64_t nq, int k,
                      int64_t *idx)
{
        struct cand *c = mls_calloc((size_t)n, sizeof(*c));

        for (int64_t q = 0; q < nq; q++) {
                int64_t m = 0;

                for (int64_t j = 0; j < n; j++)
                        if (j != query[q])
                                c[m++] = (struct cand){dist2(x + query[q] * d, x + j * d, d), j};
                qsort(c, (size_t)m, sizeof(*c), cmp_cand);
                for (int r = 0; r < k; r++)
                        idx[q * k + r] = r < m ? c[r].j : -1;
        }
        free(c);
}

enum fill { FILL_UNIFORM, FILL_GRID, FILL_DUPS, FILL_FAR, FILL_HUGE, FILL_TINY };

static void fill(double *x, int64_t n, int d, enum fill how, struct mls_rng *r)
{
        for (int64_t i = 0; i < n * d; i++) {
                double u = mls_rng_uniform(r);

                switch (how) {
                case FILL_UNIFORM: x[i] = u; break;
                /* Three levels per coordinate: many exactly equal distances. */
                case FILL_GRID: x[i] = 0.5 * (double)mls_rng_below(r, 3); break;
                case FILL_DUPS: x[i] = u; break;
                /* |x|^2 ~ 1e6 d with distances ~1e-6: the expansion cancels all its digits. */
                case FILL_FAR: x[i] = 1000.0 + 1e-6 * u; break;
                /* |x|^2 overflows, distances do not: the search must fall back to checking every point. */
                case FILL_HUGE: x[i] = 1e154 * (1.0 + 0.01 * u); break;
                /* Squares underflow to subnormals or zero. */
                case FILL_TINY: x[i] = 1e-160 * u; break;
                }
        }
        /* Every point copied to some later slots, some more than once. */
        if (how == FILL_DUPS)
                for (int64_t i = n / 2; i < n; i++)
                        memcpy(x + i * d, x + (int64_t)mls_rng_below(r, (uint64_t)(n / 2)) * d,
                               (size_t)d * sizeof(*x));
}

static bool kernel_runs(const char *name)
{
#if defined(__GNUC__) && defined(__x86_64__)
        if (strcmp(name, "avx512") == 0)
                return __builtin_cpu_supports("avx512f");
        if (strcmp(name, "avx2") == 0)
                return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif /* __x86_64__ */
        return strcmp(name, "generic") == 0;
}

/*
 * check_knn_nq - mls_knn against naive_knn on one data set, for every kernel, with @nq queries:
 * distinct points in a shuffled order, then repeats. Returns the number of disagreeing entries.
 */
static int64_t check_knn_nq(int64_t n, int d, int k, enum fill how, uint64_t seed, int64_t nq)
{
        struct mls_rng r;
        int64_t bad = 0;
        double *x = mls_calloc((size_t)(n * d), sizeof(*x));
        int64_t *q = mls_calloc((size_t)(nq > n ? nq : n), sizeof(*q));
        int64_t *want = mls_calloc((size_t)(nq * k), sizeof(*want));
        int64_t *got = mls_calloc((size_t)(nq * k), sizeof(*got));

        mls_rng_init(&r, seed, (uint64_t)how);
        fill(x, n, d, how, &r);
        for (int64_t i = 0; i < n; i++)
                q[i] = i;
        for (int64_t i = n - 1; i > 0; i--) {
                int64_t j = (int64_t)mls_rng_below(&r, (uint64_t)(i + 1)), t = q[i];

                q[i] = q[j];
                q[j] = t;
        }
        for (int64_t i = n; i < nq; i++)
                q[i] = (int64_t)mls_rng_below(&r, (uint64_t)n);
        naive_knn(x, n, d, q, nq, k, want);
        for (int c = 0; c < NKERNEL; c++) {
                if (!kernel_runs(kernel_names[c]))
                        continue;
                setenv("MLSCAN_KNN_KERNEL", kernel_names[c], 1);
                memset(got, 0x55, (size_t)(nq * k) * sizeof(*got));
                ck_assert_int_eq(mls_knn(x, n, d, q, nq, k, got), MLS_OK);
                for (int64_t i = 0; i < nq * k; i++)
                        bad += got[i] != want[i];
                if (bad)
                        fprintf(stderr, "kernel %s: n %" PRId64 " d %d k %d fill %d: %" PRId64 " wrong\n",
                                kernel_names[c], n, d, k, (int)how, bad);
        }
        unsetenv("MLSCAN_KNN_KERNEL");
        free(x);
        free(q);
        free(want);
        free(got);
        return bad;
}

/* check_knn - as check_knn_nq with every point a query, and a third of them again. */
static int64_t check_knn(int64_t n, int d, int k, enum fill how, uint64_t seed)
{
        return check_knn_nq(n, d, k, how, seed, n + n / 3 + 1);
}

/* ------------------------------------------------------------------ knn */

START_TEST(knn_random)
{
        static const struct {
                int64_t n;
                int d, k;
        } cases[] = {
                {2, 1, 1},   {3, 2, 1},     {17, 3, 4},    {16, 1, 3},  {40, 7, 39},
                {200, 5, 7}, {333, 17, 16}, {1000, 40, 5}, {600, 2, 1}, {250, 41, 30},
        };

        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
                ck_assert_int_eq(check_knn(cases[c].n, cases[c].d, cases[c].k, FILL_UNIFORM, 1 + c), 0);
}
END_TEST

START_TEST(knn_ties)
{
        /* Grid data: in 2 dimensions only 9 distinct points, so the lower index decides nearly everything. */
        ck_assert_int_eq(check_knn(100, 2, 5, FILL_GRID, 3), 0);
        ck_assert_int_eq(check_knn(300, 4, 12, FILL_GRID, 4), 0);
        ck_assert_int_eq(check_knn(500, 40, 5, FILL_GRID, 5), 0);
        ck_assert_int_eq(check_knn(200, 40, 3, FILL_DUPS, 6), 0);
        ck_assert_int_eq(check_knn(64, 3, 63, FILL_DUPS, 7), 0);
}
END_TEST

START_TEST(knn_hard_scales)
{
        ck_assert_int_eq(check_knn(300, 40, 5, FILL_FAR, 8), 0);
        ck_assert_int_eq(check_knn(300, 8, 5, FILL_HUGE, 9), 0);
        ck_assert_int_eq(check_knn(300, 8, 5, FILL_TINY, 10), 0);
}
END_TEST

START_TEST(knn_k_too_large)
{
        /* k >= n - 1: every other point in order, then -1. */
        ck_assert_int_eq(check_knn(5, 3, 4, FILL_UNIFORM, 11), 0);
        ck_assert_int_eq(check_knn(5, 3, 9, FILL_UNIFORM, 12), 0);
        ck_assert_int_eq(check_knn(2, 2, 3, FILL_DUPS, 13), 0);
        /* A large k shrinks the query blocks; on grid data the heaps are full of ties. */
        ck_assert_int_eq(check_knn_nq(2400, 2, 2300, FILL_GRID, 14, 100), 0);

        const double x[] = {0.0, 1.0, 3.0};
        const int64_t q[] = {0, 2};
        int64_t idx[8];

        ck_assert_int_eq(mls_knn(x, 3, 1, q, 2, 4, idx), MLS_OK);
        ck_assert_int_eq(idx[0], 1);
        ck_assert_int_eq(idx[1], 2);
        ck_assert_int_eq(idx[2], -1);
        ck_assert_int_eq(idx[3], -1);
        ck_assert_int_eq(idx[4], 1);
        ck_assert_int_eq(idx[5], 0);
        ck_assert_int_eq(idx[6], -1);
}
END_TEST

START_TEST(knn_errors)
{
        double x[6] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
        int64_t q[2] = {0, 2}, idx[4] = {7, 7, 7, 7};

        ck_assert_int_eq(mls_knn(x, 1, 2, q, 1, 1, idx), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_knn(x, 3, 0, q, 1, 1, idx), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_knn(x, 3, 2, q, 1, 0, idx), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_knn(x, 3, 2, q, -1, 1, idx), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_knn(NULL, 3, 2, q, 1, 1, idx), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_knn(x, 3, 2, NULL, 1, 1, idx), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_knn(x, 3, 2, q, 1, 1, NULL), MLS_ERR_INTERNAL);
        q[1] = 3;
        ck_assert_int_eq(mls_knn(x, 3, 2, q, 2, 1, idx), MLS_ERR_INTERNAL);
        q[1] = -1;
        ck_assert_int_eq(mls_knn(x, 3, 2, q, 2, 1, idx), MLS_ERR_INTERNAL);
        q[1] = 2;
        x[3] = NAN;
        ck_assert_int_eq(mls_knn(x, 3, 2, q, 2, 1, idx), MLS_ERR_INTERNAL);
        x[3] = -INFINITY;
        ck_assert_int_eq(mls_knn(x, 3, 2, q, 2, 1, idx), MLS_ERR_INTERNAL);
        for (int i = 0; i < 4; i++)
                ck_assert_int_eq(idx[i], 7);
        /* No queries is not an error, and writes nothing. */
        x[3] = 0.4;
        ck_assert_int_eq(mls_knn(x, 3, 2, q, 0, 1, idx), MLS_OK);
        ck_assert_int_eq(mls_knn(x, 3, 2, NULL, 0, 1, NULL), MLS_OK);
        ck_assert_int_eq(idx[0], 7);
}
END_TEST

/* ------------------------------------------------------------------ smote */

/*
 * on_segment - out = xb + t (xn - xb) with t in [0, 1], to 1e-12 per coordinate; a point
 * of a zero-length segment must be its end.
 */
static bool on_segment(const double *out, const double *xb, const double *xn, int d)
{
        double num = 0.0, den = 0.0, t;

        for (int l = 0; l < d; l++) {
                num += (out[l] - xb[l]) * (xn[l] - xb[l]);
                den += (xn[l] - xb[l]) * (xn[l] - xb[l]);
        }
        t = den > 0.0 ? num / den : 0.0;
        if (!(t >= -1e-12 && t <= 1.0 + 1e-12))
                return false;
        for (int l = 0; l < d; l++)
                if (!(fabs(out[l] - (xb[l] + t * (xn[l] - xb[l]))) <= 1e-12))
                        return false;
        return true;
}

START_TEST(smote_geometry)
{
        enum { N = 400, D = 6, K = 5, NSYN = 5000 };
        struct mls_rng r;
        double *x = mls_calloc(N * D, sizeof(*x)), *out = mls_calloc(NSYN * D, sizeof(*out));
        int64_t base[NSYN], nbr[NSYN], *nn = mls_calloc(N * K, sizeof(*nn)), q[N];
        int off = 0, notnear = 0, badidx = 0, outside = 0;

        mls_rng_init(&r, 21, 0);
        fill(x, N, D, FILL_DUPS, &r); /* duplicates give zero-length segments too */
        for (int i = 0; i < N; i++)
                q[i] = i;
        naive_knn(x, N, D, q, N, K, nn);
        ck_assert_int_eq(mls_smote(x, N, D, K, NSYN, &r, out, base, nbr), MLS_OK);
        for (int i = 0; i < NSYN; i++) {
                bool found = false;

                if (base[i] < 0 || base[i] >= N || nbr[i] < 0 || nbr[i] >= N || nbr[i] == base[i]) {
                        badidx++;
                        continue;
                }
                for (int c = 0; c < K; c++)
                        found |= nn[base[i] * K + c] == nbr[i];
                notnear += !found;
                off += !on_segment(out + i * D, x + base[i] * D, x + nbr[i] * D, D);
                for (int l = 0; l < D; l++)
                        outside += !(out[i * D + l] >= 0.0 && out[i * D + l] <= 1.0);
        }
        ck_assert_int_eq(badidx, 0);
        ck_assert_int_eq(notnear, 0);
        ck_assert_int_eq(off, 0);
        ck_assert_int_eq(outside, 0);
        free(x);
        free(out);
        free(nn);
}
END_TEST

START_TEST(smote_reproducible)
{
        enum { N = 300, D = 40, K = 4, NSYN = 700 };
        struct mls_rng r, a, b, c;
        double *x = mls_calloc(N * D, sizeof(*x));
        double *o1 = mls_calloc(NSYN * D, sizeof(*o1)), *o2 = mls_calloc(NSYN * D, sizeof(*o2));
        double *o3 = mls_calloc(NSYN * D, sizeof(*o3));
        int64_t b1[NSYN], b2[NSYN], b3[NSYN], n1[NSYN], n2[NSYN], n3[NSYN];
        int differ = 0;

        mls_rng_init(&r, 5, 5);
        fill(x, N, D, FILL_UNIFORM, &r);
        mls_rng_init(&a, 77, 1);
        mls_rng_init(&b, 77, 1);
        mls_rng_init(&c, 78, 1);
        ck_assert_int_eq(mls_smote(x, N, D, K, NSYN, &a, o1, b1, n1), MLS_OK);
        /* Another kernel must not change anything either. */
        setenv("MLSCAN_KNN_KERNEL", "generic", 1);
        ck_assert_int_eq(mls_smote(x, N, D, K, NSYN, &b, o2, b2, n2), MLS_OK);
        unsetenv("MLSCAN_KNN_KERNEL");
        ck_assert_mem_eq(o1, o2, NSYN * D * sizeof(*o1));
        ck_assert_mem_eq(b1, b2, sizeof(b1));
        ck_assert_mem_eq(n1, n2, sizeof(n1));
        ck_assert_mem_eq(a.s, b.s, sizeof(a.s));
        /* A shorter request from the same state gives the first points of a longer one. */
        mls_rng_init(&b, 77, 1);
        ck_assert_int_eq(mls_smote(x, N, D, K, NSYN / 2, &b, o2, b2, n2), MLS_OK);
        ck_assert_mem_eq(o1, o2, NSYN / 2 * D * sizeof(*o1));
        ck_assert_mem_eq(n1, n2, NSYN / 2 * sizeof(*n1));
        /* NULL base and nbr are optional. */
        mls_rng_init(&b, 77, 1);
        ck_assert_int_eq(mls_smote(x, N, D, K, NSYN, &b, o2, NULL, NULL), MLS_OK);
        ck_assert_mem_eq(o1, o2, NSYN * D * sizeof(*o1));
        /* Another seed: the same base for most of 700 points would be a 1/300 coincidence each. */
        ck_assert_int_eq(mls_smote(x, N, D, K, NSYN, &c, o3, b3, n3), MLS_OK);
        for (int i = 0; i < NSYN; i++)
                differ += b1[i] != b3[i];
        ck_assert_int_gt(differ, NSYN * 9 / 10);
        free(x);
        free(o1);
        free(o2);
        free(o3);
}
END_TEST

START_TEST(smote_uniform)
{
        enum { N = 50, D = 3, K = 5, NSYN = 200000 };
        struct mls_rng r;
        double *x = mls_calloc(N * D, sizeof(*x)), *out = mls_calloc((size_t)NSYN * D, sizeof(*out));
        int64_t *base = mls_calloc(NSYN, sizeof(*base)), *nbr = mls_calloc(NSYN, sizeof(*nbr));
        int64_t nn[N * K], q[N], cb[N] = {0}, cr[K] = {0};
        double chib = 0.0, chir = 0.0, tsum = 0.0, e;

        mls_rng_init(&r, 9, 0);
        fill(x, N, D, FILL_UNIFORM, &r); /* no ties, so a neighbour's rank is well defined */
        for (int i = 0; i < N; i++)
                q[i] = i;
        ck_assert_int_eq(mls_knn(x, N, D, q, N, K, nn), MLS_OK);
        ck_assert_int_eq(mls_smote(x, N, D, K, NSYN, &r, out, base, nbr), MLS_OK);
        for (int i = 0; i < NSYN; i++) {
                double num = 0.0, den = 0.0;

                cb[base[i]]++;
                for (int c = 0; c < K; c++)
                        cr[c] += nn[base[i] * K + c] == nbr[i];
                for (int l = 0; l < D; l++) {
                        double v = x[nbr[i] * D + l] - x[base[i] * D + l];

                        num += (out[i * D + l] - x[base[i] * D + l]) * v;
                        den += v * v;
                }
                tsum += num / den;
        }
        e = (double)NSYN / N;
        for (int i = 0; i < N; i++)
                chib += (cb[i] - e) * (cb[i] - e) / e;
        e = (double)NSYN / K;
        for (int c = 0; c < K; c++)
                chir += (cr[c] - e) * (cr[c] - e) / e;
        /* P(chi2 > x) = 1e-6 at x = 111.5 for 49 degrees of freedom, at x = 33.4 for 4. */
        ck_assert_msg(chib < 111.5, "base chi2 = %g over %d points", chib, N);
        ck_assert_msg(chir < 33.4, "neighbour-rank chi2 = %g over %d ranks", chir, K);
        /* The position on the segment is uniform on [0, 1): mean 1/2, sd sqrt(1/12 / NSYN). */
        ck_assert_msg(fabs(tsum / NSYN - 0.5) < 5.0 * sqrt(1.0 / 12.0 / NSYN), "mean t = %g", tsum / NSYN);
        free(x);
        free(out);
        free(base);
        free(nbr);
}
END_TEST

START_TEST(smote_k_too_large)
{
        enum { N = 4, D = 2, NSYN = 400 };
        const double x[N * D] = {0.1, 0.1, 0.9, 0.1, 0.1, 0.9, 0.9, 0.9};
        struct mls_rng r;
        double out[NSYN * D];
        int64_t base[NSYN], nbr[NSYN];
        int seen[N][N] = {{0}}, off = 0;

        mls_rng_init(&r, 3, 0);
        /* k = 10 acts as k = 3: each base pairs with each of the three others. */
        ck_assert_int_eq(mls_smote(x, N, D, 10, NSYN, &r, out, base, nbr), MLS_OK);
        for (int i = 0; i < NSYN; i++) {
                ck_assert(base[i] >= 0 && base[i] < N && nbr[i] >= 0 && nbr[i] < N && base[i] != nbr[i]);
                seen[base[i]][nbr[i]]++;
                off += !on_segment(out + i * D, x + base[i] * D, x + nbr[i] * D, D);
        }
        ck_assert_int_eq(off, 0);
        for (int i = 0; i < N; i++)
                for (int j = 0; j < N; j++)
                        ck_assert(i == j ? seen[i][j] == 0 : seen[i][j] > 0);
        /* The smallest case: two points, each the other's only neighbour. */
        ck_assert_int_eq(mls_smote(x, 2, D, 5, 20, &r, out, base, nbr), MLS_OK);
        for (int i = 0; i < 20; i++)
                ck_assert_int_eq(nbr[i], 1 - base[i]);
}
END_TEST

START_TEST(smote_errors)
{
        const double x[6] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
        double bad[6] = {0.1, 0.2, 0.3, NAN, 0.5, 0.6}, out[8] = {7, 7, 7, 7, 7, 7, 7, 7};
        int64_t base[4] = {7, 7, 7, 7}, nbr[4] = {7, 7, 7, 7};
        struct mls_rng r, r0;

        mls_rng_init(&r, 1, 0);
        r0 = r;
        ck_assert_int_eq(mls_smote(x, 1, 2, 1, 4, &r, out, base, nbr), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_smote(x, 3, 2, 0, 4, &r, out, base, nbr), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_smote(x, 3, 0, 1, 4, &r, out, base, nbr), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_smote(x, 3, 2, 1, -1, &r, out, base, nbr), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_smote(NULL, 3, 2, 1, 4, &r, out, base, nbr), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_smote(x, 3, 2, 1, 4, NULL, out, base, nbr), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_smote(x, 3, 2, 1, 4, &r, NULL, base, nbr), MLS_ERR_INTERNAL);
        ck_assert_int_eq(mls_smote(bad, 3, 2, 1, 4, &r, out, base, nbr), MLS_ERR_INTERNAL);
        /* Nothing written and no random numbers used. */
        for (int i = 0; i < 8; i++)
                ck_assert(out[i] == 7.0);
        for (int i = 0; i < 4; i++)
                ck_assert(base[i] == 7 && nbr[i] == 7);
        ck_assert_mem_eq(r.s, r0.s, sizeof(r.s));
        /* No synthetic points is not an error. */
        ck_assert_int_eq(mls_smote(x, 3, 2, 1, 0, &r, out, base, nbr), MLS_OK);
        ck_assert_int_eq(mls_smote(x, 3, 2, 1, 0, NULL, NULL, NULL, NULL), MLS_OK);
        ck_assert(out[0] == 7.0);
        ck_assert_mem_eq(r.s, r0.s, sizeof(r.s));
}
END_TEST

static Suite *smote_suite(void)
{
        Suite *s = suite_create("smote");
        TCase *tc;

        /* Each test takes well under a second; the limit leaves room for sanitizer builds. */
        tc = tcase_create("knn");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, knn_random);
        tcase_add_test(tc, knn_ties);
        tcase_add_test(tc, knn_hard_scales);
        tcase_add_test(tc, knn_k_too_large);
        tcase_add_test(tc, knn_errors);
        suite_add_tcase(s, tc);

        tc = tcase_create("smote");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, smote_geometry);
        tcase_add_test(tc, smote_reproducible);
        tcase_add_test(tc, smote_uniform);
        tcase_add_test(tc, smote_k_too_large);
        tcase_add_test(tc, smote_errors);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(smote_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
