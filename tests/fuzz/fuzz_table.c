/*
 * fuzz_table.c - libFuzzer harness of the results-table and text readers (src/table.c).
 *
 * Each input is read both ways, from the @len bytes libFuzzer gives (not NUL-terminated:
 * AddressSanitizer sees any read past the end):
 *   - as a table (HiggsBounds_results.dat, HiggsSignals_results.dat): mls_table_parse(), then
 *     mls_table_rows(), mls_table_column() of fixed names (HBresult, obsratio, csq(tot), ...)
 *     and of the input's own words, and mls_table_value() at rows -2 .. rows and around
 *     INT_MIN / INT_MAX, at columns -1 .. the longest row and at every named column;
 *   - as `name value` text: mls_text_value() of fixed names and of the first word of each of
 *     the first lines (cut at '=' or ':' as the reader cuts names).
 * The return codes are checked against the documented ones; a refused table must come with a
 * message "line N: ...".
 */
#include <config.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORDS 24
#define WORD_MAX  64

static void broken(const char *what, long got)
{
        fprintf(stderr, "fuzz_table: contract broken: %s (got %ld)\n", what, got);
        abort();
}

static bool blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * words - up to MAX_WORDS words of @text: every blank-separated word of the first comment line
 * (where a `#cols:` header is) and the first word of each line, cut at '=' or ':'.
 */
static int words(const char *text, size_t len, char w[][WORD_MAX + 1])
{
        size_t i = 0;
        int n = 0;
        bool header_done = false;

        while (i < len && n < MAX_WORDS) {
                size_t e = i;
                bool header;

                while (e < len && text[e] != '\n')
                        e++;
                while (i < e && blank(text[i]))
                        i++;
                header = !header_done && i < e && text[i] == '#';
                header_done = header_done || header;
                if (header)
                        i++;
                for (bool first = true; i < e && n < MAX_WORDS && (first || header); first = false) {
                        size_t b;

                        while (i < e && blank(text[i]))
                                i++;
                        for (b = i;
                             i < e && !blank(text[i]) && (header || (text[i] != '=' && text[i] != ':'));)
                                i++;
                        if (i > b && i - b <= WORD_MAX) {
                                memcpy(w[n], text + b, i - b);
                                w[n++][i - b] = '\0';
                        }
                }
                i = e + 1;
        }
        return n;
}

static void check_value(const struct mls_table *t, int row, int col)
{
        double v = 12345.0;
        int rc = mls_table_value(t, row, col, &v);

        if (rc != 0 && rc != -1)
                broken("mls_table_value's return code", rc);
        if (rc != 0 && v != 12345.0)
                broken("mls_table_value wrote a value it did not find", rc);
        if (mls_table_value(t, row, col, NULL) != rc)
                broken("mls_table_value differs without a result pointer", rc);
}

static void table(const char *text, size_t size, char w[][WORD_MAX + 1], int nw)
{
        static const char *const names[] = {"HBresult",  "chan",   "obsratio", "ncomb", "csq(tot)", "csq(mu)",
                                            "nobs(tot)", "Pvalue", "a",        "",      "cols:",    "#cols:"};
        static const int rows[] = {-2, -1, 0, 1, 2, INT_MIN, INT_MIN + 1, INT_MAX, INT_MAX - 1};
        struct mls_table *t;
        char err[200], tiny[2];
        int nrows, maxcol = 8;

        memset(err, 'x', sizeof(err));
        t = mls_table_parse(text, size, err, sizeof(err));
        {
                struct mls_table *u = mls_table_parse(text, size, tiny, sizeof(tiny));

                if (!u != !t)
                        broken("the outcome depends on the message buffer", 0);
                mls_table_free(u);
        }
        if (!t) {
                if (strncmp(err, "line ", 5) != 0 || !memchr(err, '\0', sizeof(err)))
                        broken("a refused table without 'line N:'", 0);
                if (mls_table_rows(t) != 0 || mls_table_column(t, "a") != -1 ||
                    mls_table_value(t, 0, 0, NULL) != -1)
                        broken("the getters on NULL", 0);
                return;
        }
        nrows = mls_table_rows(t);
        if (nrows < 1)
                broken("a parsed table without rows", nrows);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                int c = mls_table_column(t, names[i]);

                if (c < -1)
                        broken("mls_table_column's return code", c);
                if (c >= 0) {
                        check_value(t, -1, c);
                        check_value(t, 0, c);
                }
        }
        if (mls_table_column(t, NULL) != -1)
                broken("mls_table_column(NULL)", 0);
        for (int i = 0; i < nw; i++) {
                int c = mls_table_column(t, w[i]);

                if (c < -1)
                        broken("mls_table_column's return code", c);
                if (c > maxcol && c < 1000)
                        maxcol = c;
                if (c >= 0)
                        check_value(t, -1, c);
        }
        for (int r = -2; r <= nrows && r < 64; r++)
                for (int c = -1; c <= maxcol + 1; c++)
                        check_value(t, r, c);
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                check_value(t, rows[i], 0);
                check_value(t, rows[i], INT_MAX);
                check_value(t, rows[i], INT_MIN);
        }
        check_value(t, nrows - 1, 0);
        check_value(t, nrows, 0);
        mls_table_free(t);
}

static void text_values(const char *text, size_t size, char w[][WORD_MAX + 1], int nw)
{
        static const char *const names[] = {"L", "Omega", "csq", "omega_h2", "chi2",
                                            "=", ":",     "#",   "a b",      ""};

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                double v = 12345.0;
                int rc = mls_text_value(text, size, names[i], &v);

                if (rc != 0 && rc != -1 && rc != -2)
                        broken("mls_text_value's return code", rc);
                if (rc != 0 && v != 12345.0)
                        broken("mls_text_value wrote a value it did not find", rc);
                if (mls_text_value(text, size, names[i], NULL) != rc)
                        broken("mls_text_value differs without a result pointer", rc);
        }
        if (mls_text_value(text, size, NULL, NULL) != -1)
                broken("mls_text_value(NULL name)", 0);
        for (int i = 0; i < nw; i++) {
                double v;
                int rc = mls_text_value(text, size, w[i], &v);

                if (rc != 0 && rc != -1 && rc != -2)
                        broken("mls_text_value's return code", rc);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        char w[MAX_WORDS][WORD_MAX + 1];
        int nw = words(text, size, w);

        table(text, size, w, nw);
        text_values(text, size, w, nw);
        return 0;
}
