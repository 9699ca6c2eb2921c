/*
 * table.c - results tables with a `#cols:` header (HiggsBounds, HiggsSignals) and plain
 * `name value` text, read in one pass over text that need not be NUL-terminated.
 */
#include <config.h>

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mlscan/slha.h"
#include "mlscan/table.h"
#include "mlscan/util.h"

/* Characters of a bad token quoted in an error message. */
#define QUOTE_MAX 32

struct mls_table {
        char **names; /* the header's column names */
        int ncols;    /* 0: no header */
        double *v;    /* the rows' values, one row after the other */
        size_t nv, capv;
        size_t *first; /* row i is v[first[i] .. first[i] + len[i]) */
        int *len;
        int nrows, caprows;
        int capcols;
};

struct tok {
        const char *s;
        size_t n;
};

/* The text not yet read, and the current line. */
struct lines {
        const char *next, *end;
        const char *s, *e; /* the current line, without its '\n' */
        long line;         /* its 1-based number */
};

static bool is_blank(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bool next_line(struct lines *l)
{
        const char *nl;

        if (l->next >= l->end)
                return false;
        nl = memchr(l->next, '\n', (size_t)(l->end - l->next));
        l->s = l->next;
        l->e = nl ? nl : l->end;
        l->next = nl ? nl + 1 : l->end;
        l->line++;
        return true;
}

/* next_token - the next blank-separated token of [*@p, @e) into @t, advancing *@p; false at @e. */
static bool next_token(const char **p, const char *e, struct tok *t)
{
        const char *q = *p;

        while (q < e && is_blank(*q))
                q++;
        if (q >= e) {
                *p = q;
                return false;
        }
        t->s = q;
        while (q < e && !is_blank(*q))
                q++;
        t->n = (size_t)(q - t->s);
        *p = q;
        return true;
}

/* skip_blanks - the first non-blank of [@p, @e), or @e. */
static const char *skip_blanks(const char *p, const char *e)
{
        while (p < e && is_blank(*p))
                p++;
        return p;
}

/* ------------------------------------------------------------------ tables */

static bool fail(char *err, size_t errlen, long line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Writes "line N: message" into @err (if any); returns false. */
static bool fail(char *err, size_t errlen, long line, const char *fmt, ...)
{
        char what[256];
        va_list ap;

        if (!err || errlen == 0)
                return false;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        snprintf(err, errlen, "line %ld: %s", line > 0 ? line : 1, what);
        return false;
}

static void add_name(struct mls_table *t, const struct tok *k)
{
        char *name;

        if (t->ncols == INT_MAX)
                return;
        if (t->ncols == t->capcols) {
                t->capcols = t->capcols ? 2 * t->capcols : 16;
                t->names = mls_realloc(t->names, (size_t)t->capcols, sizeof(char *));
        }
        name = mls_calloc(k->n + 1, 1);
        memcpy(name, k->s, k->n);
        t->names[t->ncols++] = name;
}

/*
 * header - if the comment [@p, @e) (after its '#') is the `cols` line, take its names. Accepted:
 * `cols: a b`, `cols a b`, `cols : a b`, `cols:a b`, in any case.
 */
static bool header(struct mls_table *t, const char *p, const char *e)
{
        struct tok k;

        if (!next_token(&p, e, &k) || k.n < 4 || strncasecmp(k.s, "cols", 4) != 0)
                return false;
        if (k.n > 4 && k.s[4] != ':')
                return false;
        if (k.n > 5) { /* `cols:a`: the first name is glued on */
                k.s += 5;
                k.n -= 5;
                add_name(t, &k);
        } else if (k.n == 4 && (p = skip_blanks(p, e)) < e && *p == ':') {
                p++;
        }
        while (next_token(&p, e, &k))
                add_name(t, &k);
        return true;
}

/* quote - @k for a message: at most QUOTE_MAX characters, anything unprintable as '?'. */
static void quote(const struct tok *k, char *buf, size_t size)
{
        size_t n = k->n < size - 1 ? k->n : size - 1;

        for (size_t i = 0; i < n; i++)
                buf[i] = k->s[i] >= 0x20 && k->s[i] < 0x7f ? k->s[i] : '?';
        buf[n] = '\0';
}

/* add_row - the data row [@p, @e) as the next row of @t; false (message written) for a bad token. */
static bool add_row(struct mls_table *t, const char *p, const char *e, const struct lines *l, char *err,
                    size_t errlen)
{
        const char *hash = memchr(p, '#', (size_t)(e - p));
        size_t first = t->nv;
        struct tok k;
        double x;

        e = hash ? hash : e;
        while (next_token(&p, e, &k)) {
                if (!mls_slha_number(k.s, k.n, &x)) {
                        char q[QUOTE_MAX + 1];

                        quote(&k, q, sizeof(q));
                        return fail(err, errlen, l->line, "'%s%s' in a data row is not a number", q,
                                    k.n > QUOTE_MAX ? "..." : "");
                }
                if (t->nv == t->capv) {
                        t->capv = t->capv ? 2 * t->capv : 64;
                        t->v = mls_realloc(t->v, t->capv, sizeof(double));
                }
                t->v[t->nv++] = x;
        }
        if (t->nv - first > INT_MAX || t->nrows == INT_MAX)
                return fail(err, errlen, l->line, "the table is too large");
        if (t->nrows == t->caprows) {
                t->caprows = t->caprows ? 2 * t->caprows : 16;
                t->first = mls_realloc(t->first, (size_t)t->caprows, sizeof(size_t));
                t->len = mls_realloc(t->len, (size_t)t->caprows, sizeof(int));
        }
        t->first[t->nrows] = first;
        t->len[t->nrows++] = (int)(t->nv - first);
        return true;
}

struct mls_table *mls_table_parse(const char *text, size_t len, char *err, size_t errlen)
{
        struct mls_table *t = mls_calloc(1, sizeof(*t));
        struct lines l = {.next = text, .end = text ? text + len : text};
        bool ok = true, named = false;

        if (err && errlen)
                err[0] = '\0';
        while (ok && next_line(&l)) {
                const char *p = skip_blanks(l.s, l.e);

                if (p == l.e)
                        continue;
                if (*p == '#') {
                        if (!named)
                                named = header(t, p + 1, l.e);
                        continue;
                }
                ok = add_row(t, p, l.e, &l, err, errlen);
        }
        if (ok && t->nrows == 0)
                ok = fail(err, errlen, l.line, "no data row in the table");
        if (!ok) {
                mls_table_free(t);
                return NULL;
        }
        return t;
}

void mls_table_free(struct mls_table *t)
{
        if (!t)
                return;
        for (int i = 0; i < t->ncols; i++)
                free(t->names[i]);
        mls_free(&t->names);
        mls_free(&t->v);
        mls_free(&t->first);
        mls_free(&t->len);
        free(t);
}

int mls_table_column(const struct mls_table *t, const char *name)
{
        if (!t || !name)
                return -1;
        for (int i = 0; i < t->ncols; i++)
                if (strcmp(t->names[i], name) == 0)
                        return i;
        return -1;
}

int mls_table_value(const struct mls_table *t, int row, int col, double *v)
{
        if (!t)
                return -1;
        if (row == -1)
                row = t->nrows - 1;
        if (row < 0 || row >= t->nrows || col < 0 || col >= t->len[row])
                return -1;
        if (v)
                *v = t->v[t->first[row] + (size_t)col];
        return 0;
}

int mls_table_rows(const struct mls_table *t)
{
        return t ? t->nrows : 0;
}

/* ------------------------------------------------------------------ name value */

int mls_text_value(const char *text, size_t len, const char *name, double *v)
{
        struct lines l = {.next = text, .end = text ? text + len : text};
        size_t n = name ? strlen(name) : 0;

        if (n == 0)
                return -1;
        while (next_line(&l)) {
                const char *hash = memchr(l.s, '#', (size_t)(l.e - l.s));
                const char *e = hash ? hash : l.e, *p = skip_blanks(l.s, e), *q = p;
                struct tok k;

                while (q < e && !is_blank(*q) && *q != '=' && *q != ':')
                        q++;
                if ((size_t)(q - p) != n || memcmp(p, name, n) != 0)
                        continue;
                q = skip_blanks(q, e);
                if (q < e && (*q == '=' || *q == ':'))
                        q++;
                if (!next_token(&q, e, &k) || !mls_slha_number(k.s, k.n, v))
                        return -2;
                return 0;
        }
        return -1;
}
