/* rows.c - the columnar buffer of evaluated points. */
#include <config.h>

#include <string.h>

#include "mlscan/rows.h"
#include "mlscan/util.h"

static const char *const origin_names[MLS_ORIGIN_COUNT] = {"random", "model", "smote", "seed"};

const char *mls_origin_name(int origin)
{
        return origin >= 0 && origin < MLS_ORIGIN_COUNT ? origin_names[origin] : "unknown";
}

void mls_rows_init(struct mls_rows *r, int d, int m, int k, int nkeep)
{
        memset(r, 0, sizeof(*r));
        r->nkeep = nkeep;
        r->d = d;
        r->m = m;
        r->k = k;
}

void mls_rows_fini(struct mls_rows *r)
{
        mls_free(&r->id);
        mls_free(&r->generation);
        mls_free(&r->origin);
        mls_free(&r->worker);
        mls_free(&r->status);
        mls_free(&r->u);
        mls_free(&r->x);
        mls_free(&r->obs);
        mls_free(&r->terms);
        mls_free(&r->nll);
        mls_free(&r->good);
        mls_free(&r->seconds);
        mls_free(&r->error);
        mls_free(&r->kept);
        mls_free(&r->blob);
        r->n = r->cap = r->blob_n = r->blob_cap = 0;
}

static void rows_grow_to(struct mls_rows *r, size_t cap)
{
        r->id = mls_realloc(r->id, cap, sizeof(*r->id));
        r->generation = mls_realloc(r->generation, cap, sizeof(*r->generation));
        r->origin = mls_realloc(r->origin, cap, sizeof(*r->origin));
        r->worker = mls_realloc(r->worker, cap, sizeof(*r->worker));
        r->status = mls_realloc(r->status, cap, sizeof(*r->status));
        r->u = mls_realloc(r->u, cap * (size_t)r->d, sizeof(double));
        r->x = mls_realloc(r->x, cap * (size_t)r->d, sizeof(double));
        r->obs = mls_realloc(r->obs, cap * (size_t)r->m, sizeof(double));
        r->terms = mls_realloc(r->terms, cap * (size_t)r->k, sizeof(double));
        r->nll = mls_realloc(r->nll, cap, sizeof(*r->nll));
        r->good = mls_realloc(r->good, cap, sizeof(*r->good));
        r->seconds = mls_realloc(r->seconds, cap, sizeof(*r->seconds));
        r->error = mls_realloc(r->error, cap, MLS_ERROR_LEN);
        r->kept = mls_realloc(r->kept, cap * (size_t)(r->nkeep > 0 ? r->nkeep : 1), sizeof(int64_t));
        r->cap = (int64_t)cap;
}

static void rows_grow(struct mls_rows *r)
{
        rows_grow_to(r, r->cap ? 2 * (size_t)r->cap : 256);
}

void mls_rows_reserve(struct mls_rows *r, int64_t n)
{
        if (n > r->cap)
                rows_grow_to(r, (size_t)n);
}

void mls_rows_append(struct mls_rows *r, const struct mls_row *row)
{
        int64_t i = r->n;

        if (r->n == r->cap)
                rows_grow(r);
        r->id[i] = row->id;
        r->generation[i] = row->generation;
        r->origin[i] = row->origin;
        r->worker[i] = row->worker;
        r->status[i] = row->status;
        memcpy(r->u + i * r->d, row->u, (size_t)r->d * sizeof(double));
        memcpy(r->x + i * r->d, row->x, (size_t)r->d * sizeof(double));
        memcpy(r->obs + i * r->m, row->obs, (size_t)r->m * sizeof(double));
        memcpy(r->terms + i * r->k, row->terms, (size_t)r->k * sizeof(double));
        r->nll[i] = row->nll;
        r->good[i] = row->good;
        r->seconds[i] = row->seconds;
        memset(r->error + i * MLS_ERROR_LEN, 0, MLS_ERROR_LEN);
        if (row->error)
                strncpy(r->error + i * MLS_ERROR_LEN, row->error, MLS_ERROR_LEN - 1);
        for (int j = 0; j < r->nkeep; j++) {
                int64_t len = row->kept && row->kept[j] ? row->kept_len[j] : -1;

                r->kept[i * r->nkeep + j] = len;
                if (len <= 0)
                        continue;
                if (r->blob_n + len > r->blob_cap) {
                        r->blob_cap = 2 * (r->blob_n + len);
                        r->blob = mls_realloc(r->blob, (size_t)r->blob_cap, 1);
                }
                memcpy(r->blob + r->blob_n, row->kept[j], (size_t)len);
                r->blob_n += len;
        }
        r->n++;
}

void mls_rows_clear(struct mls_rows *r)
{
        r->n = 0;
        r->blob_n = 0;
}
