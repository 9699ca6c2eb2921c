/* rng.h - seeded, checkpointable random streams (xoshiro256**, seeded by splitmix64). */
#ifndef MLSCAN_RNG_H
#define MLSCAN_RNG_H

#include <stdint.h>

/* Plain data: four words are the whole state, so a checkpoint stores them as they are. */
struct mls_rng {
        uint64_t s[4];
};

/* mls_rng_init - seed @r from @seed and a @stream number (independent streams per use). */
void mls_rng_init(struct mls_rng *r, uint64_t seed, uint64_t stream);
uint64_t mls_rng_u64(struct mls_rng *r);
/* mls_rng_uniform - uniform on [0, 1) with 53 random bits. */
double mls_rng_uniform(struct mls_rng *r);
/* mls_rng_below - uniform integer in [0, n), unbiased; n > 0. */
uint64_t mls_rng_below(struct mls_rng *r, uint64_t n);
/* mls_rng_normal - standard normal deviate. */
double mls_rng_normal(struct mls_rng *r);

#endif /* MLSCAN_RNG_H */
