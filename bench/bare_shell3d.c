/*
 * bare_shell3d.c - the baseline for bench/random_rate.sh: the shell3d random scan's
 * arithmetic with nothing around it (no MPI, no HDF5, no dataset, no rows kept).
 *
 * Per point, the same work as mlscan's evaluation of share/examples/shell3d.yaml:
 *   u ~ U[0,1)^3 from xoshiro256** seeded through splitmix64 (as src/rng.c, seed 7,
 *   stream 0, so the points are the ones a 1-rank mlscan run draws), x = lo + u (hi - lo)
 *   on [-10 pi, 10 pi]^3, F = [2 + cos(x1/7) cos(x2/7) cos(x3/7)]^5,
 *   nll = cap(0.5 ((F - 100) / 20)^2) with mlscan's soft cap, good when nll < -ln 0.9.
 *
 * Usage: bare_shell3d N [SEED]
 * Prints "points N good G fraction f loop_seconds s checksum c" on stdout.
 * Build: cc -O2 -o bare_shell3d bare_shell3d.c -lm
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PI        3.14159265358979323846
#define NLL_CAP   710.7827128933840  /* MLS_NLL_CAP */
#define NLL_BELOW 0.1053605156578263 /* -ln 0.9, the card's target.nll_below */

static uint64_t s[4];

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(void)
{
        uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

static double uniform(void)
{
        return (double)(next_u64() >> 11) * 0x1.0p-53;
}

static double nll_cap(double t)
{
        return copysign(NLL_CAP * -expm1(-fabs(t) / NLL_CAP), t);
}

int main(int argc, char **argv)
{
        const double lo = -10.0 * PI, hi = 10.0 * PI;
        long long n, good = 0;
        uint64_t seed = 7, x0;
        struct timespec t0, t1;
        double sum = 0.0;

        if (argc < 2 || (n = atoll(argv[1])) < 0) {
                fprintf(stderr, "usage: %s N [SEED]\n", argv[0]);
                return 2;
        }
        if (argc > 2)
                seed = strtoull(argv[2], NULL, 10);
        x0 = seed ^ 0xd1b54a32d192ed03ULL; /* stream 0, as mls_rng_init(seed, 0) */
        for (int i = 0; i < 4; i++)
                s[i] = splitmix64(&x0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long long i = 0; i < n; i++) {
                double prod = 1.0, f, z, nll;

                for (int j = 0; j < 3; j++)
                        prod *= cos((lo + uniform() * (hi - lo)) / 7.0);
                f = pow(2.0 + prod, 5.0);
                z = (f - 100.0) / 20.0;
                nll = nll_cap(0.5 * z * z);
                good += nll < NLL_BELOW;
                sum += nll;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("points %lld good %lld fraction %.6f loop_seconds %.6f checksum %.10g\n", n, good,
               n ? (double)good / (double)n : 0.0,
               (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec), sum);
        return 0;
}
