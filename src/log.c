/* log.c - levelled logging; the only process-wide state in mlscan, set once at start-up. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "mlscan/log.h"

static struct {
        int rank;
        enum mls_log_level level;
} logger = {0, MLS_LOG_INFO};

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void mls_log_init(MPI_Comm comm, enum mls_log_level level)
{
        int inited = 0;

        MPI_Initialized(&inited);
        if (inited)
                MPI_Comm_rank(comm, &logger.rank);
        logger.level = level;
}

bool mls_log_enabled(enum mls_log_level level)
{
        return level <= logger.level;
}

void mls_log_at(enum mls_log_level level, bool root_only, const char *file, int line, const char *fmt, ...)
{
        char stamp[32], msg[4096];
        struct timespec ts;
        struct tm tm;
        va_list ap;

        if (root_only && logger.rank != 0)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
        if (level == MLS_LOG_ERR || level == MLS_LOG_DEBUG)
                fprintf(stderr, "mlscan[%d] %s %s %s:%d: %s\n", logger.rank, stamp, level_names[level], file,
                        line, msg);
        else
                fprintf(stderr, "mlscan[%d] %s %s %s\n", logger.rank, stamp, level_names[level], msg);
        fflush(stderr);
}
