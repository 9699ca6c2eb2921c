/*
 * knn_speed.c - mls_knn (src/smote.c) against a naive brute-force search, on n points in
 * d dimensions: uniform in the unit cube, and near a thin shell (radius 0.4 about the
 * cube's centre, radial spread 1% of the radius).
 *
 * Usage: knn_speed [N [D [K]]]          (defaults 100000 40 5)
 * Environment: REPS (3) runs per figure, of which the median is printed; NQ ("1000 10000
 * 100000") query counts; NAIVE_MAX (10000): above this many queries the naive search is
 * timed on its first NAIVE_MAX queries and scaled, since its cost is exactly linear in the
 * queries (marked "*"); KERNELS (every kernel this CPU runs) for the per-kernel lines.
 *
 * The queries are distinct points in random order, as SMOTE's distinct base points are.
 * Both searches use the same points and queries; "same" says whether their neighbour lists
 * agree index for index (on the queries the naive search ran).
 *
 * The concentration line explains why src/smote.c does not use a tree: r_k is the mean
 * distance to the k-th neighbour, r_med the median distance between two points, and
 * sd_vp the standard deviation of the distances from one vantage point. A ball or VP tree
 * can only prune a subtree when distances from a pivot differ by more than about 2 r_k.
 */
#define _POSIX_C_SOURCE 200809L
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "mlscan/rng.h"
#include "mlscan/smote.h"
#include "mlscan/util.h"

#define MAX_RUNS 15

static double median(double *v, int m)
{
        for (int i = 1; i < m; i++)
                for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
                        double t = v[j];

                        v[j] = v[j - 1];
                        v[j - 1] = t;
                }
        return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

static double dist2(const double *a, const double *b, int d)
{
        double s = 0.0;

        for (int l = 0; l < d; l++) {
                double t = a[l] - b[l];

                s += t * t;
        }
        return s;
}

/*
 * naive_knn - the obvious search: every distance, kept in a sorted list of k by insertion.
 * Neighbours beyond n - 1 are -1, ties go to the lower index, as in mls_knn.
 */
static void naive_knn(const double *x, int64_t n, int d, const int64_t *query, int64_t nq, int k,
                      int64_t *idx)
{
        double *bf = mls_calloc((size_t)k, sizeof(*bf));

        for (int64_t q = 0; q < nq; q++) {
                int64_t *bi = idx + q * k;
                int cnt = 0;

                for (int64_t j = 0; j < n; j++) {
                        double f;
                        int c;

                        if (j == query[q])
                                continue;
                        f = dist2(x + query[q] * d, x + j * d, d);
                        if (cnt == k && !(f < bf[k - 1]))
                                continue;
                        c = cnt < k ? cnt++ : k - 1;
                        for (; c > 0 && bf[c - 1] > f; c--) {
                                bf[c] = bf[c - 1];
                                bi[c] = bi[c - 1];
                        }
                        bf[c] = f;
                        bi[c] = j;
                }
                for (int c = cnt; c < k; c++)
                        bi[c] = -1;
        }
        free(bf);
}

static void make_points(const char *kind, double *x, int64_t n, int d, struct mls_rng *rng)
{
        for (int64_t i = 0; i < n; i++) {
                double *p = x + i * d, norm = 0.0, rad;

                if (strcmp(kind, "uniform") == 0) {
                        for (int l = 0; l < d; l++)
                                p[l] = mls_rng_uniform(rng);
                        continue;
                }
                for (int l = 0; l < d; l++) {
                        p[l] = mls_rng_normal(rng);
                        norm += p[l] * p[l];
                }
                rad = 0.4 * (1.0 + 0.01 * mls_rng_normal(rng)) / sqrt(norm);
                for (int l = 0; l < d; l++)
                        p[l] = 0.5 + rad * p[l];
        }
}

static double time_knn(const double *x, int64_t n, int d, const int64_t *q, int64_t nq, int k, int64_t *idx,
                       int reps)
{
        double t[MAX_RUNS];

        for (int r = 0; r < reps; r++) {
                double t0 = mls_now();

                if (mls_knn(x, n, d, q, nq, k, idx) != MLS_OK) {
                        fprintf(stderr, "knn_speed: mls_knn failed\n");
                        exit(EXIT_FAILURE);
                }
                t[r] = mls_now() - t0;
        }
        return median(t, reps);
}

static double time_naive(const double *x, int64_t n, int d, const int64_t *q, int64_t nq, int k, int64_t *idx,
                         int reps)
{
        double t[MAX_RUNS];

        for (int r = 0; r < reps; r++) {
                double t0 = mls_now();

                naive_knn(x, n, d, q, nq, k, idx);
                t[r] = mls_now() - t0;
        }
        return median(t, reps);
}

/* concentration - r_k, r_med and sd_vp (see the top comment) from the first queries. */
static void concentration(const double *x, int64_t n, int d, const int64_t *q, const int64_t *idx, int k,
                          int64_t m, struct mls_rng *rng)
{
        double rk = 0.0, s1 = 0.0, s2 = 0.0, *pair = mls_calloc((size_t)m, sizeof(*pair));

        for (int64_t i = 0; i < m; i++) {
                rk += sqrt(dist2(x + q[i] * d, x + idx[i * k + k - 1] * d, d)) / (double)m;
                pair[i] = sqrt(dist2(x + q[i] * d, x + (int64_t)mls_rng_below(rng, (uint64_t)n) * d, d));
        }
        for (int64_t j = 0; j < n; j++) {
                double r = sqrt(dist2(x, x + j * d, d));

                s1 += r;
                s2 += r * r;
        }
        s1 /= (double)n;
        printf("#   concentration: r_k %.3f  r_med %.3f  r_k/r_med %.2f  sd_vp %.3f  sd_vp/r_k %.2f\n", rk,
               median(pair, (int)m), rk / median(pair, (int)m), sqrt(s2 / (double)n - s1 * s1),
               sqrt(s2 / (double)n - s1 * s1) / rk);
        free(pair);
}

/* print_load - the load averages: the machine is shared, so a busy one explains noisy figures. */
static void print_load(const char *when)
{
        double load[3] = {-1, -1, -1};
        FILE *f = fopen("/proc/loadavg", "r");

        if (f) {
                if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
                        load[0] = -1;
                fclose(f);
        }
        printf("# load at %s: %.2f %.2f %.2f\n", when, load[0], load[1], load[2]);
}

static void header(int64_t n, int d, int k, int reps)
{
        struct utsname u;
        char date[32];

        uname(&u);
        mls_iso_time(date, sizeof(date));
        printf("# knn_speed %s host %s\n", date, u.nodename);
        print_load("start");
        printf("# n %lld  d %d  k %d  median of %d runs  kernel %s\n", (long long)n, d, k, reps,
               getenv("MLSCAN_KNN_KERNEL") ? getenv("MLSCAN_KNN_KERNEL") : "(best)");
}

static int kernel_runs(const char *name)
{
#if defined(__GNUC__) && defined(__x86_64__)
        if (strcmp(name, "avx512") == 0)
                return __builtin_cpu_supports("avx512f");
        if (strcmp(name, "avx2") == 0)
                return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif /* __x86_64__ */
        return strcmp(name, "generic") == 0;
}

/* The benchmark's settings and buffers. */
struct bench {
        int64_t n, nqs[8], nnq, naive_max;
        int d, k, reps;
        double *x;
        int64_t *perm, *fast, *slow;
        const char *kernels;
};

/* each_kernel - time every kernel this CPU runs on @nq queries; @slow holds the naive answer. */
static int each_kernel(struct bench *b, int64_t nq, int64_t ns)
{
        char *list = mls_strdup(b->kernels), *save = NULL;
        int bad = 0;

        for (char *tok = strtok_r(list, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
                double tf;
                int same;

                if (!kernel_runs(tok))
                        continue;
                setenv("MLSCAN_KNN_KERNEL", tok, 1);
                tf = time_knn(b->x, b->n, b->d, b->perm, nq, b->k, b->fast, b->reps);
                same = memcmp(b->fast, b->slow, (size_t)(ns * b->k) * sizeof(*b->fast)) == 0;
                bad += !same;
                printf("%-8s %8lld %8s %10.3f %10s %8s %5s\n", "", (long long)nq, tok, tf, "", "",
                       same ? "yes" : "NO");
                fflush(stdout);
        }
        unsetenv("MLSCAN_KNN_KERNEL");
        free(list);
        return bad;
}

/* smote_time - mls_smote end to end: n synthetic points, about 0.63 n distinct bases. */
static int smote_time(struct bench *b)
{
        double t[MAX_RUNS], *out = mls_calloc((size_t)(b->n * b->d), sizeof(*out));
        struct mls_rng rng;
        int bad = 0;

        for (int r = 0; r < b->reps; r++) {
                double t0 = mls_now();

                mls_rng_init(&rng, 99, 0);
                bad += mls_smote(b->x, b->n, b->d, b->k, b->n, &rng, out, NULL, NULL) != MLS_OK;
                t[r] = mls_now() - t0;
        }
        printf("#   mls_smote nsyn %lld: %.3f s\n", (long long)b->n, median(t, b->reps));
        free(out);
        return bad;
}

/*
 * dataset - every query count on one kind of points. The naive time per query is reused
 * when the next count would time the same first NAIVE_MAX queries again.
 */
static int dataset(struct bench *b, int s, const char *kind)
{
        int64_t last_ns = 0;
        double last_tn = 0.0;
        struct mls_rng rng;
        int bad = 0;

        mls_rng_init(&rng, 12345, (uint64_t)s);
        make_points(kind, b->x, b->n, b->d, &rng);
        for (int64_t i = 0; i < b->n; i++)
                b->perm[i] = i;
        for (int64_t i = b->n - 1; i > 0; i--) {
                int64_t j = (int64_t)mls_rng_below(&rng, (uint64_t)(i + 1)), t = b->perm[i];

                b->perm[i] = b->perm[j];
                b->perm[j] = t;
        }
        for (int64_t c = 0; c < b->nnq; c++) {
                int64_t nq = b->nqs[c], ns = nq < b->naive_max ? nq : b->naive_max;
                double tf = time_knn(b->x, b->n, b->d, b->perm, nq, b->k, b->fast, b->reps), tn;
                int same;

                if (ns != last_ns) {
                        last_tn = time_naive(b->x, b->n, b->d, b->perm, ns, b->k, b->slow, b->reps);
                        last_ns = ns;
                }
                tn = last_tn * (double)nq / (double)ns;
                same = memcmp(b->fast, b->slow, (size_t)(ns * b->k) * sizeof(*b->fast)) == 0;
                bad += !same;
                printf("%-8s %8lld %8s %10.3f %9.3f%s %8.1f %5s\n", kind, (long long)nq, "best", tf, tn,
                       ns < nq ? "*" : " ", tn / tf, same ? "yes" : "NO");
                fflush(stdout);
                if (c == 0)
                        concentration(b->x, b->n, b->d, b->perm, b->slow, b->k, ns < 1000 ? ns : 1000, &rng);
                /* Each kernel on the middle query count of the uniform points. */
                if (s == 0 && c == (b->nnq > 1 ? 1 : 0))
                        bad += each_kernel(b, nq, ns);
        }
        if (s == 0)
                bad += smote_time(b);
        return bad;
}

int main(int argc, char **argv)
{
        struct bench b = {0};
        char *nqlist = mls_strdup(getenv("NQ") ? getenv("NQ") : "1000 10000 100000"), *save = NULL;
        int bad = 0;

        b.n = argc > 1 ? atoll(argv[1]) : 100000;
        b.d = argc > 2 ? atoi(argv[2]) : 40;
        b.k = argc > 3 ? atoi(argv[3]) : 5;
        b.reps = getenv("REPS") ? atoi(getenv("REPS")) : 3;
        b.naive_max = getenv("NAIVE_MAX") ? atoll(getenv("NAIVE_MAX")) : 10000;
        b.kernels = getenv("KERNELS") ? getenv("KERNELS") : "avx512 avx2 generic";
        if (b.n < 2 || b.d < 1 || b.k < 1 || b.reps < 1 || b.reps > MAX_RUNS || b.naive_max < 1) {
                fprintf(stderr, "usage: knn_speed [N>=2 [D>=1 [K>=1]]], 1 <= REPS <= %d, NAIVE_MAX >= 1\n",
                        MAX_RUNS);
                return 2;
        }
        for (char *tok = strtok_r(nqlist, " ,", &save); tok && b.nnq < 8; tok = strtok_r(NULL, " ,", &save)) {
                int64_t v = atoll(tok);

                b.nqs[b.nnq++] = v < 1 ? 1 : v > b.n ? b.n : v;
        }
        if (b.nnq == 0)
                b.nqs[b.nnq++] = b.n;
        header(b.n, b.d, b.k, b.reps);
        b.x = mls_calloc((size_t)(b.n * b.d), sizeof(*b.x));
        b.perm = mls_calloc((size_t)b.n, sizeof(*b.perm));
        b.fast = mls_calloc((size_t)(b.n * b.k), sizeof(*b.fast));
        b.slow = mls_calloc((size_t)(b.n * b.k), sizeof(*b.slow));
        printf("%-8s %8s %8s %10s %10s %8s %5s\n", "data", "nq", "kernel", "fast_s", "naive_s", "ratio",
               "same");
        bad += dataset(&b, 0, "uniform");
        bad += dataset(&b, 1, "shell");
        print_load("end");
        if (b.nqs[b.nnq - 1] > b.naive_max)
                printf("# * naive time measured on the first %lld queries and scaled linearly\n",
                       (long long)b.naive_max);
        free(nqlist);
        free(b.x);
        free(b.perm);
        free(b.fast);
        free(b.slow);
        return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
