/*
 * t_seed.c - reading earlier points (mls_seed_read) from CSV and HDF5, with the Check framework.
 *
 * tests/cases/seed/good.csv is checked value by value. tests/cases/seed/bad/NAME.csv must fail
 * with MLS_ERR_CONFIG, the exact first line of NAME.err as its message (after the directory part
 * of the path) and an all-zero result. The HDF5 files are written here with the HDF5 C API in the
 * layout of include/mlscan/store.h, into a temporary directory removed at the end.
 * The data is found under $top_srcdir (exported by `make check`), else ".".
 */
#include <config.h>

#include <check.h>
#include <dirent.h>
#include <hdf5.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlscan/card.h"
#include "mlscan/physics.h"
#include "mlscan/seed.h"

/* Fewer bad files than this means the directory was not found or was emptied. */
#define MIN_BAD_CSV 12

static const char card_text[] = "stop: {evaluations: 10}\n"
                                "parameters:\n"
                                "  a: {range: [-1, 3]}\n"
                                "  m: {range: [1e-3, 10], prior: log}\n"
                                "physics: {builtin: f2d}\n"
                                "likelihood: {F: {gauss: {mean: 100, sigma: 20}}}\n"
                                "target: {nll_below: 0.1}\n";
static const char *const obs_names[] = {"F", "G"};
#define NOBS 2

/*
 * Made once in main() before the runner starts: Check's test functions take no argument, so
 * they can only reach these through file scope.
 */
static char cases[4096];  /* $top_srcdir/tests/cases/seed */
static char tmpdir[4096]; /* for the HDF5 and CRLF files */
static char **bad_names;  /* sorted "*.csv" in cases/bad */
static int bad_count;

static const char *top_srcdir(void)
{
        const char *top = getenv("top_srcdir");

        return top && *top ? top : ".";
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_bad(void)
{
        char path[8192];
        DIR *dir;
        struct dirent *e;

        snprintf(path, sizeof(path), "%s/bad", cases);
        if (!(dir = opendir(path)))
                return;
        while ((e = readdir(dir))) {
                size_t n = strlen(e->d_name);

                if (n <= 4 || strcmp(e->d_name + n - 4, ".csv") != 0)
                        continue;
                if (!(bad_names = realloc(bad_names, (size_t)(bad_count + 1) * sizeof(char *))) ||
                    !(bad_names[bad_count++] = strdup(e->d_name)))
                        abort();
        }
        closedir(dir);
        if (bad_count)
                qsort(bad_names, (size_t)bad_count, sizeof(char *), compare_names);
}

static void load_card(struct mls_card *c)
{
        char err[1024];
        mls_rc rc = mls_card_parse(card_text, sizeof(card_text) - 1, "seed.yaml", c, err, sizeof(err));

        ck_assert_msg(rc == MLS_OK, "card: %s", err);
        ck_assert_int_eq(c->nparams, 2);
        ck_assert_int_eq(c->params[1].prior, MLS_PRIOR_LOG);
}

static bool is_zero(const struct mls_seed *s)
{
        static const struct mls_seed zero;

        return memcmp(s, &zero, sizeof(zero)) == 0;
}

/* read_ok - mls_seed_read(@path) must succeed with @d = 2 and @m = NOBS. */
static void read_ok(const char *path, struct mls_seed *s)
{
        struct mls_card c;
        char err[1024] = "";
        mls_rc rc;

        load_card(&c);
        memset(s, 0xa5, sizeof(*s));
        rc = mls_seed_read(path, &c, NOBS, obs_names, s, err, sizeof(err));
        ck_assert_msg(rc == MLS_OK, "%s: returned %s: %s", path, mls_rc_str(rc), err);
        ck_assert_int_eq(s->d, 2);
        ck_assert_int_eq(s->m, NOBS);
        mls_card_fini(&c);
}

/* read_fails - mls_seed_read(@path) must fail with @want, leaving the result all zero. */
static void read_fails(const char *path, mls_rc want, char *err, size_t errlen)
{
        struct mls_card c;
        struct mls_seed s;
        mls_rc rc;

        load_card(&c);
        memset(&s, 0xa5, sizeof(s));
        err[0] = '\0';
        rc = mls_seed_read(path, &c, NOBS, obs_names, &s, err, errlen);
        ck_assert_msg(rc == want, "%s: returned %s, expected %s (%s)", path, mls_rc_str(rc), mls_rc_str(want),
                      err);
        ck_assert_msg(is_zero(&s), "%s: failed but left a non-empty result", path);
        mls_card_fini(&c);
}

/* One row of the result: u of a and m, observables F and G (NaN compared as NaN), status. */
static void check_row(const struct mls_seed *s, int64_t i, double ua, double um, double f, double g, int st)
{
        const double want[4] = {ua, um, f, g},
                     got[4] = {s->u[2 * i], s->u[2 * i + 1], s->obs[2 * i], s->obs[2 * i + 1]};

        for (int k = 0; k < 4; k++) {
                if (isnan(want[k]))
                        ck_assert_msg(isnan(got[k]), "row %lld value %d: %g, expected NaN", (long long)i, k,
                                      got[k]);
                else
                        ck_assert_msg(fabs(got[k] - want[k]) <= 1e-12 * fmax(1.0, fabs(want[k])) ||
                                              got[k] == want[k],
                                      "row %lld value %d: %.17g, expected %.17g", (long long)i, k, got[k],
                                      want[k]);
        }
        ck_assert_msg(s->status[i] == st, "row %lld: status %s, expected %s", (long long)i,
                      mls_status_name(s->status[i]), mls_status_name(st));
}

/* ------------------------------------------------------------------ CSV */

START_TEST(csv_good)
{
        char path[8192];
        struct mls_seed s;

        snprintf(path, sizeof(path), "%s/good.csv", cases);
        read_ok(path, &s);
        ck_assert_int_eq(s.n, 7);
        ck_assert_int_eq(s.skipped, 4);
        /* a: linear on [-1, 3]; m: log on [1e-3, 10], so m = 0.1 is halfway and m = 1 at 3/4. */
        check_row(&s, 0, 0.0, 0.0, 10, 5, MLS_ST_OK);
        check_row(&s, 1, 1.0, 1.0, 11, 6, MLS_ST_FAILED);
        check_row(&s, 2, 0.5, 0.5, 12, 7, MLS_ST_FAILED);
        check_row(&s, 3, 0.25, 0.75, 13, NAN, MLS_ST_NONFINITE);
        check_row(&s, 4, 0.25, 0.75, 14, NAN, MLS_ST_TIMEOUT);
        check_row(&s, 5, 1.0, 0.5, 15, -INFINITY, MLS_ST_INVALID);
        check_row(&s, 6, 0.0, 0.0, 16, 1e300, MLS_ST_NONFINITE);
        /* Values at the bounds, give or take rounding, are clamped into the cube. */
        ck_assert(s.u[2 * 5] <= 1.0 && s.u[2 * 6] >= 0.0);
        mls_seed_free(&s);
        ck_assert(is_zero(&s));
        mls_seed_free(&s);
        mls_seed_free(NULL);
}
END_TEST

/* write_text - @text into $tmpdir/@name; the path goes to @path. */
static void write_text(const char *name, const char *text, char *path, size_t len)
{
        FILE *f;

        snprintf(path, len, "%s/%s", tmpdir, name);
        ck_assert_msg((f = fopen(path, "wb")) != NULL, "cannot create %s", path);
        ck_assert_int_eq(fputs(text, f) >= 0, 1);
        ck_assert_int_eq(fclose(f), 0);
}

START_TEST(csv_crlf_no_final_newline)
{
        char path[8192];
        struct mls_seed s;

        write_text("crlf.csv", "a,m,F,G\r\n2,0.01,1,2\r\n-1,1,3,4", path, sizeof(path));
        read_ok(path, &s);
        ck_assert_int_eq(s.n, 2);
        ck_assert_int_eq(s.skipped, 0);
        check_row(&s, 0, 0.75, 0.25, 1, 2, MLS_ST_OK);
        check_row(&s, 1, 0.0, 0.75, 3, 4, MLS_ST_OK);
        mls_seed_free(&s);
        unlink(path);
}
END_TEST

START_TEST(csv_header_only)
{
        char path[8192];
        struct mls_seed s;

        write_text("header.csv", "# nothing evaluated yet\nG, F, m, a\n", path, sizeof(path));
        read_ok(path, &s);
        ck_assert_int_eq(s.n, 0);
        ck_assert_int_eq(s.skipped, 0);
        mls_seed_free(&s);
        unlink(path);
}
END_TEST

START_TEST(csv_bad)
{
        const char *name = bad_names[_i];
        char path[8192], errpath[8192], want[2048], got[2048];
        size_t n = strlen(name);
        FILE *f;

        snprintf(path, sizeof(path), "%s/bad/%s", cases, name);
        snprintf(errpath, sizeof(errpath), "%s/bad/%.*s.err", cases, (int)(n - 4), name);
        ck_assert_msg((f = fopen(errpath, "r")) != NULL, "%s has no .err file", name);
        ck_assert_msg(fgets(want, sizeof(want), f) != NULL, "%s is empty", errpath);
        fclose(f);
        want[strcspn(want, "\n")] = '\0';
        read_fails(path, MLS_ERR_CONFIG, got, sizeof(got));
        /* The message names the path as given: the directory, then what the .err file says. */
        snprintf(errpath, sizeof(errpath), "%s/bad/", cases);
        ck_assert_msg(strncmp(got, errpath, strlen(errpath)) == 0, "%s: message '%s' does not start with %s",
                      name, got, errpath);
        ck_assert_str_eq(got + strlen(errpath), want);
}
END_TEST

START_TEST(csv_nonexistent)
{
        char path[8192], err[1024], want[9000];

        snprintf(path, sizeof(path), "%s/no-such-file.csv", tmpdir);
        read_fails(path, MLS_ERR_IO, err, sizeof(err));
        snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
        ck_assert_str_eq(err, want);
}
END_TEST

/* ------------------------------------------------------------------ HDF5 */

#define H5ROWS 5
/* The file's own order, as another card might have had it: m, b, a and G, H, F. */
static const char *const file_params[] = {"m", "b", "a"};
static const char *const file_obs[] = {"G", "H", "F"};
static const double file_x[H5ROWS][3] = {
        {1.0, 7, 1.0}, {0.1, 7, -1.0}, {10.0, 7, 3.0}, {1.0, 7, 5.0} /* a out of range */, {0.001, 7, 0.0},
};
static const double file_obs_v[H5ROWS][3] = {
        {2, 9, 1}, {NAN, 9, 3}, {6, 9, 5}, {8, 9, 7}, {10, 9, 9},
};
static const int8_t file_status[H5ROWS] = {MLS_ST_OK, MLS_ST_OK, MLS_ST_FAILED, MLS_ST_OK, MLS_ST_TIMEOUT};

/* What to write: the layout of include/mlscan/store.h, with a few knobs to break it. */
struct h5spec {
        int64_t rows;     /* /points@rows */
        bool fixed_names; /* fixed-size strings instead of store.c's variable-length UTF-8 */
        bool int_status;  /* a plain int8 status column instead of store.c's enum */
        int np;           /* parameter names written (3, or fewer to lose some) */
        bool no_points;   /* no /points group at all */
};

static void write_names(hid_t g, const char *name, const char *const *v, int n, bool fixed)
{
        hsize_t dim = (hsize_t)n;
        hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate_simple(1, &dim, NULL), a;
        char buf[3][8];

        if (fixed) {
                memset(buf, 0, sizeof(buf));
                for (int i = 0; i < n; i++)
                        strncpy(buf[i], v[i], sizeof(buf[i]) - 1);
                ck_assert(H5Tset_size(t, sizeof(buf[0])) >= 0 && H5Tset_strpad(t, H5T_STR_NULLPAD) >= 0);
        } else {
                ck_assert(H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0);
        }
        ck_assert((a = H5Acreate2(g, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0);
        ck_assert(H5Awrite(a, t, fixed ? (const void *)buf : (const void *)v) >= 0);
        H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(t);
}

static void write_dataset(hid_t g, const char *name, hid_t type, int width, const void *buf)
{
        hsize_t dims[2] = {H5ROWS, (hsize_t)width};
        hid_t sp = H5Screate_simple(width > 0 ? 2 : 1, dims, NULL), d;

        ck_assert((d = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) >= 0);
        ck_assert(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
        H5Dclose(d);
        H5Sclose(sp);
}

/*
 * The status enum of the file numbers the names backwards: the reader must convert by name,
 * as it would if a later format inserted a status.
 */
static hid_t file_status_type(int8_t *codes)
{
        hid_t t = H5Tenum_create(H5T_NATIVE_INT8);

        for (int i = 0; i < MLS_ST_COUNT; i++) {
                int8_t v = (int8_t)(MLS_ST_COUNT - 1 - i);

                ck_assert(H5Tenum_insert(t, mls_status_name(i), &v) >= 0);
        }
        for (int i = 0; i < H5ROWS; i++)
                codes[i] = (int8_t)(MLS_ST_COUNT - 1 - file_status[i]);
        return t;
}

static void write_h5(const char *path, const struct h5spec *spec)
{
        hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), g, sp, a, st;
        int8_t codes[H5ROWS];

        ck_assert_msg(f >= 0, "cannot create %s", path);
        ck_assert((g = H5Gcreate2(f, spec->no_points ? "other" : "points", H5P_DEFAULT, H5P_DEFAULT,
                                  H5P_DEFAULT)) >= 0);
        sp = H5Screate(H5S_SCALAR);
        ck_assert((a = H5Acreate2(g, "rows", H5T_NATIVE_INT64, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0);
        ck_assert(H5Awrite(a, H5T_NATIVE_INT64, &spec->rows) >= 0);
        H5Aclose(a);
        H5Sclose(sp);
        write_names(g, "parameter_names", file_params, spec->np, spec->fixed_names);
        write_names(g, "observable_names", file_obs, 3, spec->fixed_names);
        write_dataset(g, "x", H5T_NATIVE_DOUBLE, 3, file_x);
        write_dataset(g, "obs", H5T_NATIVE_DOUBLE, 3, file_obs_v);
        if (spec->int_status) {
                write_dataset(g, "status", H5T_NATIVE_INT8, 0, file_status);
        } else {
                st = file_status_type(codes);
                write_dataset(g, "status", st, 0, codes);
                H5Tclose(st);
        }
        H5Gclose(g);
        ck_assert(H5Fclose(f) >= 0);
}

static void h5_path(const char *name, char *path, size_t len)
{
        snprintf(path, len, "%s/%s", tmpdir, name);
}

START_TEST(h5_round_trip)
{
        struct h5spec spec = {.rows = H5ROWS, .np = 3};
        char path[8192];
        struct mls_seed s;

        h5_path("round.h5", path, sizeof(path));
        write_h5(path, &spec);
        read_ok(path, &s);
        ck_assert_int_eq(s.n, 4);
        ck_assert_int_eq(s.skipped, 1);
        check_row(&s, 0, 0.5, 0.75, 1, 2, MLS_ST_OK);
        check_row(&s, 1, 0.0, 0.5, 3, NAN, MLS_ST_NONFINITE);
        check_row(&s, 2, 1.0, 1.0, 5, 6, MLS_ST_FAILED);
        check_row(&s, 3, 0.25, 0.0, 9, 10, MLS_ST_TIMEOUT);
        mls_seed_free(&s);
        unlink(path);
}
END_TEST

START_TEST(h5_rows_truncated)
{
        struct h5spec spec = {.rows = 2, .np = 3, .fixed_names = true, .int_status = true};
        char path[8192];
        struct mls_seed s;

        h5_path("truncated.h5", path, sizeof(path));
        write_h5(path, &spec);
        read_ok(path, &s);
        /* Rows past /points@rows were never committed: not read, not counted as skipped. */
        ck_assert_int_eq(s.n, 2);
        ck_assert_int_eq(s.skipped, 0);
        check_row(&s, 0, 0.5, 0.75, 1, 2, MLS_ST_OK);
        check_row(&s, 1, 0.0, 0.5, 3, NAN, MLS_ST_NONFINITE);
        mls_seed_free(&s);

        spec.rows = 0;
        write_h5(path, &spec);
        read_ok(path, &s);
        ck_assert_int_eq(s.n, 0);
        mls_seed_free(&s);
        unlink(path);
}
END_TEST

/* h5_fails - a file written as @spec must fail with "path: @msg". */
static void h5_fails(const struct h5spec *spec, const char *msg)
{
        char path[8192], err[1024], want[9000];

        h5_path("bad.h5", path, sizeof(path));
        write_h5(path, spec);
        read_fails(path, MLS_ERR_CONFIG, err, sizeof(err));
        snprintf(want, sizeof(want), "%s: %s", path, msg);
        ck_assert_str_eq(err, want);
        unlink(path);
}

START_TEST(h5_bad)
{
        h5_fails(&(struct h5spec){.rows = H5ROWS, .np = 2}, "no parameter 'a' in /points@parameter_names");
        h5_fails(&(struct h5spec){.rows = H5ROWS + 1, .np = 3},
                 "/points/x has 5 rows, fewer than /points@rows = 6");
        h5_fails(&(struct h5spec){.rows = -1, .np = 3}, "/points@rows is -1");
        h5_fails(&(struct h5spec){.rows = H5ROWS, .np = 3, .no_points = true},
                 "no group /points: not an mlscan output file");
}
END_TEST

START_TEST(h5_missing_observable)
{
        static const char *const names[] = {"F", "K"};
        struct h5spec spec = {.rows = H5ROWS, .np = 3};
        struct mls_card c;
        struct mls_seed s;
        char path[8192], err[1024], want[9000];

        h5_path("obs.h5", path, sizeof(path));
        write_h5(path, &spec);
        load_card(&c);
        ck_assert_int_eq(mls_seed_read(path, &c, 2, names, &s, err, sizeof(err)), MLS_ERR_CONFIG);
        snprintf(want, sizeof(want), "%s: no observable 'K' in /points@observable_names", path);
        ck_assert_str_eq(err, want);
        ck_assert(is_zero(&s));
        mls_card_fini(&c);
        unlink(path);
}
END_TEST

/* ------------------------------------------------------------------ runner */

static Suite *seed_suite(void)
{
        Suite *s = suite_create("seed");
        TCase *csv = tcase_create("csv"), *h5 = tcase_create("hdf5");

        tcase_add_test(csv, csv_good);
        tcase_add_test(csv, csv_crlf_no_final_newline);
        tcase_add_test(csv, csv_header_only);
        tcase_add_loop_test(csv, csv_bad, 0, bad_count);
        tcase_add_test(csv, csv_nonexistent);
        tcase_add_test(h5, h5_round_trip);
        tcase_add_test(h5, h5_rows_truncated);
        tcase_add_test(h5, h5_bad);
        tcase_add_test(h5, h5_missing_observable);
        suite_add_tcase(s, csv);
        suite_add_tcase(s, h5);
        return s;
}

/* Removes what the tests left in the temporary directory (a failed test leaves its file). */
static void remove_tmpdir(void)
{
        char path[8192];
        DIR *dir = opendir(tmpdir);
        struct dirent *e;

        while (dir && (e = readdir(dir)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                        snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
                        unlink(path);
                }
        if (dir)
                closedir(dir);
        rmdir(tmpdir);
}

int main(void)
{
        const char *tmp = getenv("TMPDIR");
        SRunner *sr;
        int failed;

        snprintf(cases, sizeof(cases), "%s/tests/cases/seed", top_srcdir());
        snprintf(tmpdir, sizeof(tmpdir), "%s/t_seed.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tmpdir)) {
                perror(tmpdir);
                return 99;
        }
        list_bad();
        if (bad_count < MIN_BAD_CSV) {
                fprintf(stderr, "t_seed: %d bad CSV files in %s/bad, expected at least %d\n", bad_count,
                        cases, MIN_BAD_CSV);
                remove_tmpdir();
                return 99;
        }
        /* The HDF5 errors the tests provoke on purpose are for the reader to report, not HDF5. */
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        sr = srunner_create(seed_suite());
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        remove_tmpdir();
        for (int i = 0; i < bad_count; i++)
                free(bad_names[i]);
        free(bad_names);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
