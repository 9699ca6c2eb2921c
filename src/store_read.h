/*
 * store_read.h - private to src/seed.c and src/store_read.c: the HDF5 half of mls_seed_read(),
 * kept apart so that only src/store*.c know HDF5. include/ never includes this header.
 */
#ifndef MLSCAN_STORE_READ_H
#define MLSCAN_STORE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include "mlscan/seed.h"

/* mls_store_sniff - true when @path starts with the HDF5 signature (at 0, 512, 1024, ... bytes). */
bool mls_store_sniff(const char *path);

/*
 * mls_store_read_points - the first /points@rows rows of the mlscan output @path into @raw:
 * n, d, m, obs, status as in struct mls_seed, but ->u holds the *physical* values of the card's
 * parameters (in the card's order), not yet checked against the ranges nor mapped to the unit cube.
 * Serial; HDF5's error printing is off during the call. Arguments borrowed; on MLS_OK the arrays
 * of @raw are owned by caller (release with mls_seed_free()). Errors: MLS_ERR_IO when the file
 * cannot be opened, else MLS_ERR_CONFIG; one line "path: message" in @err; @raw left empty.
 */
mls_rc mls_store_read_points(const char *path, const struct mls_card *card, int m,
                             const char *const *obs_names, struct mls_seed *raw, char *err, size_t errlen);

#endif /* MLSCAN_STORE_READ_H */
