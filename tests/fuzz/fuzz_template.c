/*
 * fuzz_template.c - libFuzzer harness of the template renderer (src/template.c).
 *
 * Each input is compiled twice from the @len bytes libFuzzer gives (not NUL-terminated:
 * AddressSanitizer sees any read past the end), and each compiled template rendered for a few
 * points (ordinary values, 0, -0, NaN, infinities, the extremes of double):
 *   - as a text template with {name} / {name:fmt} placeholders naming the parameters
 *     x, y, tanb, m0, _a1 and a 127-character name (mls_tmpl_text); a refused template must come
 *     with a message "path:line:col: ...";
 *   - as an SLHA template (mls_tmpl_slha) setting fixed entries (MINPAR 1 and 3, EXTPAR 23,
 *     SMINPUTS 5, a two-index entry of MSQ2) and the entries of a first line
 *     `#set NAME i j ...; NAME i ...` of the input (block names as long as the input makes them),
 *     as a run card's physics.templates[].set would.
 * A template without slots must render the same text for every point; an SLHA template must
 * render each set entry's value.
 */
#include <config.h>

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mlscan/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH     "/tmp/fuzz/template.in"
#define NPARAMS  6
#define MAX_SETS 12

static char long_param[128];
static const char *names[NPARAMS] = {"x", "y", "tanb", "m0", "_a1", long_param};

static const double points[][NPARAMS] = {
        {1.5, -2.25, 10.0, 1000.0, 0.0, 3.0},
        {-0.0, 1e-300, -1e300, DBL_MAX, -DBL_MAX, DBL_MIN},
        {NAN, INFINITY, -INFINITY, -NAN, 4.9406564584124654e-324, 123456789012345678.0},
};
#define NPOINTS ((int)(sizeof(points) / sizeof(points[0])))

static void broken(const char *what, const char *detail)
{
        fprintf(stderr, "fuzz_template: contract broken: %s (%s)\n", what, detail);
        abort();
}

static bool contains(const char *s, size_t n, const char *word)
{
        size_t w = strlen(word);

        for (size_t i = 0; i + w <= n; i++)
                if (!memcmp(s + i, word, w))
                        return true;
        return false;
}

static void render(const mls_tmpl *t, bool slots_expected)
{
        char *first = NULL, *buf = NULL;
        size_t cap = 0, n0 = 0;

        if (mls_tmpl_slots(t) < 0 || (!slots_expected && mls_tmpl_slots(t) != 0))
                broken("mls_tmpl_slots", "");
        for (int p = 0; p < NPOINTS; p++) {
                size_t n = mls_tmpl_render(t, points[p], &buf, &cap);

                if (n >= cap || buf[n] != '\0')
                        broken("the rendered text is not terminated within its buffer", "");
                if (p == 0) {
                        first = malloc(n + 1);
                        memcpy(first, buf, n + 1);
                        n0 = n;
                } else if (mls_tmpl_slots(t) == 0 && (n != n0 || memcmp(first, buf, n) != 0)) {
                        broken("a template without slots renders differently per point", "");
                }
        }
        /* rendering again into the same (now large enough) buffer */
        mls_tmpl_render(t, points[0], &buf, &cap);
        free(first);
        free(buf);
}

/* sets - the fixed entries, then those of a first line "#set NAME i j; NAME i" (up to MAX_SETS). */
static int sets(const char *text, size_t len, struct mls_slha_set *set, char blocks[][256])
{
        static const struct {
                const char *block;
                int nidx, idx[2];
        } fixed[] = {{"MINPAR", 1, {1}},
                     {"MINPAR", 1, {3}},
                     {"EXTPAR", 1, {23}},
                     {"SMINPUTS", 1, {5}},
                     {"MSQ2", 2, {1, 1}}};
        int n = 0;
        size_t i = 5, e = 0;

        memset(set, 0, MAX_SETS * sizeof(*set));
        for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++, n++) {
                snprintf(blocks[n], 256, "%s", fixed[k].block);
                set[n].block = blocks[n];
                set[n].param = n % NPARAMS;
                set[n].nidx = fixed[k].nidx;
                memcpy(set[n].idx, fixed[k].idx, sizeof(fixed[k].idx));
        }
        if (len < 5 || memcmp(text, "#set ", 5) != 0)
                return n;
        while (e < len && text[e] != '\n')
                e++;
        while (i < e && n < MAX_SETS) {
                size_t b;

                while (i < e && (text[i] == ' ' || text[i] == ';'))
                        i++;
                for (b = i; i < e && text[i] != ' ' && text[i] != ';';)
                        i++;
                if (i == b)
                        break;
                if (isalpha((unsigned char)text[b]) || text[b] == '_') {
                        /* a block name: as a card would pass it, letters, digits and '_' */
                        size_t bl = i - b < 255 ? i - b : 255;

                        for (size_t k = 0; k < bl; k++)
                                blocks[n][k] = isalnum((unsigned char)text[b + k]) ? text[b + k] : '_';
                        blocks[n][bl] = '\0';
                        set[n].block = blocks[n];
                        set[n].param = n % NPARAMS;
                        set[n].nidx = 0;
                        n++;
                } else if (n > 5 && set[n - 1].nidx < MLS_CARD_MAX_INDICES) {
                        char num[16];
                        size_t nl = i - b < 15 ? i - b : 15;

                        long v;

                        memcpy(num, text + b, nl);
                        num[nl] = '\0';
                        v = strtol(num, NULL, 10);
                        /* the card's range of an index */
                        v = v < -2147483647L ? -2147483647L : v > 2147483647L ? 2147483647L : v;
                        set[n - 1].idx[set[n - 1].nidx++] = (int)v;
                }
        }
        /* a set entry has at least one index (the card requires [BLOCK, index, ...]) */
        for (int k = 5; k < n; k++)
                if (set[k].nidx == 0)
                        set[k].idx[set[k].nidx++] = 1;
        /* and no entry twice (the card refuses that too): a later duplicate is dropped */
        for (int k = 5; k < n; k++) {
                bool dup = false;

                for (int j = 0; j < k && !dup; j++)
                        dup = !strcasecmp(set[j].block, set[k].block) && set[j].nidx == set[k].nidx &&
                              !memcmp(set[j].idx, set[k].idx, sizeof(int) * (size_t)set[k].nidx);
                if (dup) {
                        memmove(blocks[k], blocks[k + 1], (size_t)(n - k - 1) * sizeof(blocks[0]));
                        memmove(&set[k], &set[k + 1], (size_t)(n - k - 1) * sizeof(set[0]));
                        for (int j = k; j < n - 1; j++)
                                set[j].block = blocks[j];
                        n--;
                        k--;
                }
        }
        return n;
}

static void text_mode(const char *text, size_t size)
{
        char err[1024];
        mls_tmpl *t;

        memset(err, 'x', sizeof(err));
        t = mls_tmpl_text(text, size, names, NPARAMS, PATH, err, sizeof(err));
        if (!t) {
                if (strncmp(err, PATH ":", strlen(PATH) + 1) != 0 || !memchr(err, '\0', sizeof(err)))
                        broken("a refused template without 'path:line:col:'", err);
                for (const char *c = err; *c; c++)
                        if ((unsigned char)*c < 0x20)
                                broken("the message is not one line", err);
                return;
        }
        render(t, true);
        mls_tmpl_destroy(&t);
        if (t)
                broken("mls_tmpl_destroy left the pointer", "");
        /* no parameters at all: every placeholder is unknown */
        t = mls_tmpl_text(text, size, NULL, 0, PATH, err, sizeof(err));
        if (t) {
                render(t, false);
                mls_tmpl_destroy(&t);
        }
}

static void slha_mode(const char *text, size_t size)
{
        struct mls_slha_set set[MAX_SETS];
        char blocks[MAX_SETS][256], err[1024] = "";
        int n = sets(text, size, set, blocks);
        mls_tmpl *t = mls_tmpl_slha(text, size, set, n, PATH, err, sizeof(err));
        char *buf = NULL;
        size_t cap = 0, len;

        if (!t)
                broken("an SLHA template was refused", err);
        if (mls_tmpl_slots(t) < n)
                broken("an SLHA template with fewer slots than set entries", "");
        render(t, true);
        /* each set entry is written with .16E: 1.5000000000000000E+00 appears */
        len = mls_tmpl_render(t, points[0], &buf, &cap);
        if (!contains(buf, len, "1.5000000000000000E+00"))
                broken("the value of x is not in the rendered SLHA file", "");
        free(buf);
        mls_tmpl_destroy(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;

        if (!long_param[0]) {
                memset(long_param, 'p', sizeof(long_param) - 1);
                long_param[sizeof(long_param) - 1] = '\0';
        }
        text_mode(text, size);
        slha_mode(text, size);
        return 0;
}
