/* util.c - allocation that aborts on exhaustion, clocks, reading a whole file. */
#include <config.h>

#include <signal.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlscan/err.h"
#include "mlscan/util.h"

void *mls_calloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);

        if (!p)
                MLS_ABORT("out of memory allocating %zu x %zu bytes", n, size);
        return p;
}

void *mls_realloc(void *p, size_t n, size_t size)
{
        void *q;

        if (size && n > SIZE_MAX / size)
                MLS_ABORT("allocation of %zu x %zu bytes overflows", n, size);
        q = realloc(p, (n * size) > 0 ? n * size : 1);
        if (!q)
                MLS_ABORT("out of memory allocating %zu x %zu bytes", n, size);
        return q;
}

char *mls_strdup(const char *s)
{
        size_t len = strlen(s) + 1;
        char *p = mls_calloc(len, 1);

        memcpy(p, s, len);
        return p;
}

void mls_free_at(void **p)
{
        if (p) {
                free(*p);
                *p = NULL;
        }
}

double mls_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void mls_iso_time(char *buf, size_t len)
{
        time_t t = time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int mls_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t n = 0, cap = 0, got;

        *out = NULL;
        *len = 0;
        if (!f) {
                snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
                return -1;
        }
        do {
                if (cap - n < 4096) {
                        cap = cap ? 2 * cap : 8192;
                        buf = mls_realloc(buf, cap, 1);
                }
                got = fread(buf + n, 1, cap - n - 1, f);
                n += got;
        } while (got > 0);
        if (ferror(f)) {
                snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
                fclose(f);
                free(buf);
                return -1;
        }
        fclose(f);
        buf[n] = '\0';
        *out = buf;
        *len = n;
        return 0;
}

/* ------------------------------------------------------------------ stop signals */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
        /* A second Ctrl-C means now; a repeated SIGTERM (mpirun and the batch system both send one) does not. */
        if (stop_signal && sig == SIGINT) {
                signal(sig, SIG_DFL);
                raise(sig);
                return;
        }
        if (!stop_signal)
                stop_signal = sig;
}

void mls_signals_install(void)
{
        static const int sigs[] = {SIGTERM, SIGINT, SIGUSR1};
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: a waiting poll() returns EINTR at once */
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                sigaction(sigs[i], &sa, NULL);
}

int mls_stop_signal(void)
{
        return stop_signal;
}

void mls_stop_request(int sig)
{
        if (!stop_signal)
                stop_signal = sig;
}
