/* dataset.c - rank 0's record of every point, indexed by id. */
#include <config.h>

#include <string.h>

#include "mlscan/dataset.h"
#include "mlscan/rows.h"
#include "mlscan/util.h"

void mls_dataset_init(struct mls_dataset *ds, int d, int m)
{
        memset(ds, 0, sizeof(*ds));
        ds->d = d;
        ds->m = m;
}

void mls_dataset_fini(struct mls_dataset *ds)
{
        mls_free(&ds->u);
        mls_free(&ds->origin);
        mls_free(&ds->generation);
        mls_free(&ds->done);
        mls_free(&ds->status);
        mls_free(&ds->good);
        mls_free(&ds->nll);
        mls_free(&ds->obs);
        memset(ds, 0, sizeof(*ds));
}

static void dataset_grow(struct mls_dataset *ds)
{
        size_t cap = ds->cap ? 2 * (size_t)ds->cap : 1024;

        ds->u = mls_realloc(ds->u, cap * (size_t)ds->d, sizeof(double));
        ds->origin = mls_realloc(ds->origin, cap, sizeof(*ds->origin));
        ds->generation = mls_realloc(ds->generation, cap, sizeof(*ds->generation));
        ds->done = mls_realloc(ds->done, cap, sizeof(*ds->done));
        ds->status = mls_realloc(ds->status, cap, sizeof(*ds->status));
        ds->good = mls_realloc(ds->good, cap, sizeof(*ds->good));
        ds->nll = mls_realloc(ds->nll, cap, sizeof(*ds->nll));
        ds->obs = mls_realloc(ds->obs, cap * (size_t)ds->m, sizeof(double));
        ds->cap = (int64_t)cap;
}

int64_t mls_dataset_propose(struct mls_dataset *ds, const double *u, int origin, int32_t generation)
{
        int64_t id = ds->n;

        if (ds->n == ds->cap)
                dataset_grow(ds);
        memcpy(ds->u + id * ds->d, u, (size_t)ds->d * sizeof(double));
        ds->origin[id] = (int8_t)origin;
        ds->generation[id] = generation;
        ds->done[id] = 0;
        ds->status[id] = 0;
        ds->good[id] = 0;
        ds->nll[id] = 0.0;
        ds->n++;
        return id;
}

bool mls_dataset_record(struct mls_dataset *ds, int64_t id, int status, double nll, bool good,
                        const double *obs)
{
        if (id < 0 || id >= ds->n || ds->done[id])
                return false;
        ds->done[id] = 1;
        ds->status[id] = (int8_t)status;
        ds->nll[id] = nll;
        ds->good[id] = good;
        memcpy(ds->obs + id * ds->m, obs, (size_t)ds->m * sizeof(double));
        ds->n_done++;
        ds->n_good += good;
        return true;
}

int64_t mls_dataset_seed(struct mls_dataset *ds, const double *u, int status, double nll, bool good,
                         const double *obs)
{
        int64_t id = mls_dataset_propose(ds, u, MLS_ORIGIN_SEED, -1);

        mls_dataset_record(ds, id, status, nll, good, obs);
        ds->n_seed++;
        ds->n_seed_good += good;
        return id;
}
