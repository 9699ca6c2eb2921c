/*
 * seed.c - points evaluated before this run, from a CSV file or an earlier mlscan output (whose
 * HDF5 half is src/store_read.c): columns matched by name, then the common part, which maps the
 * parameters into the unit cube and drops rows outside the card's ranges.
 */
#include <config.h>

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mlscan/log.h"
#include "mlscan/physics.h"
#include "mlscan/seed.h"
#include "mlscan/space.h"
#include "mlscan/util.h"
#include "store_read.h"

/* Relative slack of the range check: a value printed at a bound may round just past it. */
#define RANGE_TOL 1e-12

/* The CSV being read; fields point into the text, which is cut up in place. */
struct csv {
        const char *path;
        char *err;
        size_t errlen;
        char *next;       /* the text not yet split into lines */
        long line;        /* 1-based number of the current line */
        int nfields, cap; /* fields of the current line; room in field[] */
        char **field;     /* the current line's fields, trimmed */
        int ncols;        /* fields of the header line */
        int d, m;         /* parameters, observables */
        int *col;         /* header column of parameter j (j < d), observable d + k; -1: absent */
        int status_col;   /* the "status" column, or -1 */
        int64_t cap_rows; /* room in the arrays of the output */
};

static mls_rc csv_fail(struct csv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "path:line: message" into the caller's buffer; returns MLS_ERR_CONFIG. Never jumps. */
static mls_rc csv_fail(struct csv *c, const char *fmt, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        snprintf(c->err, c->errlen, "%s:%ld: %s", c->path, c->line, what);
        return MLS_ERR_CONFIG;
}

static bool is_blank(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* trim - @s without the blanks around it and without one pair of surrounding double quotes. */
static char *trim(char *s)
{
        size_t n;

        while (is_blank(*s))
                s++;
        n = strlen(s);
        while (n > 0 && is_blank(s[n - 1]))
                s[--n] = '\0';
        if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
                s[n - 1] = '\0';
                s++;
        }
        return s;
}

/* next_line - the next line that is neither blank nor a '#' comment, NUL-terminated; NULL at the end. */
static char *next_line(struct csv *c)
{
        while (c->next) {
                char *s = c->next, *nl = strchr(s, '\n');

                c->line++;
                if (nl) {
                        *nl = '\0';
                        c->next = nl + 1;
                } else {
                        c->next = NULL;
                }
                while (is_blank(*s))
                        s++;
                if (*s != '\0' && *s != '#')
                        return s;
                if (!c->next || *c->next == '\0') /* no line after the last newline */
                        c->next = NULL;
        }
        return NULL;
}

/* split - cut @s at its commas into c->field[0 .. c->nfields). */
static void split(struct csv *c, char *s)
{
        c->nfields = 0;
        for (;;) {
                char *comma = strchr(s, ',');

                if (c->nfields == c->cap) {
                        c->cap = c->cap ? 2 * c->cap : 16;
                        c->field = mls_realloc(c->field, (size_t)c->cap, sizeof(char *));
                }
                if (comma)
                        *comma = '\0';
                c->field[c->nfields++] = trim(s);
                if (!comma)
                        return;
                s = comma + 1;
        }
}

/* find_column - the header column called @name, -1 if none; a name given twice is an error. */
static mls_rc find_column(struct csv *c, const char *name, int *col)
{
        *col = -1;
        for (int i = 0; i < c->nfields; i++) {
                if (strcmp(c->field[i], name) != 0)
                        continue;
                if (*col >= 0)
                        return csv_fail(c, "column '%s' appears twice in the header", name);
                *col = i;
        }
        return MLS_OK;
}

static mls_rc read_header(struct csv *c, const struct mls_card *card, const char *const *obs_names)
{
        char *s = next_line(c);
        mls_rc rc;

        if (!s)
                return csv_fail(c, "no header line: the file is empty or holds only comments");
        split(c, s);
        c->ncols = c->nfields;
        c->col = mls_calloc((size_t)(c->d + c->m), sizeof(int));
        for (int j = 0; j < c->d; j++) {
                if ((rc = find_column(c, card->params[j].name, &c->col[j])) != MLS_OK)
                        return rc;
                if (c->col[j] < 0)
                        return csv_fail(c, "no column '%s' (a parameter of the card) in the header",
                                        card->params[j].name);
        }
        for (int k = 0; k < c->m; k++) {
                if ((rc = find_column(c, obs_names[k], &c->col[c->d + k])) != MLS_OK)
                        return rc;
                if (c->col[c->d + k] < 0)
                        return csv_fail(c, "no column '%s' (an observable) in the header", obs_names[k]);
        }
        return find_column(c, "status", &c->status_col);
}

/* parse_number - the whole of @s as a double (strtod's syntax, so "nan" and "inf" too). */
static bool parse_number(const char *s, double *v)
{
        char *end;

        if (*s == '\0')
                return false;
        *v = strtod(s, &end);
        return *end == '\0';
}

/* parse_status - a status name of mls_status_name() (any case) or its number; empty is "ok". */
static mls_rc parse_status(struct csv *c, const char *s, int8_t *st)
{
        char known[256] = "";
        char *end;
        long v;

        if (*s == '\0') {
                *st = MLS_ST_OK;
                return MLS_OK;
        }
        v = strtol(s, &end, 10);
        if (*end == '\0' && v >= 0 && v < MLS_ST_COUNT) {
                *st = (int8_t)v;
                return MLS_OK;
        }
        for (int i = 0; i < MLS_ST_COUNT; i++) {
                if (strcasecmp(s, mls_status_name(i)) == 0) {
                        *st = (int8_t)i;
                        return MLS_OK;
                }
                strncat(known, mls_status_name(i), sizeof(known) - strlen(known) - 3);
                strcat(known, ", ");
        }
        return csv_fail(c, "unknown status '%s' (known: %sor 0 to %d)", s, known, MLS_ST_COUNT - 1);
}

static void grow(struct csv *c, struct mls_seed *s)
{
        if (s->n < c->cap_rows)
                return;
        c->cap_rows = c->cap_rows ? 2 * c->cap_rows : 256;
        s->u = mls_realloc(s->u, (size_t)c->cap_rows * (size_t)c->d, sizeof(double));
        s->obs = mls_realloc(s->obs, (size_t)c->cap_rows * (size_t)c->m, sizeof(double));
        s->status = mls_realloc(s->status, (size_t)c->cap_rows, sizeof(int8_t));
}

/* read_row - the fields of the current line as row s->n: physical values in ->u for now. */
static mls_rc read_row(struct csv *c, const struct mls_card *card, const char *const *obs_names,
                       struct mls_seed *s)
{
        double *x, *obs;
        mls_rc rc;

        if (c->nfields != c->ncols)
                return csv_fail(c, "%d fields, but the header has %d", c->nfields, c->ncols);
        grow(c, s);
        x = s->u + s->n * c->d;
        obs = s->obs + s->n * c->m;
        for (int j = 0; j < c->d; j++) {
                const char *f = c->field[c->col[j]];

                if (!parse_number(f, &x[j]) || !isfinite(x[j]))
                        return csv_fail(c, "column '%s': '%s' is not a finite number", card->params[j].name,
                                        f);
        }
        for (int k = 0; k < c->m; k++) {
                const char *f = c->field[c->col[c->d + k]];

                if (*f == '\0')
                        obs[k] = NAN;
                else if (!parse_number(f, &obs[k]))
                        return csv_fail(c, "column '%s': '%s' is not a number", obs_names[k], f);
        }
        s->status[s->n] = MLS_ST_OK;
        if (c->status_col >= 0 && (rc = parse_status(c, c->field[c->status_col], &s->status[s->n])) != MLS_OK)
                return rc;
        s->n++;
        return MLS_OK;
}

static mls_rc read_csv(const char *path, const struct mls_card *card, int m, const char *const *obs_names,
                       struct mls_seed *s, char *err, size_t errlen)
{
        struct csv c = {.path = path, .err = err, .errlen = errlen, .d = card->nparams, .m = m};
        char *text = NULL, *line;
        size_t len = 0;
        mls_rc rc;

        if (mls_read_file(path, &text, &len, err, errlen) != 0)
                return MLS_ERR_IO;
        c.next = text;
        s->d = c.d;
        s->m = m;
        rc = read_header(&c, card, obs_names);
        while (rc == MLS_OK && (line = next_line(&c))) {
                split(&c, line);
                rc = read_row(&c, card, obs_names, s);
        }
        free(c.col);
        free(c.field);
        free(text);
        return rc;
}

/* in_range - @x within the range of @p, give or take RANGE_TOL of the bounds' size. */
static bool in_range(const struct mls_param *p, double x)
{
        double tol = RANGE_TOL * fmax(fabs(p->lo), fabs(p->hi));

        return x >= p->lo - tol && x <= p->hi + tol;
}

/* keep_in_range - map ->u from physical values into the unit cube, dropping rows out of range. */
static void keep_in_range(const struct mls_card *card, struct mls_seed *s)
{
        int d = s->d, m = s->m;
        int64_t kept = 0;

        for (int64_t i = 0; i < s->n; i++) {
                double *u = s->u + kept * d;
                bool ok = true, finite = true;

                for (int j = 0; j < d && ok; j++)
                        ok = in_range(&card->params[j], s->u[i * d + j]);
                if (!ok) {
                        s->skipped++;
                        continue;
                }
                for (int j = 0; j < d; j++)
                        u[j] = fmin(1.0, fmax(0.0, mls_prior_to_u(&card->params[j], s->u[i * d + j])));
                memmove(s->obs + kept * m, s->obs + i * m, (size_t)m * sizeof(double));
                for (int k = 0; k < m; k++)
                        finite = finite && isfinite(s->obs[kept * m + k]);
                s->status[kept] = s->status[i] == MLS_ST_OK && !finite ? MLS_ST_NONFINITE : s->status[i];
                kept++;
        }
        s->n = kept;
}

mls_rc mls_seed_read(const char *path, const struct mls_card *card, int m, const char *const *obs_names,
                     struct mls_seed *out, char *err, size_t errlen)
{
        mls_rc rc;

        memset(out, 0, sizeof(*out));
        if (mls_store_sniff(path))
                rc = mls_store_read_points(path, card, m, obs_names, out, err, errlen);
        else
                rc = read_csv(path, card, m, obs_names, out, err, errlen);
        if (rc != MLS_OK) {
                mls_seed_free(out);
                return rc;
        }
        keep_in_range(card, out);
        MLS_LOG(MLS_LOG_DEBUG, "%s: %lld points read, %lld outside the parameter ranges skipped", path,
                (long long)out->n, (long long)out->skipped);
        return MLS_OK;
}

void mls_seed_free(struct mls_seed *s)
{
        if (!s)
                return;
        mls_free(&s->u);
        mls_free(&s->obs);
        mls_free(&s->status);
        memset(s, 0, sizeof(*s));
}
