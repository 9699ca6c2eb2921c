/*
 * proc.h - run one external program and always get it back: posix_spawn into its own
 * process group, stdout and stderr to files, a timeout that sends the whole group SIGTERM
 * and then SIGKILL, and whatever the program left behind in its group killed and reaped.
 * Not collective; no MPI. The only file that spawns processes is src/proc.c.
 */
#ifndef MLSCAN_PROC_H
#define MLSCAN_PROC_H

#include <stddef.h>

struct mls_proc_spec {
        char *const *argv;               /* argv[0]: the path of the program (no PATH search, no shell) */
        char *const *envp;               /* its whole environment */
        const char *cwd;                 /* it runs there */
        const char *out_path, *err_path; /* its stdout and stderr (truncated); stdin is /dev/null */
        double timeout;                  /* seconds; <= 0: none */
        double grace;                    /* seconds between SIGTERM and SIGKILL */
};

enum mls_proc_end {
        MLS_PROC_EXITED = 0,  /* code: the exit status */
        MLS_PROC_SIGNALED,    /* code: the signal that killed it */
        MLS_PROC_TIMEOUT,     /* code: the signal that finally ended it (SIGTERM or SIGKILL) */
        MLS_PROC_NOT_STARTED, /* code: errno of the spawn (the program could not be executed) */
        MLS_PROC_INTERRUPTED  /* mlscan got a stop signal (mls_stop_signal()) and ended it */
};

struct mls_proc_result {
        enum mls_proc_end end;
        int code;
        double seconds; /* wall time, the grace after a timeout included */
        double limit;   /* the timeout it had */
};

/*
 * mls_proc_run - run @s to its end. Returns 0, or -1 only when mlscan itself cannot go on
 * (no pidfd and no waitpid: never seen); the program's fate is in @r either way.
 */
int mls_proc_run(const struct mls_proc_spec *s, struct mls_proc_result *r);

/*
 * mls_proc_set_idle - while mls_proc_run() waits for a program, call @fn(@arg) about every
 * @every seconds (a worker answers rank 0 meanwhile: joins a checkpoint, takes a stop request).
 * @fn NULL: none. Process-wide.
 */
void mls_proc_set_idle(void (*fn)(void *), void *arg, double every);

/*
 * mls_proc_describe - one line for @r of program @name, with the tail of its stderr file
 * @err_path (the last non-empty lines, joined by " | "), into @buf.
 */
void mls_proc_describe(const char *name, const struct mls_proc_result *r, const char *err_path, char *buf,
                       size_t len);

/* mls_proc_tail - the last non-empty lines of @path (at most 3, from its last 4 kB), joined by " | ". */
void mls_proc_tail(const char *path, char *buf, size_t len);

/*
 * mls_proc_become_reaper - make this process the reaper of orphans its programs leave
 * (prctl PR_SET_CHILD_SUBREAPER), so that mls_proc_reap() can find and end them. The children
 * the process already has (a singleton MPI process's orted) are remembered and left alone.
 */
void mls_proc_become_reaper(void);

/*
 * mls_proc_reap - SIGKILL every child this process still has (but those it had before
 * mls_proc_become_reaper) and reap them and every zombie; waits up
 * to @wait seconds for them to go. Call only when no program is meant to be running.
 * Returns how many processes were killed.
 */
int mls_proc_reap(double wait);

/* mls_proc_clean_env - environ without the MPI launcher's variables (OMPI_*, PMIX_*, PMI_*), plus @extra[n] ("NAME=value", overriding); owned by caller (free each string and the array). */
char **mls_proc_clean_env(char *const *extra, int n);

#endif /* MLSCAN_PROC_H */
