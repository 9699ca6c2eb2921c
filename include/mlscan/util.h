/* util.h - allocation that aborts on exhaustion, time, small string helpers. */
#ifndef MLSCAN_UTIL_H
#define MLSCAN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define MLS_PI 3.14159265358979323846

/* mls_calloc / mls_realloc / mls_strdup - as the libc calls, but MLS_ABORT when out of memory. */
void *mls_calloc(size_t n, size_t size);
void *mls_realloc(void *p, size_t n, size_t size);
char *mls_strdup(const char *s);
/* mls_free - free *@p and set it to NULL. NULL-safe. */
void mls_free_at(void **p);
#define mls_free(pp) mls_free_at((void **)(pp))

/* mls_now - seconds on a monotonic clock. */
double mls_now(void);

/* mls_iso_time - the current UTC time as ISO 8601 into @buf (at least 32 bytes). */
void mls_iso_time(char *buf, size_t len);

/*
 * mls_read_file - read all of @path into a NUL-terminated buffer, owned by caller
 * (release with free()). On failure returns MLS_ERR_IO-like -1 and fills @err.
 */
int mls_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen);

/*
 * Stop signals: SIGTERM, SIGINT and SIGUSR1 (what batch systems send before the time limit)
 * set a flag that the run polls: it then writes a final checkpoint and exits. A second
 * SIGINT kills at once; a repeated SIGTERM is ignored.
 */
void mls_signals_install(void);
/* mls_stop_signal - the first stop signal received, 0 if none. */
int mls_stop_signal(void);
/* mls_stop_request - act as if signal @sig had been received (a worker's stop message). */
void mls_stop_request(int sig);

#endif /* MLSCAN_UTIL_H */
