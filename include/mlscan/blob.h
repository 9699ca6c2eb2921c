/*
 * blob.h - a growable byte buffer for rank 0's checkpoint state: values are appended in a
 * fixed order and read back in the same order. Native byte order (the file is resumed on
 * the same kind of machine); a magic number and a version head every blob.
 */
#ifndef MLSCAN_BLOB_H
#define MLSCAN_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mls_blob {
        uint8_t *p;
        size_t n, cap; /* bytes written */
        size_t pos;    /* read position */
        bool bad;      /* a read ran past the end: every later read gives zeros */
};

void mls_blob_init(struct mls_blob *b);
void mls_blob_fini(struct mls_blob *b);
/* mls_blob_wrap - read from @len bytes at @p (copied). */
void mls_blob_wrap(struct mls_blob *b, const void *p, size_t len);

void mls_blob_put(struct mls_blob *b, const void *p, size_t len);
void mls_blob_put_i64(struct mls_blob *b, int64_t v);
void mls_blob_put_f64(struct mls_blob *b, double v);

/* mls_blob_get - copy the next @len bytes into @p; zeros and b->bad past the end. */
void mls_blob_get(struct mls_blob *b, void *p, size_t len);
int64_t mls_blob_get_i64(struct mls_blob *b);
double mls_blob_get_f64(struct mls_blob *b);

/* Arrays with their length first: put @n elements of @size bytes; get allocates (NULL for 0). */
void mls_blob_put_array(struct mls_blob *b, const void *p, int64_t n, size_t size);
void *mls_blob_get_array(struct mls_blob *b, int64_t *n, size_t size);

#endif /* MLSCAN_BLOB_H */
