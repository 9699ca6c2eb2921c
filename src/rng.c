/* rng.c - xoshiro256** (Blackman and Vigna), seeded through splitmix64. */
#include <config.h>

#include <math.h>

#include "mlscan/rng.h"
#include "mlscan/util.h"

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

void mls_rng_init(struct mls_rng *r, uint64_t seed, uint64_t stream)
{
        /* Mixing the stream number through splitmix keeps nearby seeds and streams unrelated. */
        uint64_t x = seed ^ (0xd1b54a32d192ed03ULL * (stream + 1));

        for (int i = 0; i < 4; i++)
                r->s[i] = splitmix64(&x);
}

uint64_t mls_rng_u64(struct mls_rng *r)
{
        uint64_t *s = r->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

double mls_rng_uniform(struct mls_rng *r)
{
        return (double)(mls_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t mls_rng_below(struct mls_rng *r, uint64_t n)
{
        /* Rejection keeps every value equally likely. */
        uint64_t limit = UINT64_MAX - UINT64_MAX % n, v;

        do
                v = mls_rng_u64(r);
        while (v >= limit);
        return v % n;
}

double mls_rng_normal(struct mls_rng *r)
{
        double u1, u2;

        do
                u1 = mls_rng_uniform(r);
        while (u1 <= 0.0);
        u2 = mls_rng_uniform(r);
        return sqrt(-2.0 * log(u1)) * cos(2.0 * MLS_PI * u2);
}
