/*
 * t_slha.c - the readers of physics programs' output (mls_slha_*, mls_table_*, mls_text_value),
 * with the Check framework.
 *
 * tests/cases/slha/spheno.slha is a hand-written SPheno-style spectrum with decays: every kind
 * of line the reader must handle, checked value by value, with LF and with CRLF line endings.
 * The HiggsBounds/HiggsSignals result files and values.dat are checked the same way. A long file
 * (20,000 decay lines) and broken texts are built here. Every prefix of the case files is fed to
 * the parsers, as a truncated write would leave them, to show they never read past the end.
 * The data is found under $top_srcdir (exported by `make check`), else ".".
 * The "fuzz" cases are regressions of what tests/fuzz found, the template renderer's included.
 */
#include <config.h>

#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/slha.h"
#include "mlscan/table.h"
#include "mlscan/template.h"
#include "mlscan/util.h"

/* Made once in main(): Check's test functions take no argument. */
static char cases[4096]; /* $top_srcdir/tests/cases/slha */

static const char *top_srcdir(void)
{
        const char *top = getenv("top_srcdir");

        return top && *top ? top : ".";
}

/* read_case - the whole of cases/@name, NUL-terminated; owned by caller (release with free()). */
static char *read_case(const char *name, size_t *len)
{
        char path[8192], err[1024];
        char *text = NULL;

        snprintf(path, sizeof(path), "%s/%s", cases, name);
        ck_assert_msg(mls_read_file(path, &text, len, err, sizeof(err)) == 0, "%s", err);
        return text;
}

/* crlf - @text with every "\n" made "\r\n"; owned by caller (release with free()). */
static char *crlf(const char *text, size_t len, size_t *out)
{
        char *p = mls_calloc(2 * len + 1, 1);
        size_t n = 0;

        for (size_t i = 0; i < len; i++) {
                if (text[i] == '\n')
                        p[n++] = '\r';
                p[n++] = text[i];
        }
        *out = n;
        return p;
}

static bool close_to(double got, double want)
{
        return got == want || fabs(got - want) <= 1e-12 * fabs(want);
}

static struct mls_slha *parse_ok(const char *text, size_t len)
{
        char err[256] = "";
        struct mls_slha *s = mls_slha_parse(text, len, err, sizeof(err));

        ck_assert_msg(s != NULL, "parse failed: %s", err);
        ck_assert_str_eq(err, "");
        return s;
}

/* parse_fails - @text must be refused with exactly the message @want. */
static void parse_fails(const char *text, size_t len, const char *want)
{
        char err[256] = "untouched";
        struct mls_slha *s = mls_slha_parse(text, len, err, sizeof(err));

        ck_assert_msg(s == NULL, "'%.40s' parsed, expected: %s", text ? text : "(null)", want);
        ck_assert_str_eq(err, want);
}

static void value_is(const struct mls_slha *s, const char *block, double q, const int *idx, int n,
                     double want)
{
        double v = -12345.0;
        int rc = mls_slha_value(s, block, q, idx, n, &v);

        ck_assert_msg(rc == MLS_SLHA_FOUND, "%s %d-index entry (first index %d): rc %d", block, n,
                      n > 0 ? idx[0] : 0, rc);
        ck_assert_msg(close_to(v, want), "%s %d-index entry (first index %d): %.17g, expected %.17g", block,
                      n, n > 0 ? idx[0] : 0, v, want);
}

static void value_rc(const struct mls_slha *s, const char *block, double q, const int *idx, int n, int want)
{
        double v = -12345.0;
        int rc = mls_slha_value(s, block, q, idx, n, &v);

        ck_assert_msg(rc == want, "%s %d-index entry: rc %d, expected %d", block ? block : "(null)", n, rc,
                      want);
        ck_assert(v == -12345.0);
}

static void br_is(const struct mls_slha *s, const char *kw, int parent, const int *d, int n, double want)
{
        double v = -12345.0;
        int rc = mls_slha_br(s, kw, parent, d, n, &v);

        ck_assert_msg(rc == MLS_SLHA_FOUND, "%s %d -> %d daughters (%d ...): rc %d", kw, parent, n, d[0], rc);
        ck_assert_msg(close_to(v, want), "%s %d -> %d daughters (%d ...): %.17g, expected %.17g", kw, parent,
                      n, d[0], v, want);
}

static void width_is(const struct mls_slha *s, const char *kw, int pdg, double want)
{
        double v = -12345.0;

        ck_assert_int_eq(mls_slha_width(s, kw, pdg, &v), MLS_SLHA_FOUND);
        ck_assert_msg(close_to(v, want), "%s %d: width %.17g, expected %.17g", kw, pdg, v, want);
}

static void string_is(const struct mls_slha *s, const char *block, int index, int k, const char *want)
{
        const char *got = mls_slha_string_at(s, block, index, k);

        if (!want) {
                ck_assert_msg(got == NULL, "%s %d #%d: '%s', expected none", block, index, k, got);
                return;
        }
        ck_assert_msg(got != NULL, "%s %d #%d: none, expected '%s'", block, index, k, want);
        ck_assert_str_eq(got, want);
}

/* ------------------------------------------------------------------ spheno.slha */

/* The scales of the HMIX blocks, in file order. */
static const double hmix_q[] = {9.11876000E+01, 1.0E+03, 4.67034192E+02};

static void check_blocks_q(const struct mls_slha *s)
{
        double q = 0.0;

        ck_assert_int_eq(mls_slha_blocks(s, "HMIX"), 3);
        ck_assert_int_eq(mls_slha_blocks(s, "hmix"), 3);
        for (int i = 0; i < 3; i++) {
                ck_assert_int_eq(mls_slha_block_q(s, "HMix", i, &q), 1);
                ck_assert(close_to(q, hmix_q[i]));
        }
        ck_assert_int_eq(mls_slha_block_q(s, "HMIX", 3, &q), -1);
        ck_assert_int_eq(mls_slha_block_q(s, "HMIX", -1, &q), -1);
        ck_assert_int_eq(mls_slha_blocks(s, "MASS"), 1);
        ck_assert_int_eq(mls_slha_block_q(s, "MASS", 0, &q), 0);
        ck_assert_int_eq(mls_slha_blocks(s, "NOSUCH"), 0);
        ck_assert_int_eq(mls_slha_block_q(s, "NOSUCH", 0, &q), -1);
        /* NaN: the last HMIX, whatever its scale; a scale: that block, within 1e-6. */
        value_is(s, "HMIX", NAN, (int[]){1}, 1, 3.57680977E+02);
        value_is(s, "HMIX", NAN, (int[]){4}, 1, 1.66772197E+05);
        value_is(s, "HMIX", 1000.0, (int[]){1}, 1, 3.6E+02);
        value_is(s, "hmix", 1000.0 * (1 + 5e-7), (int[]){2}, 1, 9.7);
        value_is(s, "HMIX", 91.1876, (int[]){1}, 1, 350.0);
        value_is(s, "HMIX", 467.034192, (int[]){3}, 1, 2.44923506E+02);
        value_is(s, "HMIX", 1000.0, (int[]){101}, 1, 1e5);
        value_rc(s, "HMIX", NAN, (int[]){101}, 1, MLS_SLHA_NO_ENTRY);
        value_rc(s, "HMIX", 1001.0, (int[]){1}, 1, MLS_SLHA_NO_BLOCK);
        value_rc(s, "HMIX", 1000.0 * (1 + 5e-6), (int[]){1}, 1, MLS_SLHA_NO_BLOCK);
        /* A block without Q= never matches a scale. */
        value_rc(s, "MASS", 1000.0, (int[]){25}, 1, MLS_SLHA_NO_BLOCK);
        value_is(s, "GAUGE", 4.67034192E+02, (int[]){3}, 1, 1.06222439);
        value_rc(s, "NOSUCH", NAN, (int[]){1}, 1, MLS_SLHA_NO_BLOCK);
        value_rc(s, NULL, NAN, (int[]){1}, 1, MLS_SLHA_NO_BLOCK);
}

static void check_entries(const struct mls_slha *s)
{
        value_is(s, "Yu", NAN, (int[]){3, 3}, 2, 8.57185250E-01);
        value_is(s, "YU", NAN, (int[]){1, 1}, 2, 8.962E-06);
        value_rc(s, "YU", NAN, (int[]){1, 2}, 2, MLS_SLHA_NO_ENTRY);
        value_is(s, "NMIX", NAN, (int[]){1, 2}, 2, 5.46292061E-02);
        value_is(s, "NMIX", NAN, (int[]){4, 4}, 2, -6.98677635E-01);
        value_rc(s, "NMIX", NAN, (int[]){1}, 1, MLS_SLHA_NO_ENTRY);
        value_rc(s, "NMIX", NAN, (int[]){1, 1, 1}, 3, MLS_SLHA_NO_ENTRY);
        value_is(s, "RVLAMLLE", NAN, (int[]){1, 2, 3}, 3, 1e-2);
        value_is(s, "RVLAMLLE", 467.034192, (int[]){2, 3, 1}, 3, -2e-2);
        value_is(s, "RVLAMLLE", NAN, (int[]){1, 3, 3}, 3, 3e-4);
        value_rc(s, "RVLAMLLE", NAN, (int[]){3, 2, 1}, 3, MLS_SLHA_NO_ENTRY);
        value_is(s, "EFFHIGGSCOUPLINGS", NAN, (int[]){25, 22, 22}, 3, 3.1264E-05);
        value_is(s, "EffHiggsCouplings", NAN, (int[]){25, 21, 21}, 3, 6.4537E-05);
        /* Bare values: BLOCK ALPHA. */
        value_is(s, "ALPHA", NAN, NULL, 0, -1.13825210E-01);
        value_is(s, "alpha", NAN, (int[]){0}, 0, -1.13825210E-01);
        value_rc(s, "MASS", NAN, NULL, 0, MLS_SLHA_NO_ENTRY);
        /* Lines with and without a leading space. */
        value_is(s, "SMINPUTS", NAN, (int[]){3}, 1, 0.1187);
        value_is(s, "SMINPUTS", NAN, (int[]){5}, 1, 4.18);
        value_is(s, "MASS", NAN, (int[]){25}, 1, 125.09);
        value_is(s, "MASS", NAN, (int[]){1000023}, 1, 181.0);
        value_is(s, "MODSEL", NAN, (int[]){12}, 1, 1000.0);
        /* Fortran: D exponents, and three-digit exponents without the E. */
        value_is(s, "MINPAR", NAN, (int[]){1}, 1, 100.0);
        value_is(s, "MINPAR", NAN, (int[]){2}, 1, 250.0);
        value_is(s, "MINPAR", NAN, (int[]){3}, 1, 10.0);
        value_is(s, "MINPAR", NAN, (int[]){5}, 1, -100.0);
        value_is(s, "TINY", NAN, (int[]){1}, 1, 1e-101);
        value_is(s, "TINY", NAN, (int[]){2}, 1, 2e120);
        /* Non-finite values are read as such; judging them is the caller's business. */
        value_is(s, "MASS", NAN, (int[]){1000024}, 1, -INFINITY);
        {
                double v = 0.0;

                ck_assert_int_eq(mls_slha_value(s, "MASS", NAN, (int[]){1000039}, 1, &v), MLS_SLHA_FOUND);
                ck_assert(isnan(v));
        }
        /* Out-of-range index counts. */
        value_rc(s, "NMIX", NAN, (int[]){1, 1}, -1, MLS_SLHA_NO_ENTRY);
        value_rc(s, "NMIX", NAN, (int[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, 9, MLS_SLHA_NO_ENTRY);
        value_rc(s, "NMIX", NAN, NULL, 2, MLS_SLHA_NO_ENTRY);
        /* `Re Im N pdgs` coupling lines are kept out, without an error. */
        ck_assert_int_eq(mls_slha_blocks(s, "HiggsBoundsInputHiggsCouplingsFermions"), 1);
        value_rc(s, "HiggsBoundsInputHiggsCouplingsFermions", NAN, (int[]){3, 25, 5}, 3, MLS_SLHA_NO_ENTRY);
        value_rc(s, "HiggsBoundsInputHiggsCouplingsFermions", NAN, (int[]){3, 25, 5, -5}, 4,
                 MLS_SLHA_NO_ENTRY);
        value_rc(s, "HiggsBoundsInputHiggsCouplingsFermions", NAN, NULL, 0, MLS_SLHA_NO_ENTRY);
        string_is(s, "HiggsBoundsInputHiggsCouplingsFermions", 3, 0, NULL);
}

static void check_strings(const struct mls_slha *s)
{
        string_is(s, "SPINFO", 1, 0, "SPheno");
        string_is(s, "spinfo", 2, 0, "4.0.4");
        string_is(s, "SPINFO", 3, 0, "Problem with the RGEs: not converged");
        string_is(s, "SPINFO", 3, 1, "m_A0 close to its bound");
        string_is(s, "SPINFO", 3, 2, NULL);
        string_is(s, "SPINFO", 3, -1, NULL);
        ck_assert_ptr_null(mls_slha_string(s, "SPINFO", 4));
        ck_assert_str_eq(mls_slha_string(s, "SPINFO", 3), "Problem with the RGEs: not converged");
        value_rc(s, "SPINFO", NAN, (int[]){1}, 1, MLS_SLHA_NOT_NUMBER);
        value_rc(s, "SPINFO", NAN, (int[]){2}, 1, MLS_SLHA_NOT_NUMBER);
        value_rc(s, "SPINFO", NAN, (int[]){4}, 1, MLS_SLHA_NO_ENTRY);
        /* Numeric entries have their text too. */
        string_is(s, "MASS", 25, 0, "1.25090000E+02");
        string_is(s, "Yu", 3, 0, "3     8.57185250E-01");
        ck_assert_ptr_null(mls_slha_string(s, "NOSUCH", 1));
        ck_assert_ptr_null(mls_slha_string(s, "ALPHA", 0));
}

static void check_decays(const struct mls_slha *s)
{
        double v = -1.0;

        width_is(s, "DECAY", 25, 4.07e-3);
        width_is(s, "decay", 1000022, 0.0);
        width_is(s, "Decay", 1000021, 5.5);
        ck_assert_int_eq(mls_slha_width(s, "DECAY", 6, &v), MLS_SLHA_NO_BLOCK);
        ck_assert_int_eq(mls_slha_width(s, "BLOCK", 25, &v), MLS_SLHA_NO_BLOCK);
        ck_assert_int_eq(mls_slha_width(s, NULL, 25, &v), MLS_SLHA_NO_BLOCK);
        br_is(s, "DECAY", 25, (int[]){5, -5}, 2, 0.577);
        br_is(s, "DECAY", 25, (int[]){-5, 5}, 2, 0.577);
        br_is(s, "DECAY", 25, (int[]){-24, 24}, 2, 0.215);
        br_is(s, "DECAY", 25, (int[]){22, 22}, 2, 2.28e-3);
        br_is(s, "DECAY", 25, (int[]){15, -15}, 2, 0.063);
        br_is(s, "DECAY", 25, (int[]){12, 24, -11}, 3, 2e-4);
        br_is(s, "DECAY", 25, (int[]){-11, 12, 24}, 3, 2e-4);
        /* Not listed: negligible. Signs matter; so does the number of daughters. */
        br_is(s, "DECAY", 25, (int[]){5, 5}, 2, 0.0);
        br_is(s, "DECAY", 25, (int[]){-15, -15}, 2, 0.0);
        br_is(s, "DECAY", 25, (int[]){24, -11}, 2, 0.0);
        br_is(s, "DECAY", 25, (int[]){5}, 1, 0.0);
        br_is(s, "DECAY", 25, (int[]){5, -5, 5}, 3, 0.0);
        br_is(s, "DECAY", 1000022, (int[]){22, 1000039}, 2, 0.0);
        /* A channel listed twice (in two orders): the first line. */
        br_is(s, "DECAY", 1000021, (int[]){5, -5, 1000022}, 3, 0.5);
        ck_assert_int_eq(mls_slha_br(s, "DECAY", 6, (int[]){5, 24}, 2, &v), MLS_SLHA_NO_BLOCK);
        ck_assert_int_eq(mls_slha_br(s, "DECAY", 25, NULL, 0, &v), MLS_SLHA_NO_ENTRY);
        ck_assert_int_eq(mls_slha_br(s, "DECAY", 25, (int[]){5}, 0, &v), MLS_SLHA_NO_ENTRY);
        /* DECAY1L is another table of the same particle. */
        width_is(s, "DECAY1L", 25, 4.15e-3);
        width_is(s, "decay1l", 25, 4.15e-3);
        br_is(s, "DECAY1L", 25, (int[]){-5, 5}, 2, 0.58);
        br_is(s, "DECAY1L", 25, (int[]){22, 22}, 2, 0.0);
        ck_assert_int_eq(mls_slha_width(s, "DECAY1L", 1000021, &v), MLS_SLHA_NO_BLOCK);
        ck_assert_int_eq(mls_slha_br(s, "DECAY1L", 1000021, (int[]){21, 1000022}, 2, &v), MLS_SLHA_NO_BLOCK);
        /* XSECTION is skipped to the next keyword, whose block is read as usual. */
        ck_assert_int_eq(mls_slha_blocks(s, "XSECTION"), 0);
        value_is(s, "SPhenoLowEnergy", NAN, (int[]){20}, 1, -3.52e-15);
}

static void check_spheno(const char *text, size_t len)
{
        struct mls_slha *s = parse_ok(text, len);

        check_blocks_q(s);
        check_entries(s);
        check_strings(s);
        check_decays(s);
        mls_slha_free(s);
}

/* The checks of spheno.slha, one test each, run on the file (_i = 0) and on it with CRLF (_i = 1). */
static void (*const spheno_checks[])(const struct mls_slha *) = {check_blocks_q, check_entries, check_strings,
                                                                 check_decays};
#define NCHECKS ((int)(sizeof(spheno_checks) / sizeof(spheno_checks[0])))

START_TEST(spheno)
{
        size_t len, n;
        char *text = read_case("spheno.slha", &len), *dos = crlf(text, len, &n);
        struct mls_slha *s;

        ck_assert(memchr(text, '\r', len) == NULL);
        s = _i < NCHECKS ? parse_ok(text, len) : parse_ok(dos, n);
        spheno_checks[_i % NCHECKS](s);
        mls_slha_free(s);
        mls_slha_free(NULL);
        free(dos);
        free(text);
}
END_TEST

/* The text is not NUL-terminated: what follows @len must never be read as part of it. */
START_TEST(spheno_not_terminated)
{
        static const char after[] = "  9  1.0E+00  # past the end\n";
        size_t len;
        char *text = read_case("spheno.slha", &len), *copy = NULL;
        struct mls_slha *s;

        ck_assert_ptr_nonnull(copy = malloc(len + sizeof(after)));
        memcpy(copy, text, len);
        memcpy(copy + len, after, sizeof(after));
        check_spheno(copy, len);
        s = parse_ok(copy, len);
        value_rc(s, "SPhenoLowEnergy", NAN, (int[]){9}, 1, MLS_SLHA_NO_ENTRY);
        mls_slha_free(s);
        /* The same text read to its end has the line, so the test above can fail. */
        s = parse_ok(copy, len + sizeof(after) - 1);
        value_is(s, "SPhenoLowEnergy", NAN, (int[]){9}, 1, 1.0);
        mls_slha_free(s);
        free(copy);
        free(text);
}
END_TEST

/* ------------------------------------------------------------------ small texts */

START_TEST(keywords_and_comments)
{
        static const char text[] = "#comment first\n"
                                   "bLoCk Masses#glued comment\n"
                                   "1 2#c\n"
                                   "  # indented comment line\n"
                                   "\t2\t3.5\t\n"
                                   "#\n"
                                   "   \n"
                                   "Decay 6 1.4 # top\n"
                                   "  1.0 2 5 24 # BR\n"
                                   "DeCaY1l 6 1.5\n"
                                   "  1.0 2 24 5\n"
                                   "BLOCK Scaled q=  2.5E+02 # lower-case q\n"
                                   " 1 1\n"
                                   "BLOCK Scaled Q = 5.0E+02\n"
                                   " 1 2\n"
                                   "BLOCK Scaled Q =1.0D+03\n"
                                   " 1 3\n"
                                   "BLOCK QNUMBERS 1000022 # MadGraph: an extra token, ignored\n"
                                   " 1 0\n"
                                   "BLOCK Strings\n"
                                   " 7 ends in a number 1.5 # still a string: not all integers before it\n"
                                   " 8 2019-08\n"
                                   " 1 2 3 4 5 6 7 8 9 1.0\n"
                                   "xsection 8000 2212 2212 2 6 -6\n"
                                   " 0 0 0 0 0 0 1.0E+00 prog 1.0\n"
                                   "BLOCK after\n"
                                   " 1 4";
        struct mls_slha *s = parse_ok(text, sizeof(text) - 1);
        double q = 0.0;

        value_is(s, "MASSES", NAN, (int[]){1}, 1, 2.0);
        value_is(s, "masses", NAN, (int[]){2}, 1, 3.5);
        width_is(s, "DECAY", 6, 1.4);
        br_is(s, "DECAY", 6, (int[]){24, 5}, 2, 1.0);
        br_is(s, "DECAY1L", 6, (int[]){5, 24}, 2, 1.0);
        ck_assert_int_eq(mls_slha_blocks(s, "SCALED"), 3);
        for (int i = 0; i < 3; i++) {
                ck_assert_int_eq(mls_slha_block_q(s, "scaled", i, &q), 1);
                ck_assert(close_to(q, 250.0 * (1 << i)));
                value_is(s, "Scaled", q, (int[]){1}, 1, i + 1);
        }
        value_is(s, "QNUMBERS", NAN, (int[]){1}, 1, 0.0);
        ck_assert_int_eq(mls_slha_block_q(s, "QNUMBERS", 0, &q), 0);
        string_is(s, "STRINGS", 7, 0, "ends in a number 1.5");
        value_rc(s, "STRINGS", NAN, (int[]){7}, 1, MLS_SLHA_NOT_NUMBER);
        string_is(s, "STRINGS", 8, 0, "2019-08");
        value_rc(s, "STRINGS", NAN, (int[]){8}, 1, MLS_SLHA_NOT_NUMBER);
        /* Nine indices are more than an entry may have: a string entry, not a value. */
        value_rc(s, "STRINGS", NAN, (int[]){1, 2, 3, 4, 5, 6, 7, 8}, 8, MLS_SLHA_NO_ENTRY);
        string_is(s, "STRINGS", 1, 0, "2 3 4 5 6 7 8 9 1.0");
        value_is(s, "AFTER", NAN, (int[]){1}, 1, 4.0);
        mls_slha_free(s);
}
END_TEST

START_TEST(numbers)
{
        static const struct {
                const char *text;
                int ok;
                double v;
        } cases_[] = {
                {"1.0D+02", 1, 100.0},
                {"1d5", 1, 1e5},
                {"-2.5d-1", 1, -0.25},
                {"1.5E-03", 1, 1.5e-3},
                {"+7", 1, 7.0},
                {"1.0-100", 1, 1e-100},
                {"-3.0+120", 1, -3e120},
                {"1.-100", 1, 1e-100},
                {"2019-08", 0, 0},
                {"0x10", 0, 0},
                {"", 0, 0},
                {"1.0E", 0, 0},
                {"1.0E+", 0, 0},
                {"abc", 0, 0},
                {" 1", 0, 0},
                {"1 ", 0, 0},
                {"1.0-", 0, 0},
                {"1.0-1x", 0, 0},
                {"--1", 0, 0},
                {"D+02", 0, 0},
                {"1.0D+02D", 0, 0},
                {"inf", 1, INFINITY},
                {"-Infinity", 1, -INFINITY},
                {"INF-5", 0, 0},
        };
        double v;

        for (size_t i = 0; i < sizeof(cases_) / sizeof(cases_[0]); i++) {
                v = -12345.0;
                ck_assert_msg(mls_slha_number(cases_[i].text, strlen(cases_[i].text), &v) == cases_[i].ok,
                              "'%s': expected %s", cases_[i].text,
                              cases_[i].ok ? "a number" : "not a number");
                if (cases_[i].ok)
                        ck_assert_msg(close_to(v, cases_[i].v), "'%s': %.17g", cases_[i].text, v);
        }
        ck_assert_int_eq(mls_slha_number("NaN", 3, &v), 1);
        ck_assert(isnan(v));
        ck_assert_int_eq(mls_slha_number("1.0\0"
                                         "5",
                                         5, &v),
                         0);
        ck_assert_int_eq(mls_slha_number("12345", 2, &v), 1);
        ck_assert(v == 12.0);
        ck_assert_int_eq(mls_slha_number(NULL, 3, &v), 0);
}
END_TEST

START_TEST(slha_errors)
{
        static const char elf[] = "\x7f"
                                  "ELF\x02\x01\x01\0\0\0\0";
        static const char nul[] = "Block MASS\n 25 1.0\0garbage\n";
        size_t len;
        char *text = read_case("data_first.slha", &len);
        char buf[4096];
        unsigned x = 12345;

        parse_fails(text, len, "line 2: data before any BLOCK or DECAY, not an SLHA file");
        free(text);
        parse_fails(elf, sizeof(elf) - 1, "line 1: binary data (byte 0x7f), not an SLHA file");
        parse_fails(nul, sizeof(nul) - 1, "line 2: binary data (byte 0x00), not an SLHA file");
        parse_fails("hello world\n", 12, "line 1: data before any BLOCK or DECAY, not an SLHA file");
        parse_fails("", 0, "line 1: no BLOCK, DECAY or XSECTION line, not an SLHA file");
        parse_fails(NULL, 10, "line 1: no BLOCK, DECAY or XSECTION line, not an SLHA file");
        parse_fails("# only\n#comments\n\n", 18,
                    "line 3: no BLOCK, DECAY or XSECTION line, not an SLHA file");
        parse_fails("BLOCK\n 1 2\n", 11, "line 1: BLOCK without a name");
        parse_fails("Block MASS\n 1 2\nBLOCK   # no name\n", 34, "line 3: BLOCK without a name");
        parse_fails("BLOCK Q= 1.0E+03\n", 17, "line 1: BLOCK without a name");
        parse_fails("BLOCK q =1.0E+03\n", 17, "line 1: BLOCK without a name");
        parse_fails("BLOCK HMIX Q= abc\n", 18, "line 1: BLOCK HMIX: Q= is not followed by a number");
        parse_fails("BLOCK HMIX Q=\n", 14, "line 1: BLOCK HMIX: Q= is not followed by a number");
        parse_fails("DECAY 25\n", 9, "line 1: DECAY without a pdg code and a width");
        parse_fails("DECAY\n", 6, "line 1: DECAY without a pdg code and a width");
        parse_fails("DECAY h0 4.0E-03\n", 17, "line 1: DECAY without a pdg code and a width");
        parse_fails("DECAY 25 4.0E-03\n 1 2 5 -5\ndecay1l 25 abc\n", 43,
                    "line 3: DECAY1L without a pdg code and a width");
        /* Garbage of all kinds: refused or not, never a crash; refused with a line number. */
        for (int round = 0; round < 200; round++) {
                struct mls_slha *s;
                char err[256] = "";

                for (size_t i = 0; i < sizeof(buf); i++) {
                        x = x * 1103515245u + 12345u;
                        buf[i] = (char)(x >> 16);
                }
                s = mls_slha_parse(buf, sizeof(buf), err, sizeof(err));
                ck_assert_ptr_null(s);
                ck_assert_msg(strncmp(err, "line ", 5) == 0, "message '%s'", err);
        }
        ck_assert_ptr_null(mls_slha_parse("", 0, NULL, 0));
}
END_TEST

/* ------------------------------------------------------------------ a long file */

#define LONG_DECAYS   200
#define LONG_CHANNELS 100  /* per DECAY: 20,000 BR lines in all */
#define LONG_ENTRIES  5000 /* in one BLOCK of two indices */

static double long_br(int b, int j)
{
        return (b * LONG_CHANNELS + j + 1) * 1e-7;
}

/* append - printf onto the end of the growing text *@p of *@len bytes, *@cap room. */
static void append(char **p, size_t *len, size_t *cap, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void append(char **p, size_t *len, size_t *cap, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (*cap - *len < 256) {
                *cap = 2 * *cap + 256;
                *p = mls_realloc(*p, *cap, 1);
        }
        va_start(ap, fmt);
        n = vsnprintf(*p + *len, *cap - *len, fmt, ap);
        va_end(ap);
        ck_assert(n > 0 && (size_t)n < *cap - *len);
        *len += (size_t)n;
}

START_TEST(long_file)
{
        char *text = NULL;
        size_t len = 0, cap = 0;
        struct mls_slha *s;
        double t0;

        append(&text, &len, &cap, "BLOCK SPINFO\n 1 generated\n");
        append(&text, &len, &cap, "BLOCK BIG Q= 1.0E+03\n");
        for (int k = 0; k < LONG_ENTRIES; k++)
                append(&text, &len, &cap, " %4d %4d  %.10E  # entry %d\n", k / 100, k % 100, k * 0.5, k);
        for (int b = 0; b < LONG_DECAYS; b++) {
                append(&text, &len, &cap, "DECAY %d %.8E  # parent %d\n", 2000000 + b, (b + 1) * 0.01, b);
                append(&text, &len, &cap, "#    BR         NDA      ID1      ID2\n");
                for (int j = 0; j < LONG_CHANNELS; j++)
                        append(&text, &len, &cap, "     %.8E    2    %8d    %8d   # BR(%d -> %d %d)\n",
                               long_br(b, j), j + 1, -(b + 1), b, j + 1, -(b + 1));
        }
        t0 = mls_now();
        s = parse_ok(text, len);
        /* One pass: a megabyte-sized file in well under a second even on a slow machine. */
        ck_assert_msg(mls_now() - t0 < 5.0, "parsing %zu bytes took %.1f s", len, mls_now() - t0);
        for (int k = 0; k < LONG_ENTRIES; k++)
                value_is(s, "BIG", 1000.0, (int[]){k / 100, k % 100}, 2, k * 0.5);
        for (int b = 0; b < LONG_DECAYS; b++) {
                width_is(s, "DECAY", 2000000 + b, (b + 1) * 0.01);
                for (int j = 0; j < LONG_CHANNELS; j++)
                        br_is(s, "DECAY", 2000000 + b, (int[]){-(b + 1), j + 1}, 2, long_br(b, j));
                br_is(s, "DECAY", 2000000 + b, (int[]){LONG_CHANNELS + 1, -(b + 1)}, 2, 0.0);
        }
        string_is(s, "SPINFO", 1, 0, "generated");
        mls_slha_free(s);
        free(text);
}
END_TEST

/* ------------------------------------------------------------------ tables */

static struct mls_table *table_ok(const char *text, size_t len)
{
        char err[256] = "";
        struct mls_table *t = mls_table_parse(text, len, err, sizeof(err));

        ck_assert_msg(t != NULL, "table refused: %s", err);
        return t;
}

static void table_fails(const char *text, size_t len, const char *want)
{
        char err[256] = "untouched";

        ck_assert_ptr_null(mls_table_parse(text, len, err, sizeof(err)));
        ck_assert_str_eq(err, want);
}

static void cell_is(const struct mls_table *t, int row, const char *name, double want)
{
        int col = mls_table_column(t, name);
        double v = -12345.0;

        ck_assert_msg(col >= 0, "no column '%s'", name);
        ck_assert_msg(mls_table_value(t, row, col, &v) == 0, "row %d column '%s' (%d): none", row, name, col);
        ck_assert_msg(close_to(v, want), "row %d column '%s': %.17g, expected %.17g", row, name, v, want);
}

START_TEST(table_higgsbounds)
{
        size_t len;
        char *text = read_case("HiggsBounds_results.dat", &len);
        struct mls_table *t = table_ok(text, len);
        double v;

        ck_assert_int_eq(mls_table_rows(t), 1);
        ck_assert_int_eq(mls_table_column(t, "n"), 0);
        ck_assert_int_eq(mls_table_column(t, "Mh(1)"), 1);
        ck_assert_int_eq(mls_table_column(t, "HBresult"), 5);
        ck_assert_int_eq(mls_table_column(t, "ncomb"), 8);
        /* Exact names only: no case folding, no prefixes; the abbreviations list is no header. */
        ck_assert_int_eq(mls_table_column(t, "hbresult"), -1);
        ck_assert_int_eq(mls_table_column(t, "Mh"), -1);
        ck_assert_int_eq(mls_table_column(t, "Mh(i)"), -1);
        ck_assert_int_eq(mls_table_column(t, "cols:"), -1);
        ck_assert_int_eq(mls_table_column(t, NULL), -1);
        cell_is(t, 0, "HBresult", 1.0);
        cell_is(t, -1, "HBresult", 1.0);
        cell_is(t, -1, "obsratio", 0.53812345);
        cell_is(t, 0, "chan", 7137.0);
        cell_is(t, 0, "Mhplus(1)", 416.1);
        ck_assert_int_eq(mls_table_value(t, 0, 9, &v), -1);
        ck_assert_int_eq(mls_table_value(t, 0, -1, &v), -1);
        ck_assert_int_eq(mls_table_value(t, 1, 0, &v), -1);
        ck_assert_int_eq(mls_table_value(t, -2, 0, &v), -1);
        ck_assert_int_eq(mls_table_value(NULL, 0, 0, &v), -1);
        ck_assert_int_eq(mls_table_rows(NULL), 0);
        mls_table_free(t);
        mls_table_free(NULL);
        free(text);
}
END_TEST

START_TEST(table_higgssignals)
{
        size_t len, n;
        char *text = read_case("HiggsSignals_results.dat", &len), *dos = crlf(text, len, &n);
        struct mls_table *t = table_ok(text, len), *u = table_ok(dos, n);

        ck_assert_int_eq(mls_table_column(t, "csq(tot)"), 7);
        ck_assert_int_eq(mls_table_column(t, "Pvalue"), 11);
        cell_is(t, -1, "csq(tot)", 83.73612094);
        cell_is(t, 0, "csq(mh)", 0.0);
        cell_is(t, 0, "nobs(tot)", 107.0);
        cell_is(t, 0, "Pvalue", 0.951613);
        /* CRLF: the same table. */
        ck_assert_int_eq(mls_table_column(u, "Pvalue"), 11);
        cell_is(u, 0, "Pvalue", 0.951613);
        mls_table_free(u);
        mls_table_free(t);
        free(dos);
        free(text);
}
END_TEST

START_TEST(table_forms)
{
        static const char *const headers[] = {"#cols: a b c\n", "# cols: a b c\n", "#COLS a b c\n",
                                              "  # Cols : a b c\n", "#cols:a b c\n"};
        static const char rows[] = "1 2.0D+00 NaN # a comment after the row\n"
                                   "\n"
                                   "  4\t5 6\n"
                                   "7 8"; /* no final newline; a short row */
        char text[256];
        struct mls_table *t;
        double v;

        for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
                snprintf(text, sizeof(text), "# results\n%s%s", headers[i], rows);
                t = table_ok(text, strlen(text));
                ck_assert_int_eq(mls_table_rows(t), 3);
                ck_assert_msg(mls_table_column(t, "a") == 0 && mls_table_column(t, "c") == 2, "header '%s'",
                              headers[i]);
                cell_is(t, 0, "b", 2.0);
                ck_assert_int_eq(mls_table_value(t, 0, 2, &v), 0);
                ck_assert(isnan(v));
                cell_is(t, 1, "c", 6.0);
                cell_is(t, -1, "b", 8.0);
                ck_assert_int_eq(mls_table_value(t, -1, 2, &v), -1);
                mls_table_free(t);
        }
        /* No header: columns by index only. The first `cols` line counts; `colsx` is no header. */
        t = table_ok("# colsx: a b\n1 2 3\n4 5 6\n", 25);
        ck_assert_int_eq(mls_table_column(t, "a"), -1);
        ck_assert_int_eq(mls_table_value(t, 1, 2, &v), 0);
        ck_assert(v == 6.0);
        mls_table_free(t);
        t = table_ok("#cols: x y\n#cols: y x\n1 2\n", 26);
        ck_assert_int_eq(mls_table_column(t, "x"), 0);
        mls_table_free(t);
}
END_TEST

START_TEST(table_errors)
{
        table_fails("#cols: n Mh(1) HBresult\n#\n", 26, "line 2: no data row in the table");
        table_fails("", 0, "line 1: no data row in the table");
        table_fails(NULL, 5, "line 1: no data row in the table");
        table_fails("#cols: a b\n1 2\n3 x\n", 19, "line 3: 'x' in a data row is not a number");
        table_fails("#cols: a b\n1 ****************\n", 29,
                    "line 2: '****************' in a data row is not a number");
        table_fails("1 0x12\n", 7, "line 1: '0x12' in a data row is not a number");
        table_fails("1 2\na\x01\x7fz\n", 9, "line 2: 'a??z' in a data row is not a number");
        table_fails("1 abcdefghijklmnopqrstuvwxyz0123456789\n", 39,
                    "line 1: 'abcdefghijklmnopqrstuvwxyz012345...' in a data row is not a number");
        ck_assert_ptr_null(mls_table_parse("x", 1, NULL, 0));
}
END_TEST

/* ------------------------------------------------------------------ name value */

static void text_is(const char *text, size_t len, const char *name, double want)
{
        double v = -12345.0;

        ck_assert_msg(mls_text_value(text, len, name, &v) == 0, "'%s' not found", name);
        ck_assert_msg(close_to(v, want), "'%s': %.17g, expected %.17g", name, v, want);
}

START_TEST(text_values)
{
        size_t len;
        char *text = read_case("values.dat", &len);
        double v = -12345.0;

        text_is(text, len, "Omega", 0.1192);
        text_is(text, len, "Xf", 24.6);
        text_is(text, len, "sigma_SI", 3.4e-47);
        text_is(text, len, "chi2", 12.5);
        text_is(text, len, "proton_SI", 1.2e-9);
        text_is(text, len, "mh", 125.09);
        text_is(text, len, "lifetime", INFINITY);
        ck_assert_int_eq(mls_text_value(text, len, "status", &v), -2);
        ck_assert_int_eq(mls_text_value(text, len, "empty", &v), -2);
        ck_assert_int_eq(mls_text_value(text, len, "omega", &v), -1);
        ck_assert_int_eq(mls_text_value(text, len, "Om", &v), -1);
        ck_assert_int_eq(mls_text_value(text, len, "relic", &v), -1);
        ck_assert_int_eq(mls_text_value(text, len, "", &v), -1);
        ck_assert_int_eq(mls_text_value(text, len, NULL, &v), -1);
        ck_assert(v == -12345.0);
        free(text);
        /* CRLF, no final newline, a name only in a comment, NaN. */
        text_is("# x = 1\r\nx = 2\r\ny 3", 19, "x", 2.0);
        text_is("# x = 1\r\nx = 2\r\ny 3", 19, "y", 3.0);
        ck_assert_int_eq(mls_text_value("# x = 1\r\nx = 2\r\ny 3", 18, "y", &v), -2);
        ck_assert_int_eq(mls_text_value("z = nan\n", 8, "z", &v), 0);
        ck_assert(isnan(v));
        ck_assert_int_eq(mls_text_value(NULL, 8, "z", &v), -1);
}
END_TEST

/* ------------------------------------------------------------------ truncation */

/*
 * Every prefix of each case file, copied into a buffer of exactly its size (so a sanitizer or
 * valgrind sees a read past the end), goes through the parsers and getters: any result or a
 * refusal with a message, never a crash.
 */
static void prefixes_slha(const char *name)
{
        size_t len;
        char *text = read_case(name, &len);

        for (size_t k = 0; k <= len; k++) {
                char *p = mls_calloc(k ? k : 1, 1), err[256] = "";
                struct mls_slha *s;
                double v;

                memcpy(p, text, k);
                s = mls_slha_parse(p, k, err, sizeof(err));
                ck_assert_msg(s != NULL || strncmp(err, "line ", 5) == 0, "prefix %zu: no message", k);
                mls_slha_value(s, "HMIX", NAN, (int[]){1}, 1, &v);
                mls_slha_value(s, "Yu", 467.034192, (int[]){3, 3}, 2, &v);
                mls_slha_value(s, "ALPHA", NAN, NULL, 0, &v);
                mls_slha_br(s, "DECAY", 25, (int[]){5, -5}, 2, &v);
                mls_slha_width(s, "DECAY1L", 25, &v);
                mls_slha_string(s, "SPINFO", 3);
                mls_slha_block_q(s, "HMIX", 2, &v);
                if (k == len)
                        ck_assert_ptr_nonnull(s);
                mls_slha_free(s);
                free(p);
        }
        free(text);
}

static void prefixes_table(const char *name, const char *column, bool is_table)
{
        size_t len;
        char *text = read_case(name, &len);

        for (size_t k = 0; k <= len; k++) {
                char *p = mls_calloc(k ? k : 1, 1), err[256] = "";
                struct mls_table *t;
                double v;

                memcpy(p, text, k);
                t = mls_table_parse(p, k, err, sizeof(err));
                ck_assert_msg(t != NULL || strncmp(err, "line ", 5) == 0, "prefix %zu: no message", k);
                mls_table_value(t, -1, mls_table_column(t, column), &v);
                mls_text_value(p, k, column, &v);
                mls_text_value(p, k, "Omega", &v);
                if (k == len && is_table)
                        ck_assert_ptr_nonnull(t);
                mls_table_free(t);
                free(p);
        }
        free(text);
}

START_TEST(truncated)
{
        size_t len, n;
        char *text = read_case("spheno.slha", &len), *dos = crlf(text, len, &n);

        prefixes_slha("spheno.slha");
        prefixes_table("HiggsBounds_results.dat", "HBresult", true);
        prefixes_table("HiggsSignals_results.dat", "csq(tot)", true);
        prefixes_table("values.dat", "Omega", false);
        /* The CRLF text too, cut between the '\r' and the '\n' among other places. */
        for (size_t k = 0; k <= n; k++) {
                char *p = mls_calloc(k ? k : 1, 1);

                memcpy(p, dos, k);
                mls_slha_free(mls_slha_parse(p, k, NULL, 0));
                free(p);
        }
        free(dos);
        free(text);
}
END_TEST

/* ------------------------------------------------------------------ fuzzing regressions */

/*
 * tests/fuzz/fuzz_template.c: an SLHA template's set entry for a block the template lacks, named
 * with more than 70 characters, overflowed the 96-byte buffer the appended BLOCK line was
 * formatted in (a card reaches it: tests/fuzz/regressions/slha_set_long_block.yaml).
 */
START_TEST(fuzz_slha_template_long_block)
{
        static const char in[] = "Block MINPAR\n 1 1.0\n";
        const double x[1] = {2.5};
        char block[201], err[256] = "", want[512], *buf = NULL;
        struct mls_slha_set set = {.param = 0, .block = block, .nidx = 1, .idx = {7}};
        size_t cap = 0, n;
        mls_tmpl *t;

        memset(block, 'B', sizeof(block) - 1);
        block[sizeof(block) - 1] = '\0';
        t = mls_tmpl_slha(in, strlen(in), &set, 1, "LesHouches.in", err, sizeof(err));
        ck_assert_ptr_nonnull(t);
        n = mls_tmpl_render(t, x, &buf, &cap);
        snprintf(want, sizeof(want),
                 "%sBLOCK %s # added by mlscan\n 7 2.5000000000000000E+00 # set by mlscan\n", in, block);
        ck_assert_str_eq(buf, want);
        ck_assert_uint_eq(n, strlen(want));
        free(buf);
        mls_tmpl_destroy(&t);
}
END_TEST

/*
 * tests/fuzz/fuzz_template.c (a timeout): {x:999999999e} made each rendering write a gigabyte.
 * A width or precision has at most 3 digits (tests/fuzz/regressions/placeholder_huge_width.yaml).
 */
START_TEST(fuzz_template_huge_width)
{
        static const char *const names[] = {"x"};
        static const char *const bad[] = {"{x:9999e}", "a {x:.1000f}", "{x:999999999e}", "{x:+0001234.5g}"};
        static const char *const good[] = {"{x:999e}", "{x:.999f}", "{x:+#0999.999E}", "{x:-0000999g}"};
        const double x[1] = {-1.7976931348623157e308};
        char err[256], *buf = NULL;
        size_t cap = 0;
        mls_tmpl *t;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                t = mls_tmpl_text(bad[i], strlen(bad[i]), names, 1, "in.dat", err, sizeof(err));
                ck_assert_msg(t == NULL, "'%s' accepted", bad[i]);
                ck_assert_msg(strstr(err, "in.dat:1:") == err && strstr(err, "bad number format"), "'%s': %s",
                              bad[i], err);
        }
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                size_t n;

                t = mls_tmpl_text(good[i], strlen(good[i]), names, 1, "in.dat", err, sizeof(err));
                ck_assert_msg(t != NULL, "'%s' refused: %s", good[i], err);
                n = mls_tmpl_render(t, x, &buf, &cap);
                ck_assert_msg(n >= 999 && n < 2000, "'%s': %zu bytes", good[i], n);
                mls_tmpl_destroy(&t);
        }
        free(buf);
}
END_TEST

/* ------------------------------------------------------------------ runner */

static Suite *slha_suite(void)
{
        Suite *s = suite_create("slha");
        TCase *slha = tcase_create("slha"), *table = tcase_create("table"), *robust = tcase_create("robust");
        TCase *fuzz = tcase_create("fuzz");

        tcase_add_loop_test(slha, spheno, 0, 2 * NCHECKS);
        tcase_add_test(slha, spheno_not_terminated);
        tcase_add_test(slha, keywords_and_comments);
        tcase_add_test(slha, numbers);
        tcase_add_test(slha, slha_errors);
        tcase_add_test(slha, long_file);
        tcase_add_test(table, table_higgsbounds);
        tcase_add_test(table, table_higgssignals);
        tcase_add_test(table, table_forms);
        tcase_add_test(table, table_errors);
        tcase_add_test(table, text_values);
        tcase_add_test(robust, truncated);
        tcase_add_test(fuzz, fuzz_slha_template_long_block);
        tcase_add_test(fuzz, fuzz_template_huge_width);
        /* Under valgrind or a sanitizer the prefix test takes a while. */
        tcase_set_timeout(robust, 300);
        tcase_set_timeout(slha, 60);
        suite_add_tcase(s, slha);
        suite_add_tcase(s, table);
        suite_add_tcase(s, robust);
        suite_add_tcase(s, fuzz);
        return s;
}

int main(void)
{
        SRunner *sr;
        int failed;

        snprintf(cases, sizeof(cases), "%s/tests/cases/slha", top_srcdir());
        sr = srunner_create(slha_suite());
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
