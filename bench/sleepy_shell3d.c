/*
 * sleepy_shell3d.c - the shell3d toy as a slow external physics program (bench/utilisation.sh).
 *
 *   sleepy_shell3d params.dat shell.out [SLEEP_MIN SLEEP_MAX]
 *
 * params.dat holds `name value` lines for x1, x2 and x3 (the format of
 * share/examples/shell3d_params.tmpl; '#' comments and blank lines are skipped, other names
 * ignored). The program sleeps t seconds, then writes the line
 *   F <value>    with F = (2 + cos(x1/7) cos(x2/7) cos(x3/7))^5
 * to shell.out. t is uniform in [SLEEP_MIN, SLEEP_MAX] (the arguments, else the environment
 * variables SLEEP_MIN and SLEEP_MAX, else 0.2 and 1.0 s) and drawn from a hash of the bits of
 * the three values: the same point always sleeps the same time. Exit status 0, or 1 with a
 * message on stderr (and no output file) when the input is unusable.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(const char *what, const char *file)
{
        fprintf(stderr, "sleepy_shell3d: %s: %s\n", file, what);
        return 1;
}

/* splitmix64's finaliser: a good 64-bit mix */
static uint64_t mix(uint64_t z)
{
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static double number(const char *s, const char *name, double dflt)
{
        char *end;
        double v;

        if (!s || !*s)
                return dflt;
        v = strtod(s, &end);
        if (*end || !isfinite(v) || v < 0) {
                fprintf(stderr, "sleepy_shell3d: %s = '%s' is not a number >= 0\n", name, s);
                exit(1);
        }
        return v;
}

int main(int argc, char **argv)
{
        double x[3] = {0, 0, 0}, lo, hi, t, u, f;
        int seen[3] = {0, 0, 0};
        uint64_t h = 0x6d6c7363616e3364ULL;
        char line[512];
        struct timespec ts;
        FILE *in, *out;

        if (argc != 3 && argc != 5) {
                fprintf(stderr, "usage: sleepy_shell3d params.dat shell.out [SLEEP_MIN SLEEP_MAX]\n");
                return 1;
        }
        lo = number(argc == 5 ? argv[3] : getenv("SLEEP_MIN"), "SLEEP_MIN", 0.2);
        hi = number(argc == 5 ? argv[4] : getenv("SLEEP_MAX"), "SLEEP_MAX", 1.0);
        if (hi < lo)
                return fail("SLEEP_MAX is below SLEEP_MIN", "arguments");
        if (!(in = fopen(argv[1], "r")))
                return fail(strerror(errno), argv[1]);
        while (fgets(line, sizeof line, in)) {
                char name[64], *end, *p = strchr(line, '#');
                int k, at;
                double v;

                if (p)
                        *p = '\0';
                if (sscanf(line, " %63s %n", name, &at) != 1)
                        continue;
                if (strcmp(name, "x1") && strcmp(name, "x2") && strcmp(name, "x3"))
                        continue;
                k = name[1] - '1';
                v = strtod(line + at, &end);
                if (end == line + at || seen[k]) {
                        fclose(in);
                        return fail(seen[k] ? "a parameter is given twice" : "a value is not a number",
                                    argv[1]);
                }
                x[k] = v;
                seen[k] = 1;
        }
        fclose(in);
        if (!seen[0] || !seen[1] || !seen[2])
                return fail("x1, x2 or x3 is missing", argv[1]);

        for (int k = 0; k < 3; k++) {
                uint64_t bits;

                memcpy(&bits, &x[k], sizeof bits);
                h = mix(h ^ bits);
        }
        u = (double)(h >> 11) * 0x1.0p-53; /* uniform in [0, 1) */
        t = lo + (hi - lo) * u;
        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;

        f = pow(2.0 + cos(x[0] / 7) * cos(x[1] / 7) * cos(x[2] / 7), 5);
        if (!(out = fopen(argv[2], "w")))
                return fail(strerror(errno), argv[2]);
        fprintf(out, "# sleepy_shell3d: slept %.6f s\nF %.17g\n", t, f);
        if (fclose(out) != 0)
                return fail("write error", argv[2]);
        return 0;
}
