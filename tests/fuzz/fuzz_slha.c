/*
 * fuzz_slha.c - libFuzzer harness of the SLHA reader (src/slha.c).
 *
 * Each input is an SLHA file, parsed by mls_slha_parse() from the @len bytes libFuzzer gives
 * (not NUL-terminated: AddressSanitizer sees any read past the end). A refused text must come
 * with a message "line N: ...". A parsed file is then asked for everything the getters offer:
 *   - fixed addresses that real spectra have (MASS 25, SPINFO 3/4, DECAY 25 -> b b~, ALPHA's bare
 *     value, GAUGE at Q = 1000) and out-of-range ones (negative, too many indices, NULL arrays,
 *     unknown keywords);
 *   - addresses taken from the input itself: the names after BLOCK, the pdg codes after DECAY
 *     and the integers of the lines below them, as indices and daughters; every Q= of those
 *     blocks (through mls_slha_block_q) back into mls_slha_value;
 *   - every string entry of those blocks (mls_slha_string_at until NULL);
 *   - mls_slha_number() on each token of the text.
 * The harness checks the getters' return codes against the documented ones.
 */
#include <config.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mlscan/slha.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Addresses taken from the input: at most this many names, pdg codes and integers. */
#define MAX_NAMES 8
#define MAX_INTS  12
#define NAME_MAX_ 80

struct derived {
        char names[MAX_NAMES][NAME_MAX_ + 1];
        int nnames;
        int pdgs[MAX_NAMES];
        int npdgs;
        int ints[MAX_INTS];
        int nints;
};

static void broken(const char *what, long got)
{
        fprintf(stderr, "fuzz_slha: contract broken: %s (got %ld)\n", what, got);
        abort();
}

static bool blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* small_int - the token as an int when it is a short decimal integer. */
static bool small_int(const char *s, size_t n, int *v)
{
        char buf[16], *end;
        long x;

        if (n == 0 || n >= sizeof(buf))
                return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        x = strtol(buf, &end, 10);
        if (*end || x < -1000000000L || x > 1000000000L)
                return false;
        *v = (int)x;
        return true;
}

/* derive - names after BLOCK, codes after DECAY, integers; and mls_slha_number on each token. */
static void derive(const char *text, size_t len, struct derived *d)
{
        enum { PLAIN, AFTER_BLOCK, AFTER_DECAY } want = PLAIN;
        size_t i = 0;

        memset(d, 0, sizeof(*d));
        while (i < len) {
                size_t b, n;
                double v;
                int x;

                while (i < len && blank(text[i]))
                        i++;
                for (b = i; i < len && !blank(text[i]);)
                        i++;
                n = i - b;
                if (n == 0)
                        break;
                /* the reader's number syntax, on text that ends right after the token */
                if (mls_slha_number(text + b, n, &v) != mls_slha_number(text + b, n, NULL))
                        broken("mls_slha_number differs without a result pointer", 0);
                if (want == AFTER_BLOCK && d->nnames < MAX_NAMES && n <= NAME_MAX_) {
                        memcpy(d->names[d->nnames], text + b, n);
                        d->names[d->nnames++][n] = '\0';
                } else if (want == AFTER_DECAY && d->npdgs < MAX_NAMES && small_int(text + b, n, &x)) {
                        d->pdgs[d->npdgs++] = x;
                } else if (d->nints < MAX_INTS && small_int(text + b, n, &x)) {
                        d->ints[d->nints++] = x;
                }
                want = n == 5 && strncasecmp(text + b, "block", 5) == 0   ? AFTER_BLOCK
                       : n >= 5 && strncasecmp(text + b, "decay", 5) == 0 ? AFTER_DECAY
                                                                          : PLAIN;
        }
}

static void check_value(const struct mls_slha *s, const char *block, double q, const int *idx, int n)
{
        double v = 12345.0;
        int rc = mls_slha_value(s, block, q, idx, n, &v);

        if (rc != MLS_SLHA_FOUND && rc != MLS_SLHA_NO_BLOCK && rc != MLS_SLHA_NO_ENTRY &&
            rc != MLS_SLHA_NOT_NUMBER)
                broken("mls_slha_value's return code", rc);
        if (rc != MLS_SLHA_FOUND && v != 12345.0)
                broken("mls_slha_value wrote a value it did not find", rc);
        if (mls_slha_value(s, block, q, idx, n, NULL) != rc)
                broken("mls_slha_value differs without a result pointer", rc);
}

static void check_decay(const struct mls_slha *s, const char *keyword, int pdg, const int *dau, int n)
{
        double v = -1.0;
        int rc = mls_slha_width(s, keyword, pdg, &v);

        if (rc != MLS_SLHA_FOUND && rc != MLS_SLHA_NO_BLOCK)
                broken("mls_slha_width's return code", rc);
        mls_slha_width(s, keyword, pdg, NULL);
        rc = mls_slha_br(s, keyword, pdg, dau, n, &v);
        if (rc != MLS_SLHA_FOUND && rc != MLS_SLHA_NO_BLOCK && rc != MLS_SLHA_NO_ENTRY)
                broken("mls_slha_br's return code", rc);
        mls_slha_br(s, keyword, pdg, dau, n, NULL);
}

/* strings - every string entry @index of @block, each read to its end. */
static void strings(const struct mls_slha *s, const char *block, int index)
{
        const char *str = mls_slha_string(s, block, index), *at;
        int k = 0;

        if (str != mls_slha_string_at(s, block, index, 0))
                broken("mls_slha_string is not mls_slha_string_at(0)", 0);
        for (; (at = mls_slha_string_at(s, block, index, k)); k++)
                if (strlen(at) > (size_t)-1 / 2)
                        broken("a string entry is not terminated", k);
        if (mls_slha_string_at(s, block, index, -1))
                broken("mls_slha_string_at(-1) found a string", k);
}

static void blocks(const struct mls_slha *s, const char *name, const struct derived *d)
{
        int nb = mls_slha_blocks(s, name), i;
        double q;

        if (nb < 0)
                broken("mls_slha_blocks is negative", nb);
        for (i = -1; i <= nb; i++) {
                int r = mls_slha_block_q(s, name, i, &q);

                if ((i < 0 || i == nb) ? r != -1 : (r != 0 && r != 1))
                        broken("mls_slha_block_q's return code", r);
                mls_slha_block_q(s, name, i, NULL);
                if (r == 1 && !isnan(q)) {
                        check_value(s, name, q, d->ints, d->nints > 0 ? 1 : 0);
                        check_value(s, name, q, NULL, 0);
                }
        }
        check_value(s, name, NAN, NULL, 0);
        for (int n = 1; n <= d->nints && n <= 3; n++)
                check_value(s, name, NAN, d->ints, n);
        /* each integer alone: the usual one-index entries (MASS 25) */
        for (int k = 0; k < d->nints; k++)
                check_value(s, name, NAN, &d->ints[k], 1);
        for (int k = 0; k < d->nints && k < 4; k++)
                strings(s, name, d->ints[k]);
}

static void fixed(const struct mls_slha *s)
{
        static const int mass[] = {25}, gauge[] = {1}, nine[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        static const int bb[] = {5, -5}, bbr[] = {-5, 5}, many[40] = {1, 2, 3};
        char long_name[300];

        check_value(s, "MASS", NAN, mass, 1);
        check_value(s, "mass", NAN, mass, 1);
        check_value(s, "SPINFO", NAN, gauge, 1);
        check_value(s, "ALPHA", NAN, NULL, 0);
        check_value(s, "GAUGE", 1000.0, gauge, 1);
        check_value(s, "GAUGE", 0.0, gauge, 1);
        check_value(s, "GAUGE", -INFINITY, gauge, 1);
        check_value(s, "MASS", NAN, nine, 9);
        check_value(s, "MASS", NAN, nine, 8);
        check_value(s, "MASS", NAN, mass, -1);
        check_value(s, "MASS", NAN, NULL, 1);
        check_value(s, "", NAN, mass, 1);
        check_value(s, NULL, NAN, mass, 1);
        memset(long_name, 'A', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        check_value(s, long_name, NAN, mass, 1);
        check_decay(s, "DECAY", 25, bb, 2);
        check_decay(s, "decay", 25, bbr, 2);
        check_decay(s, "DECAY1L", 25, bb, 2);
        check_decay(s, "DECAY", 25, bb, 1);
        check_decay(s, "DECAY", 25, bb, 0);
        check_decay(s, "DECAY", 25, NULL, 2);
        check_decay(s, "DECAY", 25, many, 30);
        check_decay(s, "DECAY", 25, many, 31);
        check_decay(s, "DECAY", 25, many, 40);
        check_decay(s, "BLOCK", 25, bb, 2);
        check_decay(s, NULL, 25, bb, 2);
        strings(s, "SPINFO", 3);
        strings(s, "SPINFO", 4);
        strings(s, "spinfo", 1);
        strings(s, NULL, 1);
        mls_slha_blocks(s, NULL);
        mls_slha_block_q(s, NULL, 0, NULL);
        mls_slha_block_q(s, "MASS", -5, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        struct mls_slha *s;
        struct derived d;
        char err[200], tiny[3];

        memset(err, 'x', sizeof(err));
        s = mls_slha_parse(text, size, err, sizeof(err));
        if (!s && strncmp(err, "line ", 5) != 0)
                broken("a refused text without 'line N:'", 0);
        if (!s && !memchr(err, '\0', sizeof(err)))
                broken("the message is not terminated", 0);
        /* the same outcome with a short or no message buffer */
        {
                struct mls_slha *t = mls_slha_parse(text, size, tiny, sizeof(tiny));
                struct mls_slha *u = size < 4096 ? mls_slha_parse(text, size, NULL, 0) : NULL;

                if (!t != !s || (size < 4096 && !u != !s))
                        broken("the outcome depends on the message buffer", 0);
                mls_slha_free(t);
                mls_slha_free(u);
        }
        derive(text, size, &d);
        if (!s)
                return 0;
        fixed(s);
        for (int i = 0; i < d.nnames; i++)
                blocks(s, d.names[i], &d);
        for (int i = 0; i < d.npdgs; i++) {
                check_decay(s, "DECAY", d.pdgs[i], d.ints, d.nints < 2 ? d.nints : 2);
                check_decay(s, "DECAY", d.pdgs[i], d.ints, d.nints < 3 ? d.nints : 3);
                check_decay(s, "DECAY1L", d.pdgs[i], d.ints, d.nints);
        }
        mls_slha_free(s);
        mls_slha_free(NULL);
        return 0;
}
