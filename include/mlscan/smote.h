/*
 * smote.h - SMOTE (Chawla et al. 2002): synthetic minority points on segments between a
 * minority point and one of its k nearest minority neighbours. Not collective.
 */
#ifndef MLSCAN_SMOTE_H
#define MLSCAN_SMOTE_H

#include <stdint.h>
#include "mlscan/err.h"
#include "mlscan/rng.h"

/*
 * mls_smote - make @nsyn synthetic points from the @n minority points @x[n x d] (unit-cube
 * coordinates, Euclidean distance): for each, a base point drawn uniformly, one of its @k
 * nearest other minority points drawn uniformly, and a uniform position on the segment.
 * Writes @out[nsyn x d]; if @base and @nbr are not NULL, the indices of each synthetic
 * point's two ends. k is reduced to n - 1 when larger. Neighbours are exact (as mls_knn),
 * and only the distinct bases drawn are searched.
 * Reproducible from @rng: three draws per synthetic point, in order, so the same state gives
 * the same output, and a shorter request gives the first points of a longer one. @x is
 * borrowed; @rng is advanced.
 * Errors: n < 2, d < 1, k < 1, nsyn < 0, a non-finite coordinate, or a NULL @x (or @rng or
 * @out when nsyn > 0) return MLS_ERR_INTERNAL, logged, with nothing written and @rng unused.
 * nsyn == 0 returns MLS_OK and writes nothing.
 */
mls_rc mls_smote(const double *x, int64_t n, int d, int k, int64_t nsyn, struct mls_rng *rng, double *out,
                 int64_t *base, int64_t *nbr);

/*
 * mls_knn - the @k nearest neighbours (excluding the point itself) of each of the @nq query
 * points with indices @query[nq] among @x[n x d], nearest first, into @idx[nq x k].
 * Exact: distances are the sum of (x_l - q_l)^2 in index order, ties go to the lower index;
 * other points at distance 0 (duplicates) are neighbours like any other. When k > n - 1 the
 * last k - (n - 1) entries of each row are -1. Queries may repeat.
 * Brute force in blocked SIMD code, O(nq n d) time but near the machine's FMA rate, and
 * O(n d) extra memory; the result does not depend on the SIMD kernel, which the environment
 * variable MLSCAN_KNN_KERNEL=avx512|avx2|generic may choose (for tests and benchmarks).
 * Errors: n < 2, d < 1, k < 1, nq < 0, a query outside [0, n), a non-finite coordinate, or
 * NULL arrays (@query and @idx may be NULL when nq == 0) return MLS_ERR_INTERNAL, logged,
 * with nothing written.
 */
mls_rc mls_knn(const double *x, int64_t n, int d, const int64_t *query, int64_t nq, int k, int64_t *idx);

#endif /* MLSCAN_SMOTE_H */
