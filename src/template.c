/* template.c - per-point input files and arguments: literal text and parameter slots. */
#include <config.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mlscan/template.h"
#include "mlscan/util.h"

#define FMT_MAX 16

struct seg {
        char *lit; /* literal text (param < 0) */
        size_t len;
        int param; /* parameter slot, or -1 */
        char fmt[FMT_MAX];
};

struct mls_tmpl {
        int n, cap, slots;
        struct seg *seg;
};

static void add_lit(mls_tmpl *t, const char *s, size_t len)
{
        if (len == 0)
                return;
        if (t->n > 0 && t->seg[t->n - 1].param < 0) {
                struct seg *g = &t->seg[t->n - 1];

                g->lit = mls_realloc(g->lit, g->len + len + 1, 1);
                memcpy(g->lit + g->len, s, len);
                g->len += len;
                g->lit[g->len] = '\0';
                return;
        }
        if (t->n == t->cap) {
                t->cap = t->cap ? 2 * t->cap : 16;
                t->seg = mls_realloc(t->seg, (size_t)t->cap, sizeof(*t->seg));
        }
        t->seg[t->n].lit = mls_calloc(len + 1, 1);
        memcpy(t->seg[t->n].lit, s, len);
        t->seg[t->n].len = len;
        t->seg[t->n].param = -1;
        t->n++;
}

static void add_slot(mls_tmpl *t, int param, const char *fmt)
{
        if (t->n == t->cap) {
                t->cap = t->cap ? 2 * t->cap : 16;
                t->seg = mls_realloc(t->seg, (size_t)t->cap, sizeof(*t->seg));
        }
        memset(&t->seg[t->n], 0, sizeof(t->seg[t->n]));
        t->seg[t->n].param = param;
        snprintf(t->seg[t->n].fmt, FMT_MAX, "%%%s", fmt);
        t->n++;
        t->slots++;
}

void mls_tmpl_destroy(mls_tmpl **t)
{
        if (!t || !*t)
                return;
        for (int i = 0; i < (*t)->n; i++)
                free((*t)->seg[i].lit);
        free((*t)->seg);
        mls_free(t);
}

int mls_tmpl_slots(const mls_tmpl *t)
{
        return t->slots;
}

/*
 * A printf conversion for one double: flags, width, precision, one of eEfFgGaA; nothing else.
 * Width and precision have at most 3 digits: {x:999999999e} would write a gigabyte per point.
 */
static bool valid_format(const char *f)
{
        const char *s = f;
        size_t w, p = 0;

        if (strlen(f) >= FMT_MAX - 1)
                return false;
        while (*s && strchr("-+ #0", *s))
                s++;
        w = strspn(s, "0123456789");
        s += w;
        if (*s == '.') {
                p = strspn(++s, "0123456789");
                s += p;
        }
        return w <= 3 && p <= 3 && *s && strchr("eEfFgGaA", *s) && s[1] == '\0';
}

/* line and column (1-based, in bytes) of byte @off of @text */
static void where(const char *text, size_t off, size_t *line, size_t *col)
{
        *line = 1;
        *col = 1;
        for (size_t i = 0; i < off; i++) {
                if (text[i] == '\n') {
                        (*line)++;
                        *col = 1;
                } else {
                        (*col)++;
                }
        }
}

static mls_tmpl *text_fail(mls_tmpl *t, const char *text, size_t off, const char *path, char *err,
                           size_t errlen, const char *msg, const char *what)
{
        size_t line, col;
        char clean[80];
        size_t j = 0;

        for (const char *c = what; *c && j + 1 < sizeof(clean); c++)
                clean[j++] = (unsigned char)*c < 0x20 ? '?' : *c;
        clean[j] = '\0';
        where(text, off, &line, &col);
        snprintf(err, errlen, "%s:%zu:%zu: %s%s", path, line, col, msg, clean);
        mls_tmpl_destroy(&t);
        return NULL;
}

mls_tmpl *mls_tmpl_text(const char *text, size_t len, const char *const *names, int n, const char *path,
                        char *err, size_t errlen)
{
        mls_tmpl *t = mls_calloc(1, sizeof(*t));
        size_t lit = 0, i = 0;

        while (i < len) {
                if ((text[i] == '{' || text[i] == '}') && i + 1 < len && text[i + 1] == text[i]) {
                        add_lit(t, text + lit, i + 1 - lit);
                        i += 2;
                        lit = i;
                } else if (text[i] == '}') {
                        return text_fail(t, text, i, path, err, errlen,
                                         "a lone '}' (write '}}' for a literal brace)", "");
                } else if (text[i] == '{') {
                        size_t start = i, end = i + 1, colon = 0;
                        char name[128], fmt[FMT_MAX + 8];
                        int p = -1;

                        while (end < len && text[end] != '}' && text[end] != '\n' && text[end] != '{')
                                end++;
                        if (end >= len || text[end] != '}')
                                return text_fail(t, text, start, path, err, errlen,
                                                 "an unclosed '{' (write '{{' for a literal brace)", "");
                        for (size_t k = start + 1; k < end && !colon; k++)
                                if (text[k] == ':')
                                        colon = k;
                        {
                                size_t nlen = (colon ? colon : end) - start - 1;
                                size_t flen = colon ? end - colon - 1 : 0;

                                if (nlen >= sizeof(name) || flen >= sizeof(fmt))
                                        return text_fail(t, text, start, path, err, errlen,
                                                         "placeholder too long", "");
                                memcpy(name, text + start + 1, nlen);
                                name[nlen] = '\0';
                                memcpy(fmt, colon ? text + colon + 1 : "", flen);
                                fmt[flen] = '\0';
                        }
                        for (int k = 0; k < n; k++)
                                if (strcmp(names[k], name) == 0)
                                        p = k;
                        if (p < 0)
                                return text_fail(t, text, start, path, err, errlen,
                                                 "unknown parameter in placeholder: ", name);
                        if (colon && !valid_format(fmt))
                                return text_fail(
                                        t, text, start, path, err, errlen,
                                        "bad number format (expected a printf conversion such as .6e, 12.4f or g): ",
                                        fmt);
                        add_lit(t, text + lit, start - lit);
                        add_slot(t, p, colon ? fmt : ".17g");
                        i = end + 1;
                        lit = i;
                } else {
                        i++;
                }
        }
        add_lit(t, text + lit, len - lit);
        return t;
}

/* ------------------------------------------------------------------ SLHA mode */

#define MAX_TOK 16

struct tok {
        size_t start, end; /* byte offsets into the text */
};

/* tokens of the line [b, e) up to a '#'; returns how many (at most MAX_TOK) */
static int tokens(const char *text, size_t b, size_t e, struct tok *tk)
{
        int n = 0;
        size_t i = b;

        while (i < e && text[i] != '#' && n < MAX_TOK) {
                while (i < e && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
                        i++;
                if (i >= e || text[i] == '#')
                        break;
                tk[n].start = i;
                while (i < e && text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '#')
                        i++;
                tk[n++].end = i;
        }
        return n;
}

static bool tok_is(const char *text, const struct tok *t, const char *word)
{
        size_t n = strlen(word);

        return t->end - t->start == n && strncasecmp(text + t->start, word, n) == 0;
}

static bool tok_int(const char *text, const struct tok *t, int *v)
{
        char buf[24];
        char *end;
        long x;
        size_t n = t->end - t->start;

        if (n == 0 || n >= sizeof(buf))
                return false;
        memcpy(buf, text + t->start, n);
        buf[n] = '\0';
        x = strtol(buf, &end, 10);
        if (*end || x < -2147483647L || x > 2147483647L)
                return false;
        *v = (int)x;
        return true;
}

/* Does the entry line with tokens @tk[n] address set @s (indices, then one value)? */
static bool entry_matches(const char *text, const struct tok *tk, int n, const struct mls_slha_set *s)
{
        if (n != s->nidx + 1)
                return false;
        for (int i = 0; i < s->nidx; i++) {
                int v;

                if (!tok_int(text, &tk[i], &v) || v != s->idx[i])
                        return false;
        }
        return true;
}

static void add_entry_line(mls_tmpl *t, const struct mls_slha_set *s)
{
        char buf[160];
        int len = 0;

        for (int i = 0; i < s->nidx; i++)
                len += snprintf(buf + len, sizeof(buf) - (size_t)len, " %d", s->idx[i]);
        len += snprintf(buf + len, sizeof(buf) - (size_t)len, " ");
        add_lit(t, buf, (size_t)len);
        add_slot(t, s->param, ".16E");
        add_lit(t, " # set by mlscan\n", 17);
}

mls_tmpl *mls_tmpl_slha(const char *text, size_t len, const struct mls_slha_set *set, int nset,
                        const char *path, char *err, size_t errlen)
{
        size_t ns = (size_t)(nset > 0 ? nset : 1);
        mls_tmpl *t = mls_calloc(1, sizeof(*t));
        bool *present = mls_calloc(ns, sizeof(bool)); /* the entry is in the template */
        bool *has_block = mls_calloc(ns, sizeof(bool));
        bool *done = mls_calloc(ns, sizeof(bool));
        size_t lit = 0;

        (void)path;
        (void)err;
        (void)errlen;
        /* Pass 0 finds the entries and blocks the template has; pass 1 emits. Only the first
         * block of a name is edited (a LesHouches input has each block once). */
        for (int pass = 0; pass < 2; pass++) {
                bool *first = mls_calloc(ns, sizeof(bool)); /* set[s]'s block met in this pass */
                bool in_first = false;
                char block[64] = "";
                size_t b = 0;

                while (b < len) {
                        size_t e = b, next;
                        struct tok tk[MAX_TOK];
                        int n;

                        while (e < len && text[e] != '\n')
                                e++;
                        next = e < len ? e + 1 : e;
                        n = tokens(text, b, e, tk);
                        if (n >= 1 && tok_is(text, &tk[0], "block")) {
                                size_t nl = n >= 2 ? tk[1].end - tk[1].start : 0;

                                if (nl >= sizeof(block))
                                        nl = sizeof(block) - 1;
                                memcpy(block, n >= 2 ? text + tk[1].start : "", nl);
                                block[nl] = '\0';
                                in_first = true;
                                for (int s = 0; s < nset; s++) {
                                        if (strcasecmp(set[s].block, block) != 0)
                                                continue;
                                        if (first[s])
                                                in_first = false;
                                        first[s] = true;
                                        has_block[s] = true;
                                }
                                if (pass == 1 && in_first) {
                                        /* right after the header: the entries this block lacks */
                                        add_lit(t, text + lit, next - lit);
                                        if (next == e)
                                                add_lit(t, "\n", 1);
                                        lit = next;
                                        for (int s = 0; s < nset; s++)
                                                if (!present[s] && !done[s] &&
                                                    strcasecmp(set[s].block, block) == 0) {
                                                        add_entry_line(t, &set[s]);
                                                        done[s] = true;
                                                }
                                }
                        } else if (n >= 1 &&
                                   (tok_is(text, &tk[0], "decay") || tok_is(text, &tk[0], "decay1l"))) {
                                block[0] = '\0';
                        } else if (block[0] && in_first && n >= 1) {
                                for (int s = 0; s < nset; s++) {
                                        if (strcasecmp(set[s].block, block) != 0 ||
                                            !entry_matches(text, tk, n, &set[s]) || done[s])
                                                continue;
                                        if (pass == 0) {
                                                present[s] = true;
                                        } else {
                                                add_lit(t, text + lit, tk[n - 1].start - lit);
                                                add_slot(t, set[s].param, ".16E");
                                                lit = tk[n - 1].end;
                                                done[s] = true;
                                        }
                                }
                        }
                        b = next;
                }
                free(first);
        }
        add_lit(t, text + lit, len - lit);
        /* blocks the template lacks are appended, with their entries */
        for (int s = 0; s < nset; s++) {
                if (done[s])
                        continue;
                if (len > 0 && text[len - 1] != '\n' && lit == len) {
                        add_lit(t, "\n", 1);
                        lit = len + 1;
                }
                /* piece by piece: a block name may be of any length */
                add_lit(t, "BLOCK ", 6);
                add_lit(t, set[s].block, strlen(set[s].block));
                add_lit(t, " # added by mlscan\n", 19);
                for (int r = s; r < nset; r++)
                        if (!done[r] && strcasecmp(set[r].block, set[s].block) == 0) {
                                add_entry_line(t, &set[r]);
                                done[r] = true;
                        }
        }
        free(present);
        free(has_block);
        free(done);
        return t;
}

size_t mls_tmpl_render(const mls_tmpl *t, const double *x, char **buf, size_t *cap)
{
        size_t len = 0;

        for (int i = 0; i < t->n; i++) {
                const struct seg *g = &t->seg[i];
                size_t need = g->param < 0 ? g->len : 64;

                if (len + need + 1 > *cap) {
                        *cap = 2 * (len + need + 1);
                        *buf = mls_realloc(*buf, *cap, 1);
                }
                if (g->param < 0) {
                        memcpy(*buf + len, g->lit, g->len);
                        len += g->len;
                } else {
                        int w = snprintf(*buf + len, *cap - len, g->fmt, x[g->param]);

                        if (w < 0)
                                w = 0;
                        if ((size_t)w >= *cap - len) {
                                *cap = 2 * (len + (size_t)w + 1);
                                *buf = mls_realloc(*buf, *cap, 1);
                                w = snprintf(*buf + len, *cap - len, g->fmt, x[g->param]);
                        }
                        len += (size_t)w;
                }
        }
        if (len + 1 > *cap) {
                *cap = len + 1;
                *buf = mls_realloc(*buf, *cap, 1);
        }
        (*buf)[len] = '\0';
        return len;
}
