/*
 * report.c - `mlscan info` and `mlscan export`: what a user reads out of an mlscan output
 * afterwards. The HDF5 reading is in src/store_report.c; this file decides what to print.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/report.h"
#include "mlscan/util.h"
#include "store_report.h"

/* Rows read per block; fewer when a row is wide, so a block stays under BLOCK_BYTES. */
#define BLOCK_ROWS  65536
#define BLOCK_BYTES (64L << 20)
#define NBEST       10
#define LABEL_WIDTH 17

static mls_rc report_fail(mls_rc rc, char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Prints "mlscan: message" on stderr and leaves it in @err; returns @rc. Never jumps. */
static mls_rc report_fail(mls_rc rc, char *err, size_t errlen, const char *fmt, ...)
{
        char what[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        if (err && errlen > 0)
                snprintf(err, errlen, "mlscan: %s", what);
        fprintf(stderr, "mlscan: %s\n", what);
        fflush(stderr);
        return rc;
}

/* %.6g with NaN and infinities spelled the same on every libc. */
static const char *fmt_g(char *buf, size_t len, double v)
{
        if (isnan(v))
                snprintf(buf, len, "nan");
        else if (isinf(v))
                snprintf(buf, len, "%s", v > 0 ? "inf" : "-inf");
        else
                snprintf(buf, len, "%.6g", v);
        return buf;
}

/* ------------------------------------------------------------------ aligned tables */

/* Cells in row-major order; the first row is the header. Caller-owned; release with table_fini(). */
struct table {
        int ncols;
        unsigned left; /* bit c: column c is left-aligned (names); the others are numbers */
        size_t ncells, cap;
        char **cell;
};

static void table_cell(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void table_cell(struct table *t, const char *fmt, ...)
{
        char buf[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (t->ncells == t->cap) {
                t->cap = t->cap ? 2 * t->cap : 64;
                t->cell = mls_realloc(t->cell, t->cap, sizeof(char *));
        }
        t->cell[t->ncells++] = mls_strdup(buf);
}

static void table_print(const struct table *t, FILE *out, const char *indent)
{
        size_t *w = mls_calloc((size_t)t->ncols, sizeof(size_t));

        for (size_t i = 0; i < t->ncells; i++) {
                size_t len = strlen(t->cell[i]);
                int c = (int)(i % (size_t)t->ncols);

                if (len > w[c])
                        w[c] = len;
        }
        for (size_t i = 0; i < t->ncells; i++) {
                int c = (int)(i % (size_t)t->ncols);
                bool last = c == t->ncols - 1;

                if (c == 0)
                        fputs(indent, out);
                if (t->left & (1u << c))
                        fprintf(out, "%-*s", last ? 0 : (int)w[c], t->cell[i]);
                else
                        fprintf(out, "%*s", (int)w[c], t->cell[i]);
                fputs(last ? "\n" : "  ", out);
        }
        free(w);
}

static void table_fini(struct table *t)
{
        for (size_t i = 0; i < t->ncells; i++)
                free(t->cell[i]);
        mls_free(&t->cell);
        t->ncells = t->cap = 0;
}

/* ------------------------------------------------------------------ info */

static void field(FILE *out, const char *label, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One "label:   value" line, the values aligned. */
static void field(FILE *out, const char *label, const char *fmt, ...)
{
        char lab[64];
        va_list ap;

        snprintf(lab, sizeof(lab), "%s:", label);
        fprintf(out, "%-*s", LABEL_WIDTH, lab);
        va_start(ap, fmt);
        vfprintf(out, fmt, ap);
        va_end(ap);
        fputc('\n', out);
}

static void field_str(FILE *out, const char *label, const char *v)
{
        field(out, label, "%s", v ? v : "(not recorded)");
}

static void field_names(FILE *out, const char *label, char **names, int n)
{
        fprintf(out, "%-*s", LABEL_WIDTH, label);
        for (int i = 0; i < n; i++)
                fprintf(out, "%s%s", i ? ", " : "", names[i]);
        fputs(n ? "\n" : "(none)\n", out);
}

static void print_run(FILE *out, const char *path, const struct mls_rmeta *m)
{
        char g[32];

        field(out, "file", "%s", path);
        field_str(out, "run", m->run_name);
        field_str(out, "method", m->method);
        if (m->have_seed)
                field(out, "seed", "%lld", (long long)m->seed);
        if (m->have_ranks)
                field(out, "ranks", "%lld", (long long)m->ranks);
        field_str(out, "start time", m->start_time);
        field_str(out, "mlscan version", m->mlscan_version);
        field_str(out, "card file", m->card_path);
        field_str(out, "physics", m->physics);
        if (m->have_nll_below)
                field(out, "target", "nll < %s", fmt_g(g, sizeof(g), m->nll_below));
        if (m->ncard_summary >= 0) {
                fputs("card:\n", out);
                for (int i = 0; i < m->ncard_summary; i++)
                        fprintf(out, "  %s\n", m->card_summary[i]);
        } else {
                field_names(out, "parameters:", m->pnames, m->np);
                field_names(out, "observables:", m->onames, m->no);
                field_names(out, "terms:", m->tnames, m->nt);
        }
}

/* A point among the best: lowest nll first, then lowest id. */
struct best {
        double nll;
        int64_t id, pos;
};

static bool better(double nll, int64_t id, const struct best *b)
{
        return nll < b->nll || (nll == b->nll && id < b->id);
}

/* Keeps @best[0..*n) sorted, at most NBEST long. */
static void best_offer(struct best *best, int *n, double nll, int64_t id, int64_t pos)
{
        int i;

        if (*n == NBEST && !better(nll, id, &best[NBEST - 1]))
                return;
        i = *n < NBEST ? (*n)++ : NBEST - 1;
        while (i > 0 && better(nll, id, &best[i - 1])) {
                best[i] = best[i - 1];
                i--;
        }
        best[i] = (struct best){nll, id, pos};
}

/* What info shows from the rows: read in full before anything is printed. */
struct tally {
        int64_t *count; /* per status */
        int64_t good;
        int ok; /* the index of status "ok" in meta->snames, -1 if none */
        struct best best[NBEST];
        int nbest;
        struct mls_rblock bestrows; /* x and good of best[] */
        struct mls_rgen *gens;      /* /generations, meta->gen_rows rows */
};

static void tally_fini(struct tally *t)
{
        mls_free(&t->count);
        mls_free(&t->gens);
        mls_rblock_fini(&t->bestrows);
}

/* One pass over the committed rows, then the best points' rows and /generations. */
static mls_rc tally_rows(mls_rfile *f, struct tally *t, char *why, size_t whylen)
{
        const struct mls_rmeta *m = mls_rfile_meta(f);
        struct mls_rblock b = {0};
        unsigned cols = MLS_RCOL_ID | MLS_RCOL_STATUS | MLS_RCOL_NLL | MLS_RCOL_GOOD;
        int64_t pos[NBEST];
        mls_rc rc = MLS_OK;

        t->count = mls_calloc((size_t)m->ns, sizeof(int64_t));
        t->ok = -1;
        for (int s = 0; s < m->ns && t->ok < 0; s++)
                if (strcmp(m->snames[s], "ok") == 0)
                        t->ok = s;
        for (int64_t start = 0; start < m->rows && rc == MLS_OK; start += BLOCK_ROWS) {
                int64_t n = m->rows - start < BLOCK_ROWS ? m->rows - start : BLOCK_ROWS;

                if ((rc = mls_rfile_read_range(f, cols, start, n, &b, why, whylen)) != MLS_OK)
                        break;
                for (int64_t i = 0; i < n; i++) {
                        t->count[b.status[i]]++;
                        t->good += b.good[i];
                        if (b.status[i] == t->ok && !isnan(b.nll[i]))
                                best_offer(t->best, &t->nbest, b.nll[i], b.id[i], start + i);
                }
        }
        mls_rblock_fini(&b);
        for (int i = 0; i < t->nbest; i++)
                pos[i] = t->best[i].pos;
        if (rc == MLS_OK)
                rc = mls_rfile_read_rows(f, MLS_RCOL_X | MLS_RCOL_GOOD, pos, t->nbest, &t->bestrows, why,
                                         whylen);
        if (rc == MLS_OK)
                rc = mls_rfile_read_gens(f, &t->gens, why, whylen);
        return rc;
}

static void print_counts(FILE *out, const struct mls_rmeta *m, const struct tally *t)
{
        struct table tab = {.ncols = 3, .left = 1u};
        char g[32];

        field(out, "points", "%lld committed rows", (long long)m->rows);
        table_cell(&tab, "status");
        table_cell(&tab, "count");
        table_cell(&tab, "share");
        for (int s = 0; s < m->ns; s++) {
                table_cell(&tab, "%s", m->snames[s]);
                table_cell(&tab, "%lld", (long long)t->count[s]);
                table_cell(&tab, "%s",
                           fmt_g(g, sizeof(g), m->rows ? (double)t->count[s] / (double)m->rows : 0));
        }
        table_print(&tab, out, "  ");
        table_fini(&tab);
        field(out, "good", "%lld (efficiency %s)", (long long)t->good,
              fmt_g(g, sizeof(g), m->rows ? (double)t->good / (double)m->rows : 0));
}

static void print_gens(FILE *out, const struct mls_rmeta *m, const struct mls_rgen *r)
{
        static const char *const head[] = {"generation",       "evaluated",    "good",       "efficiency",
                                           "total_efficiency", "ntrain",       "train_loss", "val_loss",
                                           "epochs",           "train_seconds"};
        struct table tab = {.ncols = 10};
        char g[32];

        if (m->gen_rows == 0)
                return;
        field(out, "generations", "%lld", (long long)m->gen_rows);
        for (int c = 0; c < tab.ncols; c++)
                table_cell(&tab, "%s", head[c]);
        for (int64_t i = 0; i < m->gen_rows; i++) {
                table_cell(&tab, "%lld", (long long)r[i].generation);
                table_cell(&tab, "%lld", (long long)r[i].evaluated);
                table_cell(&tab, "%lld", (long long)r[i].good);
                table_cell(&tab, "%s", fmt_g(g, sizeof(g), r[i].efficiency));
                table_cell(&tab, "%s", fmt_g(g, sizeof(g), r[i].total_efficiency));
                table_cell(&tab, "%lld", (long long)r[i].ntrain);
                table_cell(&tab, "%s", fmt_g(g, sizeof(g), r[i].train_loss));
                table_cell(&tab, "%s", fmt_g(g, sizeof(g), r[i].val_loss));
                table_cell(&tab, "%lld", (long long)r[i].epochs);
                table_cell(&tab, "%s", fmt_g(g, sizeof(g), r[i].train_seconds));
        }
        table_print(&tab, out, "  ");
        table_fini(&tab);
}

static void print_best(FILE *out, const struct mls_rmeta *m, const struct tally *t)
{
        const struct mls_rblock *b = &t->bestrows;
        struct table tab = {.ncols = 3 + m->np};
        char g[32];

        if (t->nbest == 0) {
                field(out, "best points", "none (no point of status ok)");
                return;
        }
        field(out, "best points", "the %d of status ok with the lowest nll", t->nbest);
        table_cell(&tab, "id");
        table_cell(&tab, "nll");
        table_cell(&tab, "good");
        for (int j = 0; j < m->np; j++)
                table_cell(&tab, "%s", m->pnames[j]);
        for (int i = 0; i < t->nbest; i++) {
                table_cell(&tab, "%lld", (long long)t->best[i].id);
                table_cell(&tab, "%s", fmt_g(g, sizeof(g), t->best[i].nll));
                table_cell(&tab, "%d", b->good[i]);
                for (int j = 0; j < m->np; j++)
                        table_cell(&tab, "%s", fmt_g(g, sizeof(g), b->x[i * m->np + j]));
        }
        table_print(&tab, out, "  ");
        table_fini(&tab);
}

static void print_model(FILE *out, const struct mls_rmeta *m)
{
        if (!m->have_model) {
                field(out, "model", "no model (method random or not trained yet)");
                return;
        }
        fprintf(out, "%-*s", LABEL_WIDTH, "model:");
        if (m->have_mgen)
                fprintf(out, "generation %d, ", m->mgen);
        if (m->have_nin)
                fprintf(out, "nin %d, ", m->nin);
        if (m->have_nout)
                fprintf(out, "nout %d, ", m->nout);
        if (m->have_hidden) {
                fputs("hidden [", out);
                for (int i = 0; i < m->nhidden; i++)
                        fprintf(out, "%s%d", i ? ", " : "", m->hidden[i]);
                fputs("], ", out);
        }
        if (m->activation)
                fprintf(out, "activation %s, ", m->activation);
        if (m->output)
                fprintf(out, "output %s, ", m->output);
        if (m->have_step)
                fprintf(out, "step %lld", (long long)m->step);
        else
                fputs("step (not recorded)", out);
        fputc('\n', out);
}

static mls_rc info_print(mls_rfile *f, const char *path, FILE *out, char *why, size_t whylen)
{
        const struct mls_rmeta *m = mls_rfile_meta(f);
        struct tally t = {0};
        mls_rc rc;

        /* Everything that can fail is read first: a failure prints no half summary. */
        if ((rc = tally_rows(f, &t, why, whylen)) == MLS_OK) {
                print_run(out, path, m);
                print_counts(out, m, &t);
                print_gens(out, m, t.gens);
                print_best(out, m, &t);
                print_model(out, m);
                if (m->have_checkpoint)
                        field(out, "last checkpoint", "sequence %lld, %lld rows%s",
                              (long long)m->ckpt_sequence, (long long)m->ckpt_rows,
                              m->ckpt_sequence == 0   ? " (nothing committed yet)"
                              : m->ckpt_complete == 1 ? " (the run ended)"
                              : m->ckpt_complete == 0
                                      ? " (the run had not ended: stopped, killed or still going)"
                                      : "");
        }
        tally_fini(&t);
        return rc;
}

/* finish - the common end of both commands: flush @out, turn a failure into the one line. */
static mls_rc finish(mls_rc rc, const char *path, FILE *out, const char *why, char *err, size_t errlen)
{
        if (rc == MLS_OK && (fflush(out) != 0 || ferror(out)))
                return report_fail(MLS_ERR_IO, err, errlen, "%s: writing the output failed: %s", path,
                                   strerror(errno));
        if (rc != MLS_OK)
                return report_fail(rc, err, errlen, "%s", why);
        if (err && errlen > 0)
                err[0] = '\0';
        return MLS_OK;
}

mls_rc mls_report_info(const char *path, FILE *out, char *err, size_t errlen)
{
        char why[1024] = "";
        mls_rfile *f = NULL;
        mls_rc rc;

        if (!path || !path[0] || !out)
                return report_fail(MLS_ERR_USAGE, err, errlen,
                                   "info: needs an mlscan output file (mlscan info FILE)");
        if ((rc = mls_rfile_open(path, &f, why, sizeof(why))) == MLS_OK)
                rc = info_print(f, path, out, why, sizeof(why));
        mls_rfile_close(&f);
        return finish(rc, path, out, why, err, errlen);
}

/* ------------------------------------------------------------------ export */

struct idpos {
        int64_t id, pos;
};

static int idpos_cmp(const void *a, const void *b)
{
        const struct idpos *x = a, *y = b;

        if (x->id != y->id)
                return x->id < y->id ? -1 : 1;
        return (x->pos > y->pos) - (x->pos < y->pos);
}

/*
 * export_order - the file positions of the rows to export (the good ones only for @good_only),
 * sorted by id, into *@order (owned by caller, release with free()) and their count *@n.
 * Ids are normally 0 .. rows-1 in some order: then the order is the inverse permutation, one
 * int64 per row. Otherwise (a file from a run still going, where a few points are in flight)
 * the (id, position) pairs are sorted.
 */
static mls_rc export_order(mls_rfile *f, bool good_only, int64_t **order, int64_t *n, char *why,
                           size_t whylen)
{
        const struct mls_rmeta *m = mls_rfile_meta(f);
        unsigned cols = MLS_RCOL_ID | (good_only ? MLS_RCOL_GOOD : 0);
        int64_t rows = m->rows, *inv = mls_calloc((size_t)rows + 1, sizeof(int64_t)), k = 0;
        struct mls_rblock b = {0};
        struct idpos *pairs = NULL;
        bool perm = true;
        mls_rc rc = MLS_OK;

        *order = NULL;
        *n = 0;
        for (int64_t i = 0; i < rows; i++)
                inv[i] = -1;
        /* the fast way: the ids are a permutation of 0 .. rows-1 */
        for (int64_t start = 0; start < rows && perm && rc == MLS_OK; start += BLOCK_ROWS) {
                int64_t cnt = rows - start < BLOCK_ROWS ? rows - start : BLOCK_ROWS;

                if ((rc = mls_rfile_read_range(f, cols, start, cnt, &b, why, whylen)) != MLS_OK)
                        break;
                for (int64_t i = 0; i < cnt && perm; i++) {
                        int64_t id = b.id[i];

                        perm = id >= 0 && id < rows && inv[id] == -1;
                        if (perm)
                                inv[id] = !good_only || b.good[i] ? start + i : -2;
                }
        }
        if (rc == MLS_OK && perm) {
                for (int64_t id = 0; id < rows; id++)
                        if (inv[id] >= 0)
                                inv[k++] = inv[id];
                *order = inv;
                *n = k;
                inv = NULL;
        } else if (rc == MLS_OK) {
                mls_free(&inv);
                pairs = mls_calloc((size_t)rows + 1, sizeof(*pairs));
                for (int64_t start = 0; start < rows && rc == MLS_OK; start += BLOCK_ROWS) {
                        int64_t cnt = rows - start < BLOCK_ROWS ? rows - start : BLOCK_ROWS;

                        if ((rc = mls_rfile_read_range(f, cols, start, cnt, &b, why, whylen)) != MLS_OK)
                                break;
                        for (int64_t i = 0; i < cnt; i++)
                                if (!good_only || b.good[i])
                                        pairs[k++] = (struct idpos){b.id[i], start + i};
                }
                if (rc == MLS_OK) {
                        qsort(pairs, (size_t)k, sizeof(*pairs), idpos_cmp);
                        *order = mls_calloc((size_t)k + 1, sizeof(int64_t));
                        for (int64_t i = 0; i < k; i++)
                                (*order)[i] = pairs[i].pos;
                        *n = k;
                }
        }
        free(pairs);
        free(inv);
        mls_rblock_fini(&b);
        return rc;
}

/* put_field - @s[0..len), quoted as RFC 4180 says when it holds @sep, a quote or a line break. */
static void put_field(FILE *out, const char *s, size_t len, char sep)
{
        bool quote = false;

        for (size_t i = 0; i < len && !quote; i++)
                quote = s[i] == sep || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
        if (!quote) {
                fwrite(s, 1, len, out);
                return;
        }
        fputc('"', out);
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '"')
                        fputc('"', out);
                fputc(s[i], out);
        }
        fputc('"', out);
}

static void put_name(FILE *out, char sep, const char *prefix, const char *name)
{
        char buf[512];

        snprintf(buf, sizeof(buf), "%s%s", prefix, name);
        fputc(sep, out);
        put_field(out, buf, strlen(buf), sep);
}

/* %.17g reads back as the same double; NaN and infinities as nan, inf, -inf. */
static void put_real(FILE *out, char sep, double v)
{
        fputc(sep, out);
        if (isnan(v))
                fputs("nan", out);
        else if (isinf(v))
                fputs(v > 0 ? "inf" : "-inf", out);
        else
                fprintf(out, "%.17g", v);
}

static void export_header(FILE *out, const struct mls_rmeta *m, const struct mls_export_opts *o)
{
        static const char *const lead[] = {"generation", "origin", "worker", "status"};
        static const char *const tail[] = {"nll", "good", "seconds", "error"};

        fputs("id", out);
        for (size_t i = 0; i < sizeof(lead) / sizeof(lead[0]); i++)
                put_name(out, o->sep, "", lead[i]);
        for (int j = 0; j < m->np; j++)
                put_name(out, o->sep, "", m->pnames[j]);
        for (int j = 0; j < m->no; j++)
                put_name(out, o->sep, "", m->onames[j]);
        for (int j = 0; o->all_columns && j < m->nt; j++)
                put_name(out, o->sep, "term:", m->tnames[j]);
        for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
                put_name(out, o->sep, "", tail[i]);
        fputc('\n', out);
}

static void export_rows(FILE *out, const struct mls_rmeta *m, const struct mls_export_opts *o,
                        const struct mls_rblock *b)
{
        char sep = o->sep;

        for (int64_t i = 0; i < b->n; i++) {
                const char *e = b->error + (size_t)i * m->error_len;

                fprintf(out, "%lld%c%d%c", (long long)b->id[i], sep, b->generation[i], sep);
                put_field(out, m->orinames[b->origin[i]], strlen(m->orinames[b->origin[i]]), sep);
                fprintf(out, "%c%d%c", sep, b->worker[i], sep);
                put_field(out, m->snames[b->status[i]], strlen(m->snames[b->status[i]]), sep);
                for (int j = 0; j < m->np; j++)
                        put_real(out, sep, b->x[i * m->np + j]);
                for (int j = 0; j < m->no; j++)
                        put_real(out, sep, b->obs[i * m->no + j]);
                for (int j = 0; o->all_columns && j < m->nt; j++)
                        put_real(out, sep, b->terms[i * m->nt + j]);
                put_real(out, sep, b->nll[i]);
                fprintf(out, "%c%d", sep, b->good[i]);
                put_real(out, sep, b->seconds[i]);
                fputc(sep, out);
                put_field(out, e, strnlen(e, m->error_len), sep);
                fputc('\n', out);
        }
}

static mls_rc export_print(mls_rfile *f, const struct mls_export_opts *o, FILE *out, char *why, size_t whylen)
{
        const struct mls_rmeta *m = mls_rfile_meta(f);
        unsigned cols = MLS_RCOL_ID | MLS_RCOL_GENERATION | MLS_RCOL_ORIGIN | MLS_RCOL_WORKER |
                        MLS_RCOL_STATUS | MLS_RCOL_X | MLS_RCOL_OBS | MLS_RCOL_NLL | MLS_RCOL_GOOD |
                        MLS_RCOL_SECONDS | MLS_RCOL_ERROR | (o->all_columns ? MLS_RCOL_TERMS : 0);
        long rowbytes = 40 + 8L * (m->np + m->no + (o->all_columns ? m->nt : 0)) + (long)m->error_len;
        int64_t per = BLOCK_BYTES / rowbytes < BLOCK_ROWS ? BLOCK_BYTES / rowbytes : BLOCK_ROWS;
        struct mls_rblock b = {0};
        int64_t *order = NULL, n = 0;
        mls_rc rc;

        if (per < 1)
                per = 1;
        if ((rc = export_order(f, o->good_only, &order, &n, why, whylen)) != MLS_OK)
                return rc;
        export_header(out, m, o);
        for (int64_t start = 0; start < n && rc == MLS_OK; start += per) {
                int64_t cnt = n - start < per ? n - start : per;

                if ((rc = mls_rfile_read_rows(f, cols, order + start, cnt, &b, why, whylen)) == MLS_OK)
                        export_rows(out, m, o, &b);
                if (ferror(out))
                        break; /* finish() reports it */
        }
        mls_rblock_fini(&b);
        free(order);
        return rc;
}

mls_rc mls_report_export(const char *path, const struct mls_export_opts *o, FILE *out, char *err,
                         size_t errlen)
{
        char why[1024] = "";
        mls_rfile *f = NULL;
        mls_rc rc;

        if (!path || !path[0] || !out || !o)
                return report_fail(
                        MLS_ERR_USAGE, err, errlen,
                        "export: needs an mlscan output file (mlscan export FILE [--good] [--tsv] [--terms] [-o OUT])");
        if (o->sep != ',' && o->sep != '\t')
                return report_fail(MLS_ERR_USAGE, err, errlen, "export: the separator must be ',' or a tab");
        if ((rc = mls_rfile_open(path, &f, why, sizeof(why))) == MLS_OK)
                rc = export_print(f, o, out, why, sizeof(why));
        mls_rfile_close(&f);
        return finish(rc, path, out, why, err, errlen);
}
