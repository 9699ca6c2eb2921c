/* proc.c - spawn, wait with a timeout, kill the whole process group, reap. */
#define _GNU_SOURCE 1
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mlscan/proc.h"
#include "mlscan/util.h"

extern char **environ;

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void nap(double s)
{
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

        nanosleep(&ts, NULL);
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
        return (int)syscall(SYS_pidfd_open, pid, 0);
#else
        (void)pid;
        errno = ENOSYS;
        return -1;
#endif
}

/* mls_proc_set_idle()'s call-back, called while wait_exit() waits */
static struct {
        void (*fn)(void *);
        void *arg;
        double every;
} idle;

void mls_proc_set_idle(void (*fn)(void *), void *arg, double every)
{
        idle.fn = fn;
        idle.arg = arg;
        idle.every = every > 0 ? every : 0.1;
}

/*
 * wait_exit - wait up to @timeout seconds (< 0: forever) for @pid to exit, leaving it a
 * zombie (so its process group stays reserved). 1 when it has exited, 0 at the timeout,
 * -1 when @stoppable and a stop signal arrived first (checked at least every 0.1 s).
 */
static int wait_exit(pid_t pid, int pidfd, double timeout, bool stoppable, siginfo_t *info)
{
        double end = now() + timeout, step = 50e-6;
        int cap = idle.fn ? (int)(idle.every * 1000.0) + 1 : 100;

        for (;;) {
                memset(info, 0, sizeof(*info));
                if (waitid(P_PID, (id_t)pid, info, WEXITED | WNOHANG | WNOWAIT) == 0 && info->si_pid == pid)
                        return 1;
                if (timeout >= 0 && now() >= end)
                        return 0;
                if (idle.fn)
                        idle.fn(idle.arg); /* it may ask to stop: looked at next */
                if (stoppable && mls_stop_signal())
                        return -1;
                if (pidfd >= 0) {
                        struct pollfd pf = {.fd = pidfd, .events = POLLIN};
                        double left = timeout >= 0 ? end - now() : 3600.0;
                        int ms = left > 0 ? (int)(left * 1000.0) + 1 : 0;

                        if (ms > cap)
                                ms = cap;
                        if (poll(&pf, 1, ms) < 0 && errno != EINTR)
                                nap(1e-3);
                } else {
                        nap(step);
                        if (step < 5e-3 && step < idle.every)
                                step *= 2;
                }
        }
}

int mls_proc_run(const struct mls_proc_spec *s, struct mls_proc_result *r)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none, all;
        siginfo_t info;
        pid_t pid;
        int err, pidfd;
        double t0 = now();
        bool exited, timed_out = false, interrupted = false;
        int w;

        memset(r, 0, sizeof(*r));
        r->limit = s->timeout;
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&at);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, s->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&fa, 2, s->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addclosefrom_np(&fa, 3);
        posix_spawn_file_actions_addchdir_np(&fa, s->cwd);
        sigemptyset(&none);
        sigfillset(&all);
        sigdelset(&all, SIGKILL);
        sigdelset(&all, SIGSTOP);
        /* Its own process group, no blocked signals, default dispositions (MPI may ignore SIGPIPE). */
        posix_spawnattr_setpgroup(&at, 0);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &all);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        err = posix_spawn(&pid, s->argv[0], &fa, &at, s->argv, s->envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        if (err != 0) {
                r->end = MLS_PROC_NOT_STARTED;
                r->code = err;
                r->seconds = now() - t0;
                return 0;
        }
        pidfd = open_pidfd(pid);
        w = wait_exit(pid, pidfd, s->timeout > 0 ? s->timeout : -1.0, true, &info);
        if (w <= 0) {
                /* a timeout, or mlscan is stopping: the grace is short then (a batch system waits for no one) */
                timed_out = w == 0;
                interrupted = w < 0;
                kill(-pid, SIGTERM);
                w = wait_exit(pid, pidfd, interrupted && s->grace > 0.2 ? 0.2 : s->grace, false, &info);
                if (w <= 0) {
                        kill(-pid, SIGKILL);
                        w = wait_exit(pid, pidfd, -1.0, false, &info);
                }
        }
        exited = w > 0;
        /* The leader is a zombie now, so its group id cannot be reused: end what is left in it. */
        kill(-pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (pidfd >= 0)
                close(pidfd);
        r->seconds = now() - t0;
        if (info.si_code == CLD_EXITED) {
                r->end = MLS_PROC_EXITED;
                r->code = info.si_status;
        } else {
                r->end = MLS_PROC_SIGNALED;
                r->code = info.si_status;
                /*
                 * A batch system that ends the job signals every process of it, the programs too,
                 * and mlscan's own signal may come a moment later: a program killed by SIGTERM,
                 * SIGINT or SIGHUP while mlscan stops (or within 0.2 s) was interrupted, not failed.
                 */
                if (!timed_out &&
                    (info.si_status == SIGTERM || info.si_status == SIGINT || info.si_status == SIGHUP))
                        for (int i = 0; i < 20 && !interrupted; i++) {
                                interrupted = mls_stop_signal() != 0;
                                if (!interrupted)
                                        nap(0.01);
                        }
        }
        if (timed_out)
                r->end = MLS_PROC_TIMEOUT;
        if (interrupted)
                r->end = MLS_PROC_INTERRUPTED;
        return exited ? 0 : -1;
}

void mls_proc_tail(const char *path, char *buf, size_t len)
{
        char raw[4097];
        int fd = open(path, O_RDONLY | O_CLOEXEC), nl = 0;
        off_t size;
        ssize_t got = 0;
        size_t start;

        buf[0] = '\0';
        if (fd < 0)
                return;
        size = lseek(fd, 0, SEEK_END);
        if (size > 0 && lseek(fd, size > 4096 ? size - 4096 : 0, SEEK_SET) >= 0)
                got = read(fd, raw, 4096);
        close(fd);
        if (got <= 0)
                return;
        raw[got] = '\0';
        for (ssize_t i = 0; i < got; i++)
                if (raw[i] == '\0' || raw[i] == '\r' || raw[i] == '\t')
                        raw[i] = ' ';
        /* walk back over up to 3 non-empty lines */
        start = (size_t)got;
        for (ssize_t i = got - 1; i >= 0 && nl < 3; i--) {
                if (raw[i] == '\n' || i == 0) {
                        size_t b = raw[i] == '\n' ? (size_t)i + 1 : 0;
                        bool empty = true;

                        for (size_t k = b; k < start && raw[k] != '\n'; k++)
                                if (raw[k] != ' ')
                                        empty = false;
                        if (!empty) {
                                nl++;
                                start = b;
                        } else if (nl == 0) {
                                start = b;
                        }
                }
        }
        {
                size_t o = 0;
                bool sep = false;

                for (size_t k = start; k < (size_t)got && o + 4 < len; k++) {
                        unsigned char ch = (unsigned char)raw[k];

                        if (ch == '\n') {
                                sep = o > 0;
                                continue;
                        }
                        if (sep) {
                                o += (size_t)snprintf(buf + o, len - o, " | ");
                                sep = false;
                        }
                        if (o + 1 < len)
                                buf[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
                }
                buf[o < len ? o : len - 1] = '\0';
                /* trim trailing blanks */
                while (o > 0 && buf[o - 1] == ' ')
                        buf[--o] = '\0';
        }
}

void mls_proc_describe(const char *name, const struct mls_proc_result *r, const char *err_path, char *buf,
                       size_t len)
{
        char t[512];
        int w = 0;

        mls_proc_tail(err_path, t, sizeof(t));
        switch (r->end) {
        case MLS_PROC_EXITED: w = snprintf(buf, len, "%s: exit status %d", name, r->code); break;
        case MLS_PROC_SIGNALED:
                w = snprintf(buf, len, "%s: killed by signal %d (%s)", name, r->code, strsignal(r->code));
                break;
        case MLS_PROC_TIMEOUT:
                w = snprintf(buf, len, "%s: timed out after %.6g s (ended by %s)", name, r->limit,
                             r->code == SIGKILL ? "SIGKILL" : "SIGTERM");
                break;
        case MLS_PROC_NOT_STARTED:
                w = snprintf(buf, len, "%s: could not be started: %s", name, strerror(r->code));
                break;
        case MLS_PROC_INTERRUPTED:
                w = snprintf(buf, len, "%s: ended because mlscan is stopping", name);
                break;
        }
        if (t[0] && w > 0 && (size_t)w < len)
                snprintf(buf + w, len - (size_t)w, ": %s", t);
}

/*
 * Children this process had before it became a reaper are not ours to kill: a singleton MPI
 * process (mlscan run without mpirun) has Open MPI's orted daemon as its child, and killing
 * it breaks MPI_Finalize.
 */
#define MAX_FOREIGN 64
static pid_t foreign[MAX_FOREIGN];
static int nforeign;

/* call @fn on every child pid listed in /proc/self/task/<tid>/children */
static void for_children(void (*fn)(pid_t pid, int *count), int *count)
{
        DIR *d = opendir("/proc/self/task");
        struct dirent *e;

        if (!d)
                return;
        while ((e = readdir(d))) {
                char path[300], buf[32];
                FILE *f;

                if (e->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
                if (!(f = fopen(path, "r")))
                        continue;
                while (fscanf(f, "%31s", buf) == 1) {
                        long pid = strtol(buf, NULL, 10);

                        if (pid > 1)
                                fn((pid_t)pid, count);
                }
                fclose(f);
        }
        closedir(d);
}

static void note_foreign(pid_t pid, int *count)
{
        (void)count;
        if (nforeign < MAX_FOREIGN)
                foreign[nforeign++] = pid;
}

static bool is_foreign(pid_t pid)
{
        for (int i = 0; i < nforeign; i++)
                if (foreign[i] == pid)
                        return true;
        return false;
}

void mls_proc_become_reaper(void)
{
        static pid_t done; /* the attribute is not inherited by fork: once per process */

        if (done == getpid())
                return;
        done = getpid();
        nforeign = 0;
        for_children(note_foreign, NULL);
#ifdef PR_SET_CHILD_SUBREAPER
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
}

/* SIGKILL and reap one left-over child (not a foreign one); counts it in *count */
static void end_child(pid_t pid, int *count)
{
        if (is_foreign(pid))
                return;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, WNOHANG);
        ++*count;
}

int mls_proc_reap(double wait)
{
        double end = now() + wait;
        int killed = 0, seen;

        for_children(end_child, &killed);
        for (seen = killed; seen > 0 && now() < end;) {
                nap(1e-3);
                seen = 0;
                for_children(end_child, &seen);
        }
        return killed;
}

char **mls_proc_clean_env(char *const *extra, int n)
{
        size_t count = 0, k = 0;
        char **env;

        for (char **e = environ; e && *e; e++)
                count++;
        env = mls_calloc(count + (size_t)n + 1, sizeof(char *));
        for (char **e = environ; e && *e; e++) {
                bool skip = !strncmp(*e, "OMPI_", 5) || !strncmp(*e, "PMIX_", 5) || !strncmp(*e, "PMI_", 4);

                for (int i = 0; i < n && !skip; i++) {
                        size_t nl = strcspn(extra[i], "=");

                        skip = !strncmp(*e, extra[i], nl) && (*e)[nl] == '=';
                }
                if (!skip)
                        env[k++] = mls_strdup(*e);
        }
        for (int i = 0; i < n; i++)
                env[k++] = mls_strdup(extra[i]);
        env[k] = NULL;
        return env;
}
