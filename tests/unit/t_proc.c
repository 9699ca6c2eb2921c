/*
 * t_proc.c - running external programs (proc.h) and rendering their inputs (template.h),
 * with the Check framework. The programs are /bin/sh scripts, so every failure mode a
 * physics code has is a real process: exit status, signals, hangs, a background child
 * that outlives its parent, a daemon that leaves the process group. After each test the
 * process table is searched for the test's own marker: nothing may survive.
 */
#define _GNU_SOURCE 1
#include <config.h>

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mlscan/card.h"
#include "mlscan/proc.h"
#include "mlscan/template.h"
#include "mlscan/util.h"

extern char **environ;

static char dir[4096]; /* the programs' working directory */
static char out_path[4200], err_path[4200];

/* count_once - processes whose command line holds @marker (a sleep's unique duration) */
static int count_once(const char *marker)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        int n = 0;

        ck_assert_ptr_nonnull(d);
        while ((e = readdir(d))) {
                char path[300], buf[4096];
                FILE *f;
                size_t len;

                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
                if (!(f = fopen(path, "r")))
                        continue;
                len = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                for (size_t i = 0; i < len; i++)
                        if (buf[i] == '\0')
                                buf[i] = ' ';
                buf[len] = '\0';
                if (strstr(buf, marker) && !strstr(buf, "t_proc"))
                        n++;
        }
        closedir(d);
        return n;
}

/* count_marked - as count_once, after giving a killed process up to 1 s to be gone */
/* valgrind preloads its vgpreload_*.so into the process it runs */
static int running_on_valgrind(void)
{
        const char *p = getenv("LD_PRELOAD");

        return p && strstr(p, "vgpreload") != NULL;
}

static int count_marked(const char *marker)
{
        int n = count_once(marker);

        for (int i = 0; i < 100 && n > 0; i++) {
                usleep(10000);
                n = count_once(marker);
        }
        return n;
}

/* run - /bin/sh -c @script with @timeout and @grace */
static void run(const char *script, double timeout, double grace, struct mls_proc_result *r)
{
        char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
        struct mls_proc_spec s = {.argv = argv,
                                  .envp = environ,
                                  .cwd = dir,
                                  .out_path = out_path,
                                  .err_path = err_path,
                                  .timeout = timeout,
                                  .grace = grace};

        ck_assert_int_eq(mls_proc_run(&s, r), 0);
}

START_TEST(exit_status_and_stderr_tail)
{
        struct mls_proc_result r;
        char why[512];

        run("echo first >&2; echo; echo 'second line' >&2; echo last >&2; echo >&2; exit 3", 10, 1, &r);
        ck_assert_int_eq(r.end, MLS_PROC_EXITED);
        ck_assert_int_eq(r.code, 3);
        mls_proc_describe("spheno", &r, err_path, why, sizeof(why));
        ck_assert_str_eq(why, "spheno: exit status 3: first | second line | last");
        run("echo ok; exit 0", 10, 1, &r);
        ck_assert_int_eq(r.end, MLS_PROC_EXITED);
        ck_assert_int_eq(r.code, 0);
}
END_TEST

START_TEST(killed_by_signal)
{
        struct mls_proc_result r;
        char why[512];

        run("kill -SEGV $$", 10, 1, &r);
        ck_assert_int_eq(r.end, MLS_PROC_SIGNALED);
        ck_assert_int_eq(r.code, SIGSEGV);
        mls_proc_describe("hb", &r, err_path, why, sizeof(why));
        ck_assert_msg(strstr(why, "hb: killed by signal 11") == why, "%s", why);
}
END_TEST

START_TEST(timeout_sigterm)
{
        struct mls_proc_result r;
        double t0 = mls_now();
        char why[512];

        run("exec sleep 1001.25", 0.3, 2.0, &r);
        ck_assert_int_eq(r.end, MLS_PROC_TIMEOUT);
        ck_assert_int_eq(r.code, SIGTERM);
        ck_assert(mls_now() - t0 < 2.0);
        ck_assert(r.seconds >= 0.3);
        mls_proc_describe("spheno", &r, err_path, why, sizeof(why));
        ck_assert_msg(strstr(why, "timed out after") && strstr(why, "SIGTERM"), "%s", why);
        ck_assert_int_eq(count_marked("1001.25"), 0);
}
END_TEST

/* A program that ignores SIGTERM, with a child that ignores it too: SIGKILL after the grace. */
START_TEST(timeout_needs_sigkill)
{
        struct mls_proc_result r;
        double t0 = mls_now();

        run("trap '' TERM; sleep 1002.25 & sleep 1002.25; wait", 0.2, 0.3, &r);
        ck_assert_int_eq(r.end, MLS_PROC_TIMEOUT);
        ck_assert_int_eq(r.code, SIGKILL);
        ck_assert(mls_now() - t0 < 3.0);
        mls_proc_reap(1.0);
        ck_assert_int_eq(count_marked("1002.25"), 0);
}
END_TEST

/* The parent exits 0, its background child would hang forever: the group is killed. */
START_TEST(background_child_killed)
{
        struct mls_proc_result r;

        run("sleep 1003.25 & echo spectrum written", 10, 1, &r);
        ck_assert_int_eq(r.end, MLS_PROC_EXITED);
        ck_assert_int_eq(r.code, 0);
        mls_proc_reap(1.0);
        ck_assert_int_eq(count_marked("1003.25"), 0);
}
END_TEST

/* A daemon that leaves the process group (setsid) is caught as an orphan of the reaper. */
START_TEST(setsid_daemon_reaped)
{
        struct mls_proc_result r;

        mls_proc_become_reaper();
        run("setsid sleep 1004.25 & sleep 0.1; exit 0", 10, 1, &r);
        ck_assert_int_eq(r.end, MLS_PROC_EXITED);
        ck_assert_int_ge(mls_proc_reap(2.0), 1);
        ck_assert_int_eq(count_marked("1004.25"), 0);
}
END_TEST

/*
 * A child the process had before it became a reaper (a singleton MPI process's orted) is not
 * mlscan's: reaping leaves it alone while it still ends the programs' orphans.
 */
START_TEST(foreign_child_spared)
{
        struct mls_proc_result r;
        pid_t pid = fork();

        if (pid == 0) {
                pause();
                _exit(0);
        }
        ck_assert_int_gt(pid, 0);
        mls_proc_become_reaper(); /* in Check's forked test process: takes the snapshot now */
        run("setsid sleep 1005.25 & sleep 0.1; exit 0", 10, 1, &r);
        ck_assert_int_ge(mls_proc_reap(2.0), 1);
        ck_assert_int_eq(count_marked("1005.25"), 0);
        ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0); /* still running */
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}
END_TEST

START_TEST(not_started)
{
        char *argv[] = {"/nonexistent/SPheno", NULL};
        struct mls_proc_spec s = {.argv = argv,
                                  .envp = environ,
                                  .cwd = dir,
                                  .out_path = out_path,
                                  .err_path = err_path,
                                  .timeout = 1,
                                  .grace = 1};
        struct mls_proc_result r;
        char why[512];

        ck_assert_int_eq(mls_proc_run(&s, &r), 0);
        /* under valgrind (./configure --enable-valgrind) posix_spawn forks, and the failed
         * exec shows as the child's exit status 127 instead */
        if (running_on_valgrind() && r.end == MLS_PROC_EXITED && r.code == 127)
                return;
        ck_assert_int_eq(r.end, MLS_PROC_NOT_STARTED);
        mls_proc_describe("spheno", &r, err_path, why, sizeof(why));
        ck_assert_str_eq(why, "spheno: could not be started: No such file or directory");
}
END_TEST

START_TEST(clean_environment)
{
        char *extra[] = {"MLS_T_A=1", "HOME=/elsewhere"};
        char **env;
        bool a = false, home = false, ompi = false;

        setenv("OMPI_COMM_WORLD_RANK", "3", 1);
        setenv("PMIX_RANK", "3", 1);
        env = mls_proc_clean_env(extra, 2);
        for (char **e = env; *e; e++) {
                a |= !strcmp(*e, "MLS_T_A=1");
                home |= !strncmp(*e, "HOME=", 5) && strcmp(*e, "HOME=/elsewhere") != 0;
                ompi |= !strncmp(*e, "OMPI_", 5) || !strncmp(*e, "PMIX_", 5);
                free(*e);
        }
        free(env);
        ck_assert(a);
        ck_assert(!home); /* the card's value replaces the inherited one */
        ck_assert(!ompi); /* an MPI-linked physics code must not think it is part of this job */
}
END_TEST

/* ------------------------------------------------------------------ templates */

static const char *const pnames[] = {"m0", "m12", "tanb"};

static char *render_text(const char *tmpl, const double *x, char *err, size_t errlen)
{
        mls_tmpl *t = mls_tmpl_text(tmpl, strlen(tmpl), pnames, 3, "in.tmpl", err, errlen);
        char *buf = NULL;
        size_t cap = 0;

        if (!t)
                return NULL;
        mls_tmpl_render(t, x, &buf, &cap);
        mls_tmpl_destroy(&t);
        return buf;
}

START_TEST(text_template)
{
        const double x[3] = {125.5, 1e3, 0.1};
        char err[256], *s;

        s = render_text("m0 = {m0}\nm12={m12:.3e} tb {tanb:8.4f}|{{literal}}\n", x, err, sizeof(err));
        ck_assert_ptr_nonnull(s);
        ck_assert_str_eq(s, "m0 = 125.5\nm12=1.000e+03 tb   0.1000|{literal}\n");
        free(s);
        /* the default format is exact: %.17g reads back as the same double */
        {
                const double y[3] = {0.1 + 0.2, 1.0 / 3.0, -2.5e-300};

                s = render_text("{m0} {m12} {tanb}", y, err, sizeof(err));
                ck_assert_ptr_nonnull(s);
                {
                        double a, b, c;

                        ck_assert_int_eq(sscanf(s, "%lf %lf %lf", &a, &b, &c), 3);
                        ck_assert(a == y[0] && b == y[1] && c == y[2]);
                }
                free(s);
        }
}
END_TEST

START_TEST(text_template_errors)
{
        const double x[3] = {1, 2, 3};
        char err[256];

        ck_assert_ptr_null(render_text("a\n  {mo}\n", x, err, sizeof(err)));
        ck_assert_str_eq(err, "in.tmpl:2:3: unknown parameter in placeholder: mo");
        ck_assert_ptr_null(render_text("{m0:%d}", x, err, sizeof(err)));
        ck_assert_str_eq(
                err,
                "in.tmpl:1:1: bad number format (expected a printf conversion such as .6e, 12.4f or g): %d");
        ck_assert_ptr_null(render_text("{m0:s}", x, err, sizeof(err)));
        ck_assert_ptr_null(render_text("{m0:.3e.2}", x, err, sizeof(err)));
        ck_assert_ptr_null(render_text("x {m0\n}", x, err, sizeof(err)));
        ck_assert_str_eq(err, "in.tmpl:1:3: an unclosed '{' (write '{{' for a literal brace)");
        ck_assert_ptr_null(render_text("x } y", x, err, sizeof(err)));
        ck_assert_str_eq(err, "in.tmpl:1:3: a lone '}' (write '}}' for a literal brace)");
}
END_TEST

START_TEST(slha_template)
{
        static const char in[] = "# LesHouches input\n"
                                 "Block MODSEL  # model\n"
                                 "    1   0\n"
                                 "BLOCK MINPAR # input\n"
                                 "    1   1.000000E+02   # m0\n"
                                 "    3   1.000000E+01   # tanb\n"
                                 "Block SMINPUTS\n"
                                 " 5 4.18  # mb\n"
                                 "Block MINPAR Q= 1000 # a second block of that name is left alone\n"
                                 "    1   7.0\n";
        struct mls_slha_set set[3] = {
                {.param = 0, .block = "MINPAR", .nidx = 1, .idx = {1}},
                {.param = 2, .block = "minpar", .nidx = 1, .idx = {3}},
                {.param = 1, .block = "EXTPAR", .nidx = 2, .idx = {1, 2}},
        };
        const double x[3] = {250.0, 1.5, 42.0};
        char err[256], *buf = NULL;
        size_t cap = 0;
        mls_tmpl *t = mls_tmpl_slha(in, strlen(in), set, 3, "LesHouches.in", err, sizeof(err));

        ck_assert_ptr_nonnull(t);
        mls_tmpl_render(t, x, &buf, &cap);
        ck_assert_str_eq(buf, "# LesHouches input\n"
                              "Block MODSEL  # model\n"
                              "    1   0\n"
                              "BLOCK MINPAR # input\n"
                              "    1   2.5000000000000000E+02   # m0\n"
                              "    3   4.2000000000000000E+01   # tanb\n"
                              "Block SMINPUTS\n"
                              " 5 4.18  # mb\n"
                              "Block MINPAR Q= 1000 # a second block of that name is left alone\n"
                              "    1   7.0\n"
                              "BLOCK EXTPAR # added by mlscan\n"
                              " 1 2 1.5000000000000000E+00 # set by mlscan\n");
        mls_tmpl_destroy(&t);
        /* an entry the block lacks goes right under its header */
        set[0].idx[0] = 2;
        t = mls_tmpl_slha(in, strlen(in), set, 1, "LesHouches.in", err, sizeof(err));
        mls_tmpl_render(t, x, &buf, &cap);
        ck_assert_msg(
                strstr(buf,
                       "BLOCK MINPAR # input\n 2 2.5000000000000000E+02 # set by mlscan\n    1   1.000000E+02"),
                "%s", buf);
        mls_tmpl_destroy(&t);
        free(buf);
}
END_TEST

static Suite *proc_suite(void)
{
        Suite *s = suite_create("proc");
        TCase *tc = tcase_create("processes");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, exit_status_and_stderr_tail);
        tcase_add_test(tc, killed_by_signal);
        tcase_add_test(tc, timeout_sigterm);
        tcase_add_test(tc, timeout_needs_sigkill);
        tcase_add_test(tc, background_child_killed);
        tcase_add_test(tc, setsid_daemon_reaped);
        tcase_add_test(tc, foreign_child_spared);
        tcase_add_test(tc, not_started);
        tcase_add_test(tc, clean_environment);
        suite_add_tcase(s, tc);
        tc = tcase_create("templates");
        tcase_add_test(tc, text_template);
        tcase_add_test(tc, text_template_errors);
        tcase_add_test(tc, slha_template);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        const char *tmp = getenv("TMPDIR");
        SRunner *sr;
        int failed;

        snprintf(dir, sizeof(dir), "%s/t_proc.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
                perror(dir);
                return 99;
        }
        /* as mlscan's evaluating ranks: orphans of the programs come back to this process */
        mls_proc_become_reaper();
        snprintf(out_path, sizeof(out_path), "%s/stdout", dir);
        snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
        sr = srunner_create(proc_suite());
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        unlink(out_path);
        unlink(err_path);
        rmdir(dir);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
