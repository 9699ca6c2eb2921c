/* blob.c - the checkpoint byte buffer (blob.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "mlscan/blob.h"
#include "mlscan/util.h"

void mls_blob_init(struct mls_blob *b)
{
        memset(b, 0, sizeof(*b));
}

void mls_blob_fini(struct mls_blob *b)
{
        free(b->p);
        memset(b, 0, sizeof(*b));
}

void mls_blob_wrap(struct mls_blob *b, const void *p, size_t len)
{
        mls_blob_init(b);
        mls_blob_put(b, p, len);
}

void mls_blob_put(struct mls_blob *b, const void *p, size_t len)
{
        if (b->n + len > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;

                while (cap < b->n + len)
                        cap *= 2;
                b->p = mls_realloc(b->p, cap, 1);
                b->cap = cap;
        }
        if (len > 0)
                memcpy(b->p + b->n, p, len);
        b->n += len;
}

void mls_blob_put_i64(struct mls_blob *b, int64_t v)
{
        mls_blob_put(b, &v, sizeof(v));
}

void mls_blob_put_f64(struct mls_blob *b, double v)
{
        mls_blob_put(b, &v, sizeof(v));
}

void mls_blob_get(struct mls_blob *b, void *p, size_t len)
{
        if (b->bad || len > b->n - b->pos) {
                b->bad = true;
                memset(p, 0, len);
                return;
        }
        memcpy(p, b->p + b->pos, len);
        b->pos += len;
}

int64_t mls_blob_get_i64(struct mls_blob *b)
{
        int64_t v;

        mls_blob_get(b, &v, sizeof(v));
        return v;
}

double mls_blob_get_f64(struct mls_blob *b)
{
        double v;

        mls_blob_get(b, &v, sizeof(v));
        return v;
}

void mls_blob_put_array(struct mls_blob *b, const void *p, int64_t n, size_t size)
{
        mls_blob_put_i64(b, n);
        if (n > 0)
                mls_blob_put(b, p, (size_t)n * size);
}

void *mls_blob_get_array(struct mls_blob *b, int64_t *n, size_t size)
{
        int64_t k = mls_blob_get_i64(b);
        void *p;

        if (b->bad || k < 0 || (uint64_t)k > (b->n - b->pos) / (size ? size : 1)) {
                b->bad = true;
                *n = 0;
                return NULL;
        }
        *n = k;
        if (k == 0)
                return NULL;
        p = mls_calloc((size_t)k, size);
        mls_blob_get(b, p, (size_t)k * size);
        return p;
}
