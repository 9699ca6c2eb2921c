/* log.h - levelled logging with a rank prefix. The logger is the only process-wide state. */
#ifndef MLSCAN_LOG_H
#define MLSCAN_LOG_H

#include <stdbool.h>
#include <mpi.h>

enum mls_log_level { MLS_LOG_ERR = 0, MLS_LOG_WARN, MLS_LOG_INFO, MLS_LOG_DEBUG };

/*
 * mls_log_init - set the rank prefix from @comm and the verbosity; call once, before any
 * other work. Not collective. Afterwards the logger is read-only.
 */
void mls_log_init(MPI_Comm comm, enum mls_log_level level);

/* mls_log_enabled - true when messages at @level are printed. */
bool mls_log_enabled(enum mls_log_level level);

/* mls_log_at - print one line "mlscan[rank] time LEVEL [file:line] message" to stderr and flush. */
void mls_log_at(enum mls_log_level level, bool root_only, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* The level is checked before anything is formatted. */
#define MLS_LOG(level, ...)                                                                                  \
        do {                                                                                                 \
                if (mls_log_enabled(level))                                                                  \
                        mls_log_at((level), false, __FILE__, __LINE__, __VA_ARGS__);                         \
        } while (0)
/* MLS_LOG_ROOT - as MLS_LOG, printed by rank 0 only. */
#define MLS_LOG_ROOT(level, ...)                                                                             \
        do {                                                                                                 \
                if (mls_log_enabled(level))                                                                  \
                        mls_log_at((level), true, __FILE__, __LINE__, __VA_ARGS__);                          \
        } while (0)

#endif /* MLSCAN_LOG_H */
