/*
 * faulty.c - a physics program that fails on demand, for testing how mlscan runs external codes.
 *
 *   faulty MODE input output
 *
 * input holds `name value` lines ('#' comments and blank lines skipped). In mode ok, output
 * gets a comment line and `y <value>`, value = the sum of the inputs (%.17g). MODE:
 *   ok        the above, exit 0
 *   crash     raise SIGSEGV                     abort     abort() (SIGABRT)
 *   exit3     exit 3 after several lines on stderr (the last one says why)
 *   hang      sleep forever                     hangterm  ignore SIGTERM and sleep forever
 *   forkhang  fork a child that sleeps forever (in the same process group, holding the
 *             inherited stdout and stderr); the parent writes a valid output and exits 0
 *   garbage   4096 pseudo-random binary bytes as the output, exit 0
 *   nan, inf  `y nan`, `y inf`, exit 0         nothing   no output, exit 0
 *   huge      50 MiB of `name value` lines, the `y` line last, exit 0
 *   delete    write the output, then delete it, exit 0
 *   slow      sleep 0.3 s, then as ok
 *   random    one of the above, drawn from a hash of the input file's bytes (and of FAULTY_SALT,
 *             if set) so that a point always fails the same way; the probabilities come from
 *             FAULTY_P_CRASH, _ABORT, _EXIT, _HANG, _HANGTERM, _FORKHANG, _GARBAGE, _NAN, _INF,
 *             _NOTHING, _HUGE, _DELETE, _SLOW (unset = 0; the rest is ok). The drawn mode is
 *             reported on stderr.
 * FAULTY_HANG_SECONDS, if set, bounds every "forever" (then exit 4, no output), so that a test
 * that goes wrong leaves no process behind for long.
 * Bad usage, input or environment: a one-line message on stderr and exit 2.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_INPUT  (16L << 20)
#define HUGE_BYTES (50L << 20)

enum mode {
        M_OK,
        M_CRASH,
        M_ABORT,
        M_EXIT3,
        M_HANG,
        M_HANGTERM,
        M_FORKHANG,
        M_GARBAGE,
        M_NAN,
        M_INF,
        M_NOTHING,
        M_HUGE,
        M_DELETE,
        M_SLOW,
        M_RANDOM,
        M_COUNT
};

/* Mode names and the environment variable giving each one's probability in random mode. */
static const struct {
        const char *name, *env;
} modes[M_COUNT] = {
        [M_OK] = {"ok", NULL},
        [M_CRASH] = {"crash", "FAULTY_P_CRASH"},
        [M_ABORT] = {"abort", "FAULTY_P_ABORT"},
        [M_EXIT3] = {"exit3", "FAULTY_P_EXIT"},
        [M_HANG] = {"hang", "FAULTY_P_HANG"},
        [M_HANGTERM] = {"hangterm", "FAULTY_P_HANGTERM"},
        [M_FORKHANG] = {"forkhang", "FAULTY_P_FORKHANG"},
        [M_GARBAGE] = {"garbage", "FAULTY_P_GARBAGE"},
        [M_NAN] = {"nan", "FAULTY_P_NAN"},
        [M_INF] = {"inf", "FAULTY_P_INF"},
        [M_NOTHING] = {"nothing", "FAULTY_P_NOTHING"},
        [M_HUGE] = {"huge", "FAULTY_P_HUGE"},
        [M_DELETE] = {"delete", "FAULTY_P_DELETE"},
        [M_SLOW] = {"slow", "FAULTY_P_SLOW"},
        [M_RANDOM] = {"random", NULL},
};

struct input {
        char *bytes;
        size_t len;
        double sum;
        int count;
        uint64_t hash;
};

/* ------------------------------------------------------------------ input */

static int parse_double(const char *s, double *out)
{
        char *end;

        errno = 0;
        *out = strtod(s, &end);
        return end == s || *end != '\0' || errno == ERANGE || !isfinite(*out) ? -1 : 0;
}

/* FNV-1a, 64 bit. */
static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)p[i];
                h *= 1099511628211ULL;
        }
        return h;
}

/* The splitmix64 finaliser: FNV-1a alone leaves its top bits, which pick the mode, poorly mixed. */
static uint64_t mix64(uint64_t x)
{
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

static int slurp(const char *path, struct input *in)
{
        FILE *f = fopen(path, "rb");
        size_t got;

        if (!f) {
                fprintf(stderr, "faulty: cannot open input %s: %s\n", path, strerror(errno));
                return -1;
        }
        in->bytes = malloc(MAX_INPUT + 1);
        got = in->bytes ? fread(in->bytes, 1, MAX_INPUT + 1, f) : 0;
        if (!in->bytes || ferror(f) || got > MAX_INPUT) {
                fprintf(stderr, "faulty: cannot read input %s (or it is over %ld bytes)\n", path, MAX_INPUT);
                fclose(f);
                return -1;
        }
        fclose(f);
        in->len = got;
        in->bytes[got] = '\0';
        return 0;
}

/* One `name value` line (comment already cut): 1 if it holds a value, 0 if blank, -1 if bad. */
static int parse_line(char *line, double *v)
{
        char name[256], value[256], extra[2];
        int n = sscanf(line, "%255s %255s %1s", name, value, extra);

        if (n <= 0)
                return 0;
        return n == 2 && parse_double(value, v) == 0 ? 1 : -1;
}

/* Read @path: the hash of its bytes and the sum of its values. 0 on success. */
static int read_input(const char *path, struct input *in)
{
        const char *salt = getenv("FAULTY_SALT");
        char *line, *next;
        int lineno = 0, rc = 0, got;
        double v = 0.0;

        if (slurp(path, in) != 0)
                return -1;
        in->hash = fnv1a(14695981039346656037ULL, in->bytes, in->len);
        if (salt)
                in->hash = fnv1a(in->hash, salt, strlen(salt));
        in->hash = mix64(in->hash);
        if (memchr(in->bytes, '\0', in->len)) {
                fprintf(stderr, "faulty: %s: input holds NUL bytes\n", path);
                return -1;
        }
        /* The parse cuts lines in place: the hash above is of the untouched bytes. */
        for (line = in->bytes; rc == 0 && line < in->bytes + in->len; line = next) {
                next = line + strcspn(line, "\n");
                next += *next == '\n';
                lineno++;
                line[strcspn(line, "#\n")] = '\0';
                if ((got = parse_line(line, &v)) < 0) {
                        fprintf(stderr, "faulty: %s: line %d is not `name value`\n", path, lineno);
                        rc = -1;
                } else if (got > 0) {
                        in->sum += v;
                        in->count++;
                }
        }
        if (rc == 0 && in->count == 0) {
                fprintf(stderr, "faulty: %s: no `name value` lines\n", path);
                rc = -1;
        }
        return rc;
}

/* ------------------------------------------------------------------ random mode */

static int env_probability(const char *name, double *p)
{
        const char *s = getenv(name);

        *p = 0.0;
        if (!s || !*s)
                return 0;
        if (parse_double(s, p) != 0 || !(*p >= 0.0 && *p <= 1.0)) {
                fprintf(stderr, "faulty: %s=%s is not a probability in [0, 1]\n", name, s);
                return -1;
        }
        return 0;
}

/* Draw a mode from the FAULTY_P_* probabilities with u = the input hash in [0, 1). */
static int draw_mode(uint64_t hash, enum mode *out)
{
        double u = (double)(hash >> 11) * 0x1p-53, acc = 0.0, p;

        *out = M_OK;
        for (int m = 0; m < M_COUNT; m++) {
                if (!modes[m].env)
                        continue;
                if (env_probability(modes[m].env, &p) != 0)
                        return -1;
                if (u >= acc && u < acc + p && *out == M_OK)
                        *out = (enum mode)m;
                acc += p;
        }
        if (acc > 1.0 + 1e-9) {
                fprintf(stderr, "faulty: the FAULTY_P_* probabilities add up to %g > 1\n", acc);
                return -1;
        }
        return 0;
}

/* ------------------------------------------------------------------ the modes */

static void sleep_seconds(double sec)
{
        struct timespec ts;

        ts.tv_sec = (time_t)sec;
        ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

/* Sleep forever, or FAULTY_HANG_SECONDS if set (then exit 4). */
static _Noreturn void hang(void)
{
        const char *s = getenv("FAULTY_HANG_SECONDS");
        double sec;

        if (s && *s && parse_double(s, &sec) == 0 && sec >= 0.0 && sec < 1e9) {
                sleep_seconds(sec);
                fprintf(stderr, "faulty: FAULTY_HANG_SECONDS=%s elapsed, giving up\n", s);
                _exit(4);
        }
        for (;;)
                pause();
}

static int finish(FILE *f, const char *path)
{
        if (ferror(f) | fclose(f)) {
                fprintf(stderr, "faulty: error writing %s\n", path);
                return -1;
        }
        return 0;
}

static int write_value(const char *path, const char *mode, const struct input *in, const char *value)
{
        FILE *f = fopen(path, "w");

        if (!f) {
                fprintf(stderr, "faulty: cannot create %s: %s\n", path, strerror(errno));
                return -1;
        }
        fprintf(f, "# faulty: mode %s, y = sum of %d inputs\n", mode, in->count);
        if (value)
                fprintf(f, "y %s\n", value);
        else
                fprintf(f, "y %.17g\n", in->sum);
        return finish(f, path);
}

static int write_garbage(const char *path, uint64_t seed)
{
        FILE *f = fopen(path, "wb");
        uint64_t x = seed | 1;

        if (!f) {
                fprintf(stderr, "faulty: cannot create %s: %s\n", path, strerror(errno));
                return -1;
        }
        for (int i = 0; i < 4096; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                fputc((int)(x >> 56), f);
        }
        return finish(f, path);
}

static int write_huge(const char *path, const struct input *in)
{
        FILE *f = fopen(path, "w");
        long written = 0;

        if (!f) {
                fprintf(stderr, "faulty: cannot create %s: %s\n", path, strerror(errno));
                return -1;
        }
        fprintf(f, "# faulty: mode huge, %ld bytes of padding, then y = sum of %d inputs\n", HUGE_BYTES,
                in->count);
        for (long i = 0; written < HUGE_BYTES && !ferror(f); i++) {
                int n = fprintf(f, "pad%09ld %.17g\n", i, 1e-3 * (double)i);

                written += n > 0 ? n : 0;
        }
        fprintf(f, "y %.17g\n", in->sum);
        return finish(f, path);
}

static _Noreturn void crash(void)
{
        sigset_t set;

        signal(SIGSEGV, SIG_DFL);
        sigemptyset(&set);
        sigaddset(&set, SIGSEGV);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(SIGSEGV);
        abort();
}

static int fail_exit3(void)
{
        fprintf(stderr, "faulty: reading the input ... done\n");
        fprintf(stderr, "faulty: iteration 1 ... 100: residual did not decrease\n");
        fprintf(stderr, "faulty: ERROR: no convergence after 100 iterations\n");
        fprintf(stderr, "faulty: stopping with exit status 3\n");
        return 3;
}

static int forkhang(const char *path, const struct input *in)
{
        pid_t pid = fork();

        if (pid < 0) {
                fprintf(stderr, "faulty: fork: %s\n", strerror(errno));
                return 2;
        }
        if (pid == 0)
                hang();
        return write_value(path, "forkhang", in, NULL) == 0 ? 0 : 2;
}

/* Run @m; returns the exit status (the crashing and hanging modes do not return). */
static int run(enum mode m, const char *path, const struct input *in)
{
        struct sigaction sa;

        switch (m) {
        case M_CRASH: crash(); break;
        case M_ABORT: abort();
        case M_EXIT3: return fail_exit3();
        case M_HANG: hang(); break;
        case M_HANGTERM:
                memset(&sa, 0, sizeof(sa));
                sa.sa_handler = SIG_IGN;
                sigaction(SIGTERM, &sa, NULL);
                hang();
                break;
        case M_FORKHANG: return forkhang(path, in);
        case M_GARBAGE: return write_garbage(path, in->hash) == 0 ? 0 : 2;
        case M_NAN: return write_value(path, "nan", in, "nan") == 0 ? 0 : 2;
        case M_INF: return write_value(path, "inf", in, "inf") == 0 ? 0 : 2;
        case M_NOTHING: return 0;
        case M_HUGE: return write_huge(path, in) == 0 ? 0 : 2;
        case M_DELETE:
                if (write_value(path, "delete", in, NULL) != 0)
                        return 2;
                return unlink(path) == 0 ? 0 : 2;
        case M_SLOW: sleep_seconds(0.3); return write_value(path, "slow", in, NULL) == 0 ? 0 : 2;
        default: break;
        }
        return write_value(path, "ok", in, NULL) == 0 ? 0 : 2;
}

static int mode_find(const char *name)
{
        for (int m = 0; m < M_COUNT; m++)
                if (strcmp(name, modes[m].name) == 0)
                        return m;
        return -1;
}

static int usage(void)
{
        fprintf(stderr, "usage: faulty MODE input output; MODE is one of:");
        for (int m = 0; m < M_COUNT; m++)
                fprintf(stderr, " %s", modes[m].name);
        fprintf(stderr, "\n");
        return 2;
}

int main(int argc, char **argv)
{
        struct input in;
        int m = argc == 4 ? mode_find(argv[1]) : -1, rc;
        enum mode drawn;

        memset(&in, 0, sizeof(in));
        if (m < 0)
                return usage();
        if (read_input(argv[2], &in) != 0) {
                free(in.bytes);
                return 2;
        }
        drawn = (enum mode)m;
        if (m == M_RANDOM) {
                if (draw_mode(in.hash, &drawn) != 0) {
                        free(in.bytes);
                        return 2;
                }
                fprintf(stderr, "faulty: random mode drew %s\n", modes[drawn].name);
        }
        rc = run(drawn, argv[3], &in);
        free(in.bytes);
        return rc;
}
