/*
 * chain.h - the external physics programs of a run card, run for one point at a time in a
 * private scratch directory: input files rendered from templates, the programs run in
 * order (proc.h), then the observables read from their outputs (SLHA, results tables,
 * name-value text). Not collective; one chain per evaluating rank.
 */
#ifndef MLSCAN_CHAIN_H
#define MLSCAN_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include "mlscan/card.h"
#include "mlscan/err.h"

typedef struct mls_chain mls_chain;

/*
 * mls_chain_create - make this rank's scratch directory (mode 0700, unique per run and
 * rank: <scratch>/mlscan-<name>-r<rank>-XXXXXX), copy physics.files into it and compile
 * the templates. @card is borrowed and must outlive the chain. On error MLS_ERR_PHYSICS
 * with one line in @err; on MLS_OK *out is owned by caller (release with mls_chain_destroy()).
 */
mls_rc mls_chain_create(const struct mls_card *card, int rank, mls_chain **out, char *err, size_t errlen);

/*
 * mls_chain_eval - run the chain for point @id with physical parameter values @x; fill the
 * observables the chain reads (the card's non-expr observables, others left alone) into
 * @obs[card->nobs]. Returns an mls_status; when not ok, @why holds "program: reason".
 */
int mls_chain_eval(mls_chain *c, int64_t id, const double *x, double *obs, char *why, size_t len);

/*
 * mls_chain_kept - the bytes of physics.keep[@i] as the last point left it; *len = 0 and
 * NULL when the file was not there. Borrowed until the next mls_chain_eval().
 */
const char *mls_chain_kept(const mls_chain *c, int i, size_t *len);

/* mls_chain_dir - the scratch directory (borrowed). */
const char *mls_chain_dir(const mls_chain *c);

/* mls_chain_destroy - end leftover processes, remove the scratch directory unless
 * physics.keep_scratch. NULL-safe; sets *@c to NULL. */
void mls_chain_destroy(mls_chain **c);

#endif /* MLSCAN_CHAIN_H */
