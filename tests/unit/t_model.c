/*
 * t_model.c - unit tests of what a worker computes for one point: random streams (rng.h),
 * priors (space.h), loss terms and the capped NLL (likelihood.h), the built-in toy models
 * (physics.h), and, through the evaluator (eval.h), the toy models' good-volume fractions
 * against /work/shared/reference/benchmarks.md.
 *
 * Serial, no MPI: Check forks for each test. Exit status 0 when every test passes, 1 otherwise.
 * Statistical checks use fixed seeds, so they are deterministic; their bounds are 5 sigma,
 * which a correct implementation would miss with probability below 1e-6 for any seed.
 * Every passing Check assertion sends its location to the parent process, so loops over
 * many points count violations and assert once after the loop.
 */
#include <config.h>

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CK_FLOATING_DIG 17 /* print doubles in full when an assertion fails */
#include <check.h>

#include "mlscan/card.h"
#include "mlscan/eval.h"
#include "mlscan/likelihood.h"
#include "mlscan/physics.h"
#include "mlscan/rng.h"
#include "mlscan/rows.h"
#include "mlscan/space.h"
#include "mlscan/util.h"

/* |a - b| <= rel |b|: for values computed through libm, where a few ulp of difference are expected. */
#define ASSERT_REL(a, b, rel)                                                                                \
        do {                                                                                                 \
                double a_ = (a), b_ = (b);                                                                   \
                ck_assert_msg(fabs(a_ - b_) <= (rel)*fabs(b_), "%s = %.17g, expected %.17g (rel %g)", #a,    \
                              a_, b_, (double)(rel));                                                        \
        } while (0)

/* |a - b| <= tol. */
#define ASSERT_ABS(a, b, tol)                                                                                \
        do {                                                                                                 \
                double a_ = (a), b_ = (b);                                                                   \
                ck_assert_msg(fabs(a_ - b_) <= (tol), "%s = %.17g, expected %.17g (abs %g)", #a, a_, b_,     \
                              (double)(tol));                                                                \
        } while (0)

/* An estimate @got of @want with standard error @sigma must lie within @k sigma. */
#define ASSERT_SIGMA(got, want, sigma, k)                                                                    \
        do {                                                                                                 \
                double g_ = (got), w_ = (want), s_ = (sigma);                                                \
                ck_assert_msg(fabs(g_ - w_) <= (k)*s_, "%s = %.8g, expected %.8g +- %d x %.3g", #got, g_,    \
                              w_, (int)(k), s_);                                                             \
        } while (0)

/* worse - the larger of @worst and the deviation @dev, where a NaN deviation counts as the worst. */
static double worse(double worst, double dev)
{
        return dev <= worst ? worst : dev;
}

/* ------------------------------------------------------------------ rng */

START_TEST(rng_reference_vector)
{
        /*
         * The published xoshiro256** outputs for the state {1, 2, 3, 4} (the reference C code's,
         * as used in rand_xoshiro's tests): the generator itself, independent of the seeding.
         */
        static const uint64_t want[10] = {
                11520u,
                0u,
                1509978240u,
                1215971899390074240u,
                1216172134540287360u,
                607988272756665600u,
                16172922978634559625u,
                8476171486693032832u,
                10595114339597558777u,
                2904607092377533576u,
        };
        struct mls_rng r = {{1, 2, 3, 4}};

        for (int i = 0; i < 10; i++)
                ck_assert_uint_eq(mls_rng_u64(&r), want[i]);
}
END_TEST

START_TEST(rng_reproducible)
{
        struct mls_rng a, b, c;

        mls_rng_init(&a, 42, 3);
        mls_rng_init(&b, 42, 3);
        for (int i = 0; i < 1000; i++)
                ck_assert_uint_eq(mls_rng_u64(&a), mls_rng_u64(&b));
        /* The four words are the whole state: a copy (a checkpoint) continues the same sequence. */
        c = a;
        for (int i = 0; i < 1000; i++)
                ck_assert_uint_eq(mls_rng_u64(&a), mls_rng_u64(&c));
}
END_TEST

static int cmp_u64(const void *pa, const void *pb)
{
        uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

        return (a > b) - (a < b);
}

START_TEST(rng_streams_differ)
{
        enum { NS = 16, NU = 100000 };
        uint64_t first[NS * NS];
        struct mls_rng a, b, c;
        double sab = 0.0;

        mls_rng_init(&a, 42, 0);
        mls_rng_init(&b, 42, 1);
        mls_rng_init(&c, 43, 0);
        /* Two equal 64-bit words among 64 pairs would happen by chance with probability 2^-58. */
        for (int i = 0; i < 64; i++) {
                uint64_t va = mls_rng_u64(&a), vb = mls_rng_u64(&b), vc = mls_rng_u64(&c);

                ck_assert_uint_ne(va, vb);
                ck_assert_uint_ne(va, vc);
                ck_assert_uint_ne(vb, vc);
        }
        /* Nearby seeds and streams (the common case: seed 7, streams 0..15) all start differently. */
        for (int s = 0; s < NS; s++)
                for (int t = 0; t < NS; t++) {
                        mls_rng_init(&a, (uint64_t)s, (uint64_t)t);
                        ck_assert_msg(a.s[0] | a.s[1] | a.s[2] | a.s[3], "all-zero state (seed %d stream %d)",
                                      s, t);
                        first[s * NS + t] = mls_rng_u64(&a);
                }
        qsort(first, NS * NS, sizeof(first[0]), cmp_u64);
        for (int i = 1; i < NS * NS; i++)
                ck_assert_uint_ne(first[i - 1], first[i]);
        /*
         * Adjacent streams are uncorrelated: the sample correlation of two independent uniform
         * sequences has standard error 1/sqrt(n); E[(u-1/2)(v-1/2)] / Var(u) is that correlation.
         */
        mls_rng_init(&a, 0, 0);
        mls_rng_init(&b, 0, 1);
        for (int i = 0; i < NU; i++)
                sab += (mls_rng_uniform(&a) - 0.5) * (mls_rng_uniform(&b) - 0.5);
        ASSERT_SIGMA(sab / NU * 12.0, 0.0, 1.0 / sqrt(NU), 5);
}
END_TEST

START_TEST(rng_uniform_moments)
{
        const int n = 1000000;
        struct mls_rng r;
        double sum = 0.0, sum2 = 0.0, mean, var;
        int odd = 0, outside = 0;

        mls_rng_init(&r, 7, 0);
        for (int i = 0; i < n; i++) {
                double u = mls_rng_uniform(&r);

                outside += !(u >= 0.0 && u < 1.0);
                sum += u;
                sum2 += u * u;
                /* u is k 2^-53: the lowest of the 53 bits is a fair coin if all 53 are random. */
                odd += (int)(fmod(ldexp(u, 53), 2.0) != 0.0);
        }
        ck_assert_int_eq(outside, 0);
        mean = sum / n;
        var = sum2 / n - mean * mean;
        /* The mean of n uniforms has sd sqrt(1/12 / n) = 2.9e-4. */
        ASSERT_SIGMA(mean, 0.5, sqrt(1.0 / 12.0 / n), 5);
        /* The sample variance has sd sqrt((mu4 - sigma^4) / n), mu4 = 1/80: sqrt(1/180 / n) = 7.5e-5. */
        ASSERT_SIGMA(var, 1.0 / 12.0, sqrt(1.0 / 180.0 / n), 5);
        ASSERT_SIGMA((double)odd / n, 0.5, sqrt(0.25 / n), 5);
}
END_TEST

START_TEST(rng_below_unbiased)
{
        enum { NB = 10, N = 100000 };
        const uint64_t big = 0xAAAAAAAAAAAAAAAAULL; /* 2/3 of 2^64 */
        int64_t count[NB] = {0};
        struct mls_rng r;
        double chi2 = 0.0, e = (double)N / NB;
        int64_t low = 0, outside = 0;

        mls_rng_init(&r, 11, 2);
        for (int i = 0; i < N; i++) {
                uint64_t v = mls_rng_below(&r, NB);

                if (v < NB)
                        count[v]++;
                else
                        outside++;
        }
        ck_assert_int_eq(outside, 0);
        for (int i = 0; i < NB; i++)
                chi2 += (count[i] - e) * (count[i] - e) / e;
        /* chi-square with 9 degrees of freedom: mean 9, sd 4.2; P(chi2 > 50) is about 1e-7. */
        ck_assert_msg(chi2 < 50.0, "chi2 = %g over %d bins", chi2, NB);

        for (int i = 0; i < 100; i++)
                outside += mls_rng_below(&r, 1) != 0;
        ck_assert_int_eq(outside, 0);
        /*
         * Where modulo bias shows: for n = 2/3 of 2^64, a plain u64 % n lands below n/2 with
         * probability 2/3; an unbiased draw does so with 1/2 (sd 0.0016 over N draws).
         */
        for (int i = 0; i < N; i++) {
                uint64_t v = mls_rng_below(&r, big);

                outside += v >= big;
                low += v < big / 2;
        }
        ck_assert_int_eq(outside, 0);
        ASSERT_SIGMA((double)low / N, 0.5, sqrt(0.25 / N), 5);
}
END_TEST

START_TEST(rng_normal_moments)
{
        const int n = 1000000;
        const double z95 = 1.959963984540054; /* P(|z| > z95) = 0.05 */
        struct mls_rng r;
        double sum = 0.0, sum2 = 0.0, mean, var;
        int tail = 0, nonfinite = 0;

        mls_rng_init(&r, 5, 9);
        for (int i = 0; i < n; i++) {
                double z = mls_rng_normal(&r);

                nonfinite += !isfinite(z);
                sum += z;
                sum2 += z * z;
                tail += fabs(z) > z95;
        }
        ck_assert_int_eq(nonfinite, 0);
        mean = sum / n;
        var = sum2 / n - mean * mean;
        /* sd of the mean 1/sqrt(n); of the sample variance sqrt((mu4 - 1) / n) = sqrt(2 / n). */
        ASSERT_SIGMA(mean, 0.0, 1.0 / sqrt(n), 5);
        ASSERT_SIGMA(var, 1.0, sqrt(2.0 / n), 5);
        /* The shape, not only two moments: a binomial proportion with p = 0.05. */
        ASSERT_SIGMA((double)tail / n, 0.05, sqrt(0.05 * 0.95 / n), 5);
}
END_TEST

/* ------------------------------------------------------------------ priors */

START_TEST(prior_endpoints)
{
        struct mls_param lin = {NULL, -2.0, 6.0, MLS_PRIOR_LINEAR};
        struct mls_param sym = {NULL, -10 * MLS_PI, 10 * MLS_PI, MLS_PRIOR_LINEAR};
        struct mls_param lg = {NULL, 1e-3, 1e3, MLS_PRIOR_LOG};
        struct mls_param lg2 = {NULL, 2.0, 32.0, MLS_PRIOR_LOG};

        /* Linear maps of these ranges are exact in binary floating point. */
        ck_assert_double_eq(mls_prior_to_x(&lin, 0.0), -2.0);
        ck_assert_double_eq(mls_prior_to_x(&lin, 1.0), 6.0);
        ck_assert_double_eq(mls_prior_to_x(&lin, 0.5), 2.0);
        ck_assert_double_eq(mls_prior_to_x(&lin, 0.25), 0.0);
        ck_assert_double_eq(mls_prior_to_x(&sym, 0.0), -10 * MLS_PI);
        ck_assert_double_eq(mls_prior_to_x(&sym, 1.0), 10 * MLS_PI);
        ck_assert_double_eq(mls_prior_to_x(&sym, 0.5), 0.0);
        /* Log maps go through exp and log: relative 1e-14 is about 50 ulp, room for libm. */
        ASSERT_REL(mls_prior_to_x(&lg, 0.0), 1e-3, 1e-14);
        ASSERT_REL(mls_prior_to_x(&lg, 1.0), 1e3, 1e-14);
        ASSERT_REL(mls_prior_to_x(&lg, 0.5), 1.0, 1e-14); /* the geometric mean */
        ASSERT_REL(mls_prior_to_x(&lg, 0.25), pow(10.0, -1.5), 1e-14);
        ASSERT_REL(mls_prior_to_x(&lg2, 0.25), 4.0, 1e-14);
        ASSERT_REL(mls_prior_to_x(&lg2, 0.5), 8.0, 1e-14);
        ASSERT_REL(mls_prior_to_x(&lg2, 0.75), 16.0, 1e-14);
        /* The inverse, and it is not clamped. */
        ASSERT_ABS(mls_prior_to_u(&lin, -2.0), 0.0, 1e-15);
        ASSERT_ABS(mls_prior_to_u(&lin, 6.0), 1.0, 1e-15);
        ASSERT_ABS(mls_prior_to_u(&lin, 14.0), 2.0, 1e-15);
        ASSERT_ABS(mls_prior_to_u(&lin, -10.0), -1.0, 1e-15);
        ASSERT_ABS(mls_prior_to_u(&lg, 1e-3), 0.0, 1e-15);
        ASSERT_ABS(mls_prior_to_u(&lg, 1e3), 1.0, 1e-15);
        ASSERT_ABS(mls_prior_to_u(&lg, 1e9), 2.0, 1e-14);
        ASSERT_ABS(mls_prior_to_u(&lg, 1e-9), -1.0, 1e-14);
}
END_TEST

START_TEST(prior_roundtrip)
{
        static const struct mls_param p[] = {
                {NULL, -10 * MLS_PI, 10 * MLS_PI, MLS_PRIOR_LINEAR},
                {NULL, -5.0, -1.0, MLS_PRIOR_LINEAR},
                {NULL, 0.0, 1e-3, MLS_PRIOR_LINEAR},
                {NULL, 1e-3, 1e3, MLS_PRIOR_LOG},
                {NULL, 1e-10, 1e10, MLS_PRIOR_LOG},
                {NULL, 2.0, 3.0, MLS_PRIOR_LOG},
        };
        const int np = (int)(sizeof(p) / sizeof(p[0])), n = 20000;
        struct mls_rng r;

        mls_rng_init(&r, 3, 0);
        for (int k = 0; k < np; k++) {
                double prev = -INFINITY, worst = 0.0;
                int unordered = 0, outside = 0;

                for (int i = 0; i <= n; i++) {
                        /* a grid (endpoints included, increasing) and a random point per step */
                        double ug = (double)i / n, ur = mls_rng_uniform(&r);
                        double xg = mls_prior_to_x(&p[k], ug), xr = mls_prior_to_x(&p[k], ur);

                        worst = worse(worst, fabs(mls_prior_to_u(&p[k], xg) - ug));
                        worst = worse(worst, fabs(mls_prior_to_u(&p[k], xr) - ur));
                        unordered += !(xg > prev);
                        prev = xg;
                        /* inside [lo, hi] up to rounding of the end points */
                        outside += !(xr >= p[k].lo * (1 - copysign(1e-14, p[k].lo)) &&
                                     xr <= p[k].hi * (1 + copysign(1e-14, p[k].hi)));
                }
                /*
                 * 1e-12 in u: the round trip loses a few ulp of x (or of log x) and divides by
                 * the range, so it is near 1e-15 for these ranges.
                 */
                ck_assert_msg(worst <= 1e-12, "param %d: |u(x(u)) - u| up to %g", k, worst);
                ck_assert_msg(unordered == 0, "param %d: x(u) not increasing at %d grid steps", k, unordered);
                ck_assert_msg(outside == 0, "param %d: %d values outside [lo, hi]", k, outside);
        }
}
END_TEST

START_TEST(space_mixed)
{
        static const struct mls_param p[] = {
                {NULL, 0.0, 10.0, MLS_PRIOR_LINEAR},  {NULL, 1.0, 100.0, MLS_PRIOR_LOG},
                {NULL, -5.0, -1.0, MLS_PRIOR_LINEAR}, {NULL, 1e-6, 1e-2, MLS_PRIOR_LOG},
                {NULL, 1e-6, 1e-2, MLS_PRIOR_LOG},
        };
        const double u[5] = {0.25, 0.5, 1.0, 0.0, 0.75};
        const double want[5] = {2.5, 10.0, -1.0, 1e-6, 1e-3};
        double x[6] = {0, 0, 0, 0, 0, -99.0};

        mls_space_to_x(p, 5, u, x);
        for (int i = 0; i < 5; i++) {
                ck_assert_double_eq(x[i], mls_prior_to_x(&p[i], u[i]));
                ASSERT_REL(x[i], want[i], 1e-14);
        }
        ck_assert_double_eq(x[5], -99.0); /* writes n values, no more */
        mls_space_to_x(p, 0, u, x + 5);
        ck_assert_double_eq(x[5], -99.0);
}
END_TEST

/* ------------------------------------------------------------------ likelihood */

START_TEST(term_values)
{
        struct mls_term gauss = {NULL, 0, MLS_TERM_GAUSS, 3.0, 2.0};
        struct mls_term upper = {NULL, 0, MLS_TERM_UPPER, 10.0, 0.5};
        struct mls_term lower = {NULL, 0, MLS_TERM_LOWER, 10.0, 0.5};
        struct mls_term loglike = {NULL, 0, MLS_TERM_LOGLIKE, 0.0, 0.0};
        struct mls_term nll = {NULL, 0, MLS_TERM_NLL, 0.0, 0.0};
        const double ln1pe = 1.3132616875182228;     /* ln(1 + e) */
        const double ln1pinve = 0.31326168751822286; /* ln(1 + 1/e) */

        ck_assert_str_eq(mls_term_kind_name(MLS_TERM_GAUSS), "gauss");
        ck_assert_str_eq(mls_term_kind_name(MLS_TERM_UPPER), "upper");
        ck_assert_str_eq(mls_term_kind_name(MLS_TERM_LOWER), "lower");
        ck_assert_str_eq(mls_term_kind_name(MLS_TERM_LOGLIKE), "loglike");
        ck_assert_str_eq(mls_term_kind_name(MLS_TERM_NLL), "nll");

        /* (x - m)^2 / (2 s^2): exact for these values */
        ck_assert_double_eq(mls_term_value(&gauss, 7.0), 2.0);
        ck_assert_double_eq(mls_term_value(&gauss, -1.0), 2.0);
        ck_assert_double_eq(mls_term_value(&gauss, 3.0), 0.0);
        ck_assert_double_eq(mls_term_value(&gauss, 4.0), 0.125);
        ck_assert(isnan(mls_term_value(&gauss, NAN)));

        /* ln(1 + exp((x - l)/s)); libm values: relative 1e-15 is a few ulp */
        ASSERT_REL(mls_term_value(&upper, 10.0), log(2.0), 1e-15);
        ASSERT_REL(mls_term_value(&upper, 10.5), ln1pe, 1e-15);
        ASSERT_REL(mls_term_value(&upper, 9.5), ln1pinve, 1e-15);
        for (double z = -40.0; z <= 40.0; z += 0.125) /* exp(z) cannot overflow here */
                ASSERT_REL(mls_term_value(&upper, 10.0 + 0.5 * z), log1p(exp(z)), 1e-14);
        /* huge arguments: no overflow; ln(1 + e^z) = z + ln(1 + e^-z) = z to double precision */
        ASSERT_REL(mls_term_value(&upper, 10.0 + 0.5 * 1000.0), 1000.0, 1e-15);
        ASSERT_REL(mls_term_value(&upper, 0.5e300), 1e300, 1e-15);
        ck_assert(mls_term_value(&upper, 10.0 - 0.5 * 1000.0) >= 0.0);
        ck_assert(mls_term_value(&upper, 10.0 - 0.5 * 1000.0) < 1e-300); /* e^-1000 */

        /* ln(1 + exp((l - x)/s)): the mirror image of upper about the limit */
        ASSERT_REL(mls_term_value(&lower, 10.0), log(2.0), 1e-15);
        ASSERT_REL(mls_term_value(&lower, 9.5), ln1pe, 1e-15);
        ASSERT_REL(mls_term_value(&lower, 10.5), ln1pinve, 1e-15);
        for (double z = -50.0; z <= 50.0; z += 0.125)
                ASSERT_REL(mls_term_value(&lower, 10.0 - 0.5 * z), mls_term_value(&upper, 10.0 + 0.5 * z),
                           1e-15);
        ASSERT_REL(mls_term_value(&lower, 10.0 - 0.5 * 1000.0), 1000.0, 1e-15);
        ASSERT_REL(mls_term_value(&lower, -0.5e300), 1e300, 1e-15);

        ck_assert_double_eq(mls_term_value(&loglike, 2.5), -2.5);
        ck_assert_double_eq(mls_term_value(&loglike, -1e308), 1e308);
        ck_assert_double_eq(mls_term_value(&nll, 2.5), 2.5);
        ck_assert_double_eq(mls_term_value(&nll, -7.0), -7.0);
}
END_TEST

START_TEST(nll_cap)
{
        const double m = MLS_NLL_CAP;
        double prev = -INFINITY, first_bad = NAN;
        int bad = 0;

        /* M = ln(1 + DBL_MAX) + 1 */
        ASSERT_REL(m, log(DBL_MAX) + 1.0, 1e-15);
        ck_assert_double_eq(mls_nll_cap(0.0), 0.0);
        /*
         * Strictly increasing and odd, and strictly inside (-M, M), for |t| <= 5e3: there the step
         * 0.25 changes cap by at least 0.25 e^(-(5e3 - K)/(M - K)) = 5e-7, far above the ulp of M.
         */
        for (double t = -5e3; t <= 5e3; t += 0.25) {
                double c = mls_nll_cap(t);

                if (!(c > prev && mls_nll_cap(-t) == -c && fabs(c) < m)) {
                        if (bad++ == 0)
                                first_bad = t;
                }
                prev = c;
        }
        ck_assert_msg(bad == 0, "%d grid points not increasing, odd and inside (-M, M), first t = %.17g", bad,
                      first_bad);
        /*
         * Over the whole double range: monotonic, odd, finite, never beyond M (in double precision
         * cap(t) rounds to exactly M once t is above about 1.4e4).
         */
        prev = -m;
        for (int k = 300; k >= -300; k--) {
                double c = mls_nll_cap(-pow(10.0, k));

                ck_assert(c >= prev && c < 0.0);
                prev = c;
        }
        for (int k = -300; k <= 300; k++) {
                double t = pow(10.0, k), c = mls_nll_cap(t);

                ck_assert(c >= prev && c > 0.0 && c <= m);
                ck_assert_double_eq(mls_nll_cap(-t), -c);
                prev = c;
        }
        ck_assert_double_eq(mls_nll_cap(DBL_MAX), m);
        /* Below the knee K = M/2 a term is kept exactly: chi-squares read as written. */
        ck_assert_double_eq(mls_nll_cap(1.0), 1.0);
        ck_assert_double_eq(mls_nll_cap(-12.0), -12.0);
        ck_assert_double_eq(mls_nll_cap(1e-300), 1e-300);
        ck_assert_double_eq(mls_nll_cap(MLS_NLL_KNEE), MLS_NLL_KNEE);
        /* Continuous with its slope at the knee. */
        ASSERT_REL(mls_nll_cap(MLS_NLL_KNEE + 1e-6), MLS_NLL_KNEE + 1e-6, 1e-15);
        ASSERT_REL(mls_nll_cap(MLS_NLL_KNEE + 1.0) - MLS_NLL_KNEE, 1.0 - 1.0 / (2 * (m - MLS_NLL_KNEE)),
                   1e-4);
        /* Large t against the closed form, computed the plain way (no cancellation there). */
        ASSERT_REL(mls_nll_cap(1000.0),
                   MLS_NLL_KNEE +
                           (m - MLS_NLL_KNEE) * (1.0 - exp(-(1000.0 - MLS_NLL_KNEE) / (m - MLS_NLL_KNEE))),
                   1e-14);
        ASSERT_REL(mls_nll_cap(5000.0),
                   MLS_NLL_KNEE +
                           (m - MLS_NLL_KNEE) * (1.0 - exp(-(5000.0 - MLS_NLL_KNEE) / (m - MLS_NLL_KNEE))),
                   1e-14);
        /* Non-finite losses: NaN (either sign bit) counts as the worst, infinities saturate. */
        ck_assert_double_eq(mls_nll_cap(NAN), m);
        ck_assert_double_eq(mls_nll_cap(-NAN), m);
        ck_assert_double_eq(mls_nll_cap(INFINITY), m);
        ck_assert_double_eq(mls_nll_cap(-INFINITY), -m);
        /* A gauss term that overflows still gives the cap, not a NaN. */
        {
                struct mls_term g = {NULL, 0, MLS_TERM_GAUSS, 0.0, 1.0};

                ck_assert_double_eq(mls_nll_cap(mls_term_value(&g, 1e200)), m);
        }
}
END_TEST

START_TEST(likelihood_eval)
{
        struct mls_term t[3] = {
                {NULL, 1, MLS_TERM_GAUSS, 1.0, 0.5},   /* obs[1] = 2: raw 2 (obs[0] would give 18) */
                {NULL, 0, MLS_TERM_UPPER, 5.0, 1.0},   /* obs[0] = 4: raw ln(1 + 1/e) */
                {NULL, 2, MLS_TERM_LOGLIKE, 0.0, 0.0}, /* obs[2] = 0.5: raw -0.5 */
        };
        struct mls_card card;
        double obs[3] = {4.0, 2.0, 0.5}, bad[3] = {NAN, NAN, NAN};
        double terms[3], nll, want;
        const double m = MLS_NLL_CAP;

        memset(&card, 0, sizeof(card));
        card.nterms = 3;
        card.terms = t;
        card.nll_below = INFINITY;
        ck_assert(mls_likelihood_eval(&card, MLS_ST_OK, obs, terms, &nll));
        /* each term is the capped raw value of its own observable */
        for (int i = 0; i < 3; i++)
                ck_assert_double_eq(terms[i], mls_nll_cap(mls_term_value(&t[i], obs[t[i].obs_index])));
        /* and the cap changes raw values of order 1 by about t^2 / (2M) < 3e-3 */
        ASSERT_ABS(terms[0], 2.0, 3e-3);
        ASSERT_ABS(terms[1], 0.31326168751822286, 3e-3);
        ASSERT_ABS(terms[2], -0.5, 3e-3);
        want = terms[0] + terms[1] + terms[2];
        ck_assert_double_eq(nll, want);

        /* good means strictly below nll_below */
        card.nll_below = want;
        ck_assert(!mls_likelihood_eval(&card, MLS_ST_OK, obs, terms, &nll));
        ck_assert_double_eq(nll, want);
        card.nll_below = nextafter(want, INFINITY);
        ck_assert(mls_likelihood_eval(&card, MLS_ST_OK, obs, terms, &nll));
        card.nll_below = nextafter(want, -INFINITY);
        ck_assert(!mls_likelihood_eval(&card, MLS_ST_OK, obs, terms, &nll));

        /* A NaN observable on an ok point costs M for its term only. */
        obs[2] = NAN;
        card.nll_below = INFINITY;
        ck_assert(mls_likelihood_eval(&card, MLS_ST_OK, obs, terms, &nll));
        ck_assert_double_eq(terms[2], m);
        ck_assert_double_eq(nll, terms[0] + terms[1] + m);

        /*
         * Any other status: M for every term, whatever the observables (finite ones here, which
         * would give small terms on an ok point), and never good.
         */
        obs[2] = 0.5;
        for (int st = MLS_ST_OK + 1; st < MLS_ST_COUNT; st++) {
                const double *in[2] = {obs, bad};

                for (int k = 0; k < 2; k++) {
                        terms[0] = terms[1] = terms[2] = 0.0;
                        ck_assert(!mls_likelihood_eval(&card, st, in[k], terms, &nll));
                        for (int i = 0; i < 3; i++)
                                ck_assert_double_eq(terms[i], m);
                        ASSERT_REL(nll, 3 * m, 1e-15);
                }
        }

        /* No terms: the NLL is 0. */
        card.nterms = 0;
        card.nll_below = 0.0;
        ck_assert(!mls_likelihood_eval(&card, MLS_ST_OK, obs, terms, &nll));
        ck_assert_double_eq(nll, 0.0);
        card.nll_below = 1.0;
        ck_assert(mls_likelihood_eval(&card, MLS_ST_OK, obs, terms, &nll));
}
END_TEST

/* ------------------------------------------------------------------ built-in models */

/* eval_obs0 - run model @name at @x[d]; the point must be ok; returns its first observable. */
static double eval_obs0(const char *name, const double *x, int d)
{
        const struct mls_builtin *b = mls_builtin_get(mls_builtin_find(name));
        double obs[4] = {NAN, NAN, NAN, NAN};

        ck_assert_msg(b != NULL, "no built-in model %s", name);
        ck_assert_int_eq(b->eval(x, d, obs), MLS_ST_OK);
        return obs[0];
}

START_TEST(builtin_table)
{
        static const struct {
                const char *name;
                int dim, min_dim;
                const char *obs;
        } want[] = {
                {"shell3d", 3, 3, "F"},
                {"f2d", 2, 2, "F"},
                {"shellnd", 0, 1, "F"},
                {"gaussian_shells", 0, 1, "lnL"},
        };
        int n = mls_builtin_count();

        ck_assert_int_ge(n, 4);
        for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
                int i = mls_builtin_find(want[k].name);
                const struct mls_builtin *b = mls_builtin_get(i);

                ck_assert_int_ge(i, 0);
                ck_assert_ptr_nonnull(b);
                ck_assert_str_eq(b->name, want[k].name);
                ck_assert_int_eq(b->dim, want[k].dim);
                ck_assert_int_eq(b->min_dim, want[k].min_dim);
                ck_assert_int_eq(b->nobs, 1);
                ck_assert_str_eq(b->obs_names[0], want[k].obs);
        }
        /* every entry is complete and found under its own name (names are unique) */
        for (int i = 0; i < n; i++) {
                const struct mls_builtin *b = mls_builtin_get(i);

                ck_assert_ptr_nonnull(b);
                ck_assert_ptr_nonnull(b->eval);
                ck_assert_ptr_nonnull(b->summary);
                ck_assert_int_ge(b->nobs, 1);
                ck_assert_int_eq(mls_builtin_find(b->name), i);
        }
        ck_assert_int_eq(mls_builtin_find("nope"), -1);
        ck_assert_int_eq(mls_builtin_find(""), -1);
        ck_assert_int_eq(mls_builtin_find("shell"), -1); /* no prefix match */
        ck_assert_int_eq(mls_builtin_find("shell3d "), -1);
        ck_assert_ptr_null(mls_builtin_get(-1));
        ck_assert_ptr_null(mls_builtin_get(n));

        ck_assert_str_eq(mls_status_name(MLS_ST_OK), "ok");
        ck_assert_str_eq(mls_status_name(MLS_ST_INVALID), "invalid");
        ck_assert_str_eq(mls_status_name(MLS_ST_NONFINITE), "nonfinite");
        ck_assert_str_eq(mls_status_name(MLS_ST_INTERRUPTED), "interrupted");
        ck_assert_str_eq(mls_status_name(-2), "unknown");
        ck_assert_str_eq(mls_status_name(MLS_ST_COUNT), "unknown");
        for (int a = 0; a < MLS_ST_COUNT; a++)
                for (int b = a + 1; b < MLS_ST_COUNT; b++)
                        ck_assert_str_ne(mls_status_name(a), mls_status_name(b));
}
END_TEST

START_TEST(builtin_shell_values)
{
        const double p7 = 7 * MLS_PI;
        double x[40] = {0};
        struct mls_rng r;

        /*
         * cos of a multiple of pi that is itself rounded is within 1e-16 of +-1 or 0, so F is within
         * ~1e-15 relative of the exact value; 1e-12 leaves room for pow.
         */
        ASSERT_REL(eval_obs0("shell3d", x, 3), 243.0, 1e-12);
        /* the 12 other shell centres: two coordinates +-7 pi, the third 0 */
        for (int zero = 0; zero < 3; zero++)
                for (int sa = -1; sa <= 1; sa += 2)
                        for (int sb = -1; sb <= 1; sb += 2) {
                                int ia = (zero + 1) % 3, ib = (zero + 2) % 3;

                                x[zero] = 0.0;
                                x[ia] = sa * p7;
                                x[ib] = sb * p7;
                                ASSERT_REL(eval_obs0("shell3d", x, 3), 243.0, 1e-12);
                        }
        x[0] = p7 / 2, x[1] = 0.0, x[2] = 0.0;
        ASSERT_REL(eval_obs0("shell3d", x, 3), 32.0, 1e-12);
        x[0] = p7; /* cos = -1: the minimum */
        ASSERT_REL(eval_obs0("shell3d", x, 3), 1.0, 1e-12);
        x[0] = 1.0, x[1] = 2.0, x[2] = -3.0;
        ASSERT_REL(eval_obs0("shell3d", x, 3), pow(2.0 + cos(1.0 / 7) * cos(2.0 / 7) * cos(3.0 / 7), 5),
                   1e-14);

        memset(x, 0, sizeof(x));
        ASSERT_REL(eval_obs0("f2d", x, 2), 243.0, 1e-12);
        x[0] = 5 * MLS_PI;
        ASSERT_REL(eval_obs0("f2d", x, 2), 1.0, 1e-12);
        x[1] = p7;
        ASSERT_REL(eval_obs0("f2d", x, 2), 243.0, 1e-12);
        x[0] = 0.0;
        ASSERT_REL(eval_obs0("f2d", x, 2), 1.0, 1e-12);
        x[0] = 2.5 * MLS_PI, x[1] = 0.0;
        ASSERT_REL(eval_obs0("f2d", x, 2), 32.0, 1e-12);

        memset(x, 0, sizeof(x));
        ASSERT_REL(eval_obs0("shellnd", x, 1), 243.0, 1e-12);
        ASSERT_REL(eval_obs0("shellnd", x, 5), 243.0, 1e-12);
        ASSERT_REL(eval_obs0("shellnd", x, 20), 243.0, 1e-12);
        ASSERT_REL(eval_obs0("shellnd", x, 40), 243.0, 1e-12);
        x[19] = p7;
        ASSERT_REL(eval_obs0("shellnd", x, 20), 1.0, 1e-12);
        ASSERT_REL(eval_obs0("shellnd", x, 19), 243.0, 1e-12); /* reads only d values */
        x[3] = p7;
        ASSERT_REL(eval_obs0("shellnd", x, 20), 243.0, 1e-12);

        /* shellnd in 3 dimensions is shell3d, and F stays in [1, 243] */
        mls_rng_init(&r, 1, 0);
        for (int i = 0; i < 1000; i++) {
                double f;

                for (int j = 0; j < 3; j++)
                        x[j] = (2 * mls_rng_uniform(&r) - 1) * 10 * MLS_PI;
                f = eval_obs0("shell3d", x, 3);
                ASSERT_REL(eval_obs0("shellnd", x, 3), f, 1e-15);
                ck_assert(f >= 1.0 - 1e-12 && f <= 243.0 + 1e-12);
        }
}
END_TEST

/* naive_lnl - the Gaussian shells' lnL straight from the definition (underflows far away). */
static double naive_lnl(const double *x, int d)
{
        const double r = 2.0, w = 0.1;
        double l = 0.0;

        for (int c = -1; c <= 1; c += 2) {
                double s = 0.0;

                for (int i = 0; i < d; i++)
                        s += (x[i] - (i == 0 ? 3.5 * c : 0.0)) * (x[i] - (i == 0 ? 3.5 * c : 0.0));
                l += exp(-(sqrt(s) - r) * (sqrt(s) - r) / (2 * w * w)) / sqrt(2 * MLS_PI * w * w);
        }
        return log(l);
}

START_TEST(builtin_gaussian_shells)
{
        const double norm = -0.5 * log(2 * MLS_PI * 0.01); /* ln of the peak density: 1.38365 */
        const struct mls_builtin *b = mls_builtin_get(mls_builtin_find("gaussian_shells"));
        double x[40] = {0}, worst = 0.0;
        struct mls_rng r;
        int checked = 0, notok = 0;

        /* On the right shell, 7 from the left one: the left one adds ln(1 + e^-2450) = 0. */
        x[0] = 5.5;
        ASSERT_REL(eval_obs0("gaussian_shells", x, 2), norm + log1p(exp(-49.0 / 0.02)), 1e-13);
        ASSERT_ABS(eval_obs0("gaussian_shells", x, 2), 1.3836, 1e-4);
        x[0] = -5.5;
        ASSERT_REL(eval_obs0("gaussian_shells", x, 2), norm, 1e-13);
        x[0] = 1.5;
        ASSERT_REL(eval_obs0("gaussian_shells", x, 2), norm, 1e-13);
        /* on the shell off the axis, in 5 dimensions: |(0, 2, 0, 0, 0)| = 2 */
        x[0] = 3.5, x[1] = 2.0;
        ASSERT_REL(eval_obs0("gaussian_shells", x, 5), norm, 1e-13);
        /* half way: both shells 1.5 away, each contributes e^-112.5 */
        x[0] = 0.0, x[1] = 0.0;
        ASSERT_REL(eval_obs0("gaussian_shells", x, 2), norm - 112.5 + log(2.0), 1e-13);
        /* 1.0 from one shell and 6.0 from the other */
        x[0] = 6.5;
        ASSERT_REL(eval_obs0("gaussian_shells", x, 1), norm - 50.0 + log1p(exp(-3200.0 + 50.0)), 1e-13);

        /* Far away (a prior corner): very negative, finite, where the naive sum is exp(-1012) = 0. */
        x[0] = 6.0, x[1] = 6.0;
        ck_assert(isinf(naive_lnl(x, 2)));
        ASSERT_REL(eval_obs0("gaussian_shells", x, 2), norm - 4.5 * 4.5 / 0.02, 1e-13);
        for (int i = 0; i < 40; i++)
                x[i] = -6.0;
        ck_assert(isfinite(eval_obs0("gaussian_shells", x, 40)));
        ck_assert(eval_obs0("gaussian_shells", x, 40) < -60000.0);

        /* Against the definition, wherever that does not underflow (lnL > -700). */
        mls_rng_init(&r, 2, 0);
        ck_assert_ptr_nonnull(b);
        for (int i = 0; i < 20000; i++) {
                double want, got = NAN;

                x[0] = 12 * mls_rng_uniform(&r) - 6;
                x[1] = 12 * mls_rng_uniform(&r) - 6;
                want = naive_lnl(x, 2);
                notok += b->eval(x, 2, &got) != MLS_ST_OK;
                if (want < -700.0)
                        continue;
                checked++;
                worst = worse(worst, fabs(got - want));
        }
        ck_assert_int_eq(notok, 0);
        ck_assert_int_gt(checked, 1000);
        /* absolute, as lnL crosses zero: each path loses a few ulp of numbers below ~700 */
        ck_assert_msg(worst <= 1e-11, "lnL differs from the definition by up to %g", worst);
}
END_TEST

/* ------------------------------------------------------------------ volume fractions */

/* What the evaluator's rows got wrong over a scan, against F computed here from its definition. */
struct volume_tally {
        int64_t good;      /* rows marked good */
        int64_t near;      /* rows whose good flag differs from L > lcut inside the cap's band */
        int64_t far;       /* ... outside it: always wrong */
        int64_t first_far; /* index of the first such row, or -1 */
        int64_t bad_row;   /* status not ok, u not passed through, terms or nll not as documented */
        double dx, df;     /* worst |x - x_ref| and |F - F_ref| / F_ref */
};

/*
 * volume_row - check one row of a scan of F = [2 + prod cos(x_i / @scale_i)]^5 on
 * [-10 pi, 10 pi]^d with one gauss @term (mean 100, sigma 20) and nll_below @cut.
 */
static void volume_row(struct volume_tally *v, const struct mls_row *row, const double *u, int d,
                       const double *scale, const struct mls_term *term, double cut, int64_t i)
{
        double prod = 1.0, f, t;

        for (int j = 0; j < d; j++) {
                double xj = -10 * MLS_PI + u[j] * 20 * MLS_PI;

                v->dx = worse(v->dx, fabs(row->x[j] - xj));
                prod *= cos(xj / scale[j]);
        }
        f = pow(2.0 + prod, 5);
        t = (f - 100.0) * (f - 100.0) / 800.0;
        v->df = worse(v->df, fabs(row->obs[0] - f) / f);
        v->bad_row += row->status != MLS_ST_OK || row->u != u || row->seconds < 0.0 ||
                      row->terms[0] != mls_nll_cap(mls_term_value(term, row->obs[0])) ||
                      row->nll != row->terms[0];
        /*
         * The rule applies to the capped NLL, which lies t^2/(2M) below t (8e-6 at the cut for
         * L > 0.9, 3.4e-4 for L > 0.5): only rows in that band may disagree with t < cut. The band
         * is taken twice as wide, plus 1e-9 for rounding of F.
         */
        if ((t < cut) != row->good) {
                if (fabs(t - cut) <= cut * cut / MLS_NLL_CAP + 1e-9) {
                        v->near++;
                } else if (v->far++ == 0) {
                        v->first_far = i;
                }
        }
        v->good += row->good;
}

/*
 * good_fraction - scan @n uniform points (stream @stream) through the real evaluator for a
 * card with model @name on [-10 pi, 10 pi]^d, one gauss term on F (mean 100, sigma 20) and
 * good meaning L > @lcut, i.e. nll_below = -ln(lcut); check each row (volume_row) and
 * return the good fraction.
 */
static double good_fraction(const char *name, const double *scale, int d, double lcut, int n, uint64_t stream)
{
        struct mls_param params[3];
        struct mls_term term = {NULL, 0, MLS_TERM_GAUSS, 100.0, 20.0};
        struct mls_card card;
        struct mls_evaluator ev;
        struct mls_row row;
        struct mls_obs obs = {.name = "L", .kind = MLS_OBS_BUILTIN};
        struct mls_rng r;
        struct volume_tally v = {0, 0, 0, -1, 0, 0.0, 0.0};
        double u[3];

        memset(&card, 0, sizeof(card));
        for (int j = 0; j < d; j++)
                params[j] = (struct mls_param){NULL, -10 * MLS_PI, 10 * MLS_PI, MLS_PRIOR_LINEAR};
        card.nparams = d;
        card.params = params;
        card.builtin = mls_builtin_find(name);
        ck_assert_int_ge(card.builtin, 0);
        card.nobs = 1;
        card.obs = &obs;
        card.nterms = 1;
        card.terms = &term;
        card.nll_below = -log(lcut);
        {
                char err[256];

                ck_assert_int_eq(mls_evaluator_init(&ev, &card, 0, err, sizeof(err)), MLS_OK);
        }
        ck_assert_int_eq(ev.d, d);
        ck_assert_int_eq(ev.m, 1);
        ck_assert_int_eq(ev.k, 1);
        mls_rng_init(&r, 2024, stream);
        for (int64_t i = 0; i < n; i++) {
                for (int j = 0; j < d; j++)
                        u[j] = mls_rng_uniform(&r);
                memset(&row, 0, sizeof(row));
                mls_evaluate(&ev, 0, u, &row);
                volume_row(&v, &row, u, d, scale, &term, card.nll_below, i);
        }
        mls_evaluator_fini(&ev);
        ck_assert_ptr_null(ev.x);
        ck_assert_int_eq(v.bad_row, 0);
        /* x: a few ulp of 31. F: |dF/dx| <= 5 * 3^4 / 5 = 81, so 1e-13 in x moves F (>= 1) by < 1e-11. */
        ck_assert_msg(v.dx <= 1e-13, "x differs from lo + u (hi - lo) by up to %g", v.dx);
        ck_assert_msg(v.df <= 1e-10, "F differs from its definition by up to %g relative", v.df);
        ck_assert_msg(v.far == 0, "%" PRId64 " rows have the wrong good flag, the first is row %" PRId64,
                      v.far, v.first_far);
        /* The band holds ~1e-5 of the volume; many more disagreements would bias the fraction. */
        ck_assert_int_lt(v.near, n / 1000);
        return (double)v.good / n;
}

/*
 * check_fraction - @got from @n points against the table's @want. The tolerance is 5 sigma of
 * the difference of two binomial proportions (ours over n, the table's over its 4e6 Monte
 * Carlo points), plus half the table's last digit (0.005 % = 5e-5).
 */
static void check_fraction(double got, double want, int n)
{
        double sigma = sqrt(want * (1.0 - want) * (1.0 / n + 1.0 / 4e6));

        ck_assert_msg(fabs(got - want) <= 5 * sigma + 5e-5,
                      "good fraction %.5f %%, benchmarks.md %.2f %% (tolerance %.4f %%)", 100 * got,
                      100 * want, 100 * (5 * sigma + 5e-5));
}

enum { VOLUME_N = 1000000 };

START_TEST(volume_shell3d_l09)
{
        static const double s[3] = {7.0, 7.0, 7.0};

        check_fraction(good_fraction("shell3d", s, 3, 0.9, VOLUME_N, 0), 0.0332, VOLUME_N);
}
END_TEST

START_TEST(volume_shell3d_l05)
{
        static const double s[3] = {7.0, 7.0, 7.0};

        check_fraction(good_fraction("shell3d", s, 3, 0.5, VOLUME_N, 1), 0.0894, VOLUME_N);
}
END_TEST

START_TEST(volume_f2d_l09)
{
        static const double s[2] = {5.0, 7.0};

        check_fraction(good_fraction("f2d", s, 2, 0.9, VOLUME_N, 2), 0.0421, VOLUME_N);
}
END_TEST

/*
 * The evaluator's non-finite check. The shipped cards cannot reach it, but the Gaussian
 * shells overflow |x - c|^2 for |x| > 1e154 and their log-sum-exp then computes
 * -inf - (-inf) = NaN, so a wide enough prior does.
 */
START_TEST(eval_nonfinite)
{
        struct mls_param params[2] = {
                {NULL, -1e300, 1e300, MLS_PRIOR_LINEAR},
                {NULL, -1e300, 1e300, MLS_PRIOR_LINEAR},
        };
        struct mls_term term = {NULL, 0, MLS_TERM_LOGLIKE, 0.0, 0.0};
        struct mls_card card;
        struct mls_evaluator ev;
        struct mls_row row;
        struct mls_obs obs = {.name = "logL", .kind = MLS_OBS_BUILTIN};
        const double far[2] = {1.0, 1.0}, mid[2] = {0.5, 0.5};

        memset(&card, 0, sizeof(card));
        card.nparams = 2;
        card.params = params;
        card.builtin = mls_builtin_find("gaussian_shells");
        card.nobs = 1;
        card.obs = &obs;
        card.nterms = 1;
        card.terms = &term;
        card.nll_below = INFINITY;
        ck_assert_int_ge(card.builtin, 0);
        {
                char err[256];

                ck_assert_int_eq(mls_evaluator_init(&ev, &card, 0, err, sizeof(err)), MLS_OK);
        }
        mls_evaluate(&ev, 0, far, &row);
        ck_assert(!isfinite(row.obs[0]));
        ck_assert_int_eq(row.status, MLS_ST_NONFINITE);
        ck_assert_double_eq(row.terms[0], MLS_NLL_CAP);
        ck_assert_double_eq(row.nll, MLS_NLL_CAP);
        ck_assert(!row.good);
        /* the evaluator keeps no state from a failed point: the centre is ok again */
        mls_evaluate(&ev, 0, mid, &row);
        ck_assert_int_eq(row.status, MLS_ST_OK);
        ck_assert_double_eq(row.x[0], 0.0);
        ck_assert(row.good);
        mls_evaluator_fini(&ev);
}
END_TEST

/* ------------------------------------------------------------------ runner */

static Suite *model_suite(void)
{
        Suite *s = suite_create("model");
        TCase *tc;

        tc = tcase_create("rng");
        tcase_add_test(tc, rng_reference_vector);
        tcase_add_test(tc, rng_reproducible);
        tcase_add_test(tc, rng_streams_differ);
        tcase_add_test(tc, rng_uniform_moments);
        tcase_add_test(tc, rng_below_unbiased);
        tcase_add_test(tc, rng_normal_moments);
        suite_add_tcase(s, tc);

        tc = tcase_create("prior");
        tcase_add_test(tc, prior_endpoints);
        tcase_add_test(tc, prior_roundtrip);
        tcase_add_test(tc, space_mixed);
        suite_add_tcase(s, tc);

        tc = tcase_create("likelihood");
        tcase_add_test(tc, term_values);
        tcase_add_test(tc, nll_cap);
        tcase_add_test(tc, likelihood_eval);
        suite_add_tcase(s, tc);

        tc = tcase_create("builtin");
        tcase_add_test(tc, builtin_table);
        tcase_add_test(tc, builtin_shell_values);
        tcase_add_test(tc, builtin_gaussian_shells);
        suite_add_tcase(s, tc);

        /* Each volume test takes ~0.3 s; the limit leaves room for sanitizer builds. */
        tc = tcase_create("volume");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, volume_shell3d_l09);
        tcase_add_test(tc, volume_shell3d_l05);
        tcase_add_test(tc, volume_f2d_l09);
        tcase_add_test(tc, eval_nonfinite);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(model_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
