/*
 * external.c - a run card's chain of physics programs, run per point in a private scratch
 * directory. Per point: stale outputs removed, templates rendered, programs run in order
 * (the first failure ends the point), an SLHA output checked for SPINFO 4 as soon as it is
 * written, then every observable read, each distinct file parsed once.
 */
#define _GNU_SOURCE 1
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlscan/chain.h"
#include "mlscan/physics.h"
#include "mlscan/proc.h"
#include "mlscan/slha.h"
#include "mlscan/table.h"
#include "mlscan/template.h"
#include "mlscan/util.h"

#define MAX_READ (256u << 20) /* an output file larger than this is unreadable */

enum file_kind { FK_SLHA, FK_TABLE, FK_TEXT, FK_KEEP };

/* A file the chain reads after the programs ran. */
struct ofile {
        char *name; /* in the scratch directory */
        char *path;
        int kind;     /* enum file_kind of its first reader */
        int producer; /* the program whose output it is (else the last program) */
        /* this point's contents */
        bool loaded, present;
        char *buf;
        size_t len, cap;
        struct mls_slha *slha;
        struct mls_table *table;
        char err[256];
};

struct prog {
        const struct mls_program *card;
        mls_tmpl **arg; /* per argument (NULL: constant) */
        char **argv;    /* rendered */
        size_t *argcap;
        char **envp;
        char *out_path, *err_path, *output_path;
        int output_file; /* index into files, or -1 */
};

struct mls_chain {
        const struct mls_card *card;
        char *dir;
        int ntmpl;
        mls_tmpl **tmpl;
        char **tmpl_path;
        char *render;
        size_t render_cap;
        int nprog;
        struct prog *prog;
        int nfiles;
        struct ofile *files;
        int *obs_file; /* per observable: index into files, or -1 */
        int *keep_file;
        char **clear; /* removed before each point */
        int nclear;
};

static char *join(const char *dir, const char *name)
{
        size_t len = strlen(dir) + strlen(name) + 2;
        char *p = mls_calloc(len, 1);

        snprintf(p, len, "%s/%s", dir, name);
        return p;
}

static int file_index(mls_chain *c, const char *name, int kind)
{
        for (int i = 0; i < c->nfiles; i++)
                if (!strcmp(c->files[i].name, name))
                        return i;
        c->files = mls_realloc(c->files, (size_t)c->nfiles + 1, sizeof(*c->files));
        memset(&c->files[c->nfiles], 0, sizeof(c->files[0]));
        c->files[c->nfiles].name = mls_strdup(name);
        c->files[c->nfiles].path = join(c->dir, name);
        c->files[c->nfiles].kind = kind;
        c->files[c->nfiles].producer = c->nprog - 1;
        return c->nfiles++;
}

static void add_clear(mls_chain *c, const char *path)
{
        for (int i = 0; i < c->nclear; i++)
                if (!strcmp(c->clear[i], path))
                        return;
        c->clear = mls_realloc(c->clear, (size_t)c->nclear + 1, sizeof(char *));
        c->clear[c->nclear++] = mls_strdup(path);
}

static const char *default_scratch(void)
{
        const char *t = getenv("TMPDIR");
        struct stat st;

        if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK | X_OK) == 0)
                return "/dev/shm";
        return t && *t ? t : "/tmp";
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
        int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
        struct stat st;
        char buf[65536];
        ssize_t n;

        if (in < 0 || fstat(in, &st) != 0 ||
            (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777)) < 0) {
                snprintf(err, errlen, "cannot copy %s into the scratch directory: %s", from, strerror(errno));
                if (in >= 0)
                        close(in);
                return -1;
        }
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n) {
                        n = -1;
                        break;
                }
        if (n < 0)
                snprintf(err, errlen, "cannot copy %s into the scratch directory: %s", from, strerror(errno));
        close(in);
        if (close(out) != 0 && n >= 0) {
                snprintf(err, errlen, "cannot copy %s into the scratch directory: %s", from, strerror(errno));
                n = -1;
        }
        return n < 0 ? -1 : 0;
}

static int put_file(const char *src, const char *dir, char *err, size_t errlen)
{
        const char *base = strrchr(src, '/');
        char *to = join(dir, base ? base + 1 : src);
        struct stat st;
        int rc = 0;

        /* Directories (data tables, grids) are linked; files are copied, so no program
         * can change the user's own copy. */
        if (stat(src, &st) == 0 && S_ISDIR(st.st_mode)) {
                if (symlink(src, to) != 0) {
                        snprintf(err, errlen, "cannot link %s into the scratch directory: %s", src,
                                 strerror(errno));
                        rc = -1;
                }
        } else {
                rc = copy_file(src, to, err, errlen);
        }
        free(to);
        return rc;
}

mls_rc mls_chain_create(const struct mls_card *card, int rank, mls_chain **out, char *err, size_t errlen)
{
        const struct mls_physics_card *ph = &card->phys;
        const char *parent = ph->scratch ? ph->scratch : default_scratch();
        mls_chain *c = mls_calloc(1, sizeof(*c));
        size_t len = strlen(parent) + strlen(card->name) + 64;
        const char **names = mls_calloc((size_t)card->nparams + 1, sizeof(char *));

        *out = NULL;
        c->card = card;
        c->dir = mls_calloc(len, 1);
        snprintf(c->dir, len, "%s/mlscan-%s-r%d-XXXXXX", parent, card->name, rank);
        for (char *s = c->dir + strlen(parent) + 1; *s; s++)
                if (*s == '/')
                        *s = '_';
        if (!mkdtemp(c->dir)) {
                snprintf(err, errlen, "cannot make the scratch directory %s: %s", c->dir, strerror(errno));
                free(c->dir);
                c->dir = NULL;
                goto fail;
        }
        mls_proc_become_reaper();
        for (int i = 0; i < ph->nfiles; i++)
                if (put_file(ph->files[i], c->dir, err, errlen) != 0)
                        goto fail;
        for (int i = 0; i < card->nparams; i++)
                names[i] = card->params[i].name;
        c->ntmpl = ph->ntemplates;
        c->tmpl = mls_calloc((size_t)c->ntmpl + 1, sizeof(*c->tmpl));
        c->tmpl_path = mls_calloc((size_t)c->ntmpl + 1, sizeof(char *));
        for (int i = 0; i < c->ntmpl; i++) {
                const struct mls_template *t = &ph->templates[i];

                c->tmpl[i] =
                        t->slha ? mls_tmpl_slha(t->text, t->len, t->set, t->nset, t->from, err, errlen)
                                : mls_tmpl_text(t->text, t->len, names, card->nparams, t->from, err, errlen);
                if (!c->tmpl[i])
                        goto fail;
                c->tmpl_path[i] = join(c->dir, t->to);
        }
        c->nprog = ph->nprograms;
        c->prog = mls_calloc((size_t)c->nprog + 1, sizeof(*c->prog));
        for (int i = 0; i < c->nprog; i++) {
                const struct mls_program *pc = &ph->programs[i];
                struct prog *pg = &c->prog[i];
                char name[300];

                pg->card = pc;
                pg->arg = mls_calloc((size_t)pc->argc + 1, sizeof(*pg->arg));
                pg->argv = mls_calloc((size_t)pc->argc + 1, sizeof(char *));
                pg->argcap = mls_calloc((size_t)pc->argc + 1, sizeof(size_t));
                for (int a = 0; a < pc->argc; a++) {
                        mls_tmpl *t = a == 0 ? NULL
                                             : mls_tmpl_text(pc->argv[a], strlen(pc->argv[a]), names,
                                                             card->nparams, pc->name, err, errlen);

                        if (a > 0 && !t)
                                goto fail;
                        if (t && mls_tmpl_slots(t) > 0) {
                                pg->arg[a] = t;
                        } else {
                                mls_tmpl_destroy(&t);
                                pg->argv[a] = mls_strdup(pc->argv[a]);
                        }
                }
                pg->envp = mls_proc_clean_env(pc->env, pc->nenv);
                snprintf(name, sizeof(name), ".mlscan.%s.stdout", pc->name);
                pg->out_path = join(c->dir, name);
                snprintf(name, sizeof(name), ".mlscan.%s.stderr", pc->name);
                pg->err_path = join(c->dir, name);
                pg->output_file = -1;
                if (pc->output) {
                        pg->output_path = join(c->dir, pc->output);
                        add_clear(c, pg->output_path);
                }
        }
        /* the files observables read, and who writes them */
        c->obs_file = mls_calloc((size_t)card->nobs + 1, sizeof(int));
        for (int i = 0; i < card->nobs; i++) {
                const struct mls_obs *o = &card->obs[i];
                int kind = o->kind == MLS_OBS_SLHA ? FK_SLHA : o->kind == MLS_OBS_TABLE ? FK_TABLE : FK_TEXT;

                c->obs_file[i] = -1;
                if (o->kind == MLS_OBS_SLHA || o->kind == MLS_OBS_TABLE || o->kind == MLS_OBS_TEXT) {
                        c->obs_file[i] = file_index(c, o->file, kind);
                        add_clear(c, c->files[c->obs_file[i]].path);
                }
        }
        c->keep_file = mls_calloc((size_t)ph->nkeep + 1, sizeof(int));
        for (int i = 0; i < ph->nkeep; i++) {
                c->keep_file[i] = file_index(c, ph->keep[i], FK_KEEP);
                add_clear(c, c->files[c->keep_file[i]].path);
        }
        for (int i = 0; i < c->nprog; i++)
                for (int f = 0; f < c->nfiles && c->prog[i].card->output; f++)
                        if (!strcmp(c->files[f].name, c->prog[i].card->output)) {
                                c->prog[i].output_file = f;
                                if (c->files[f].producer == c->nprog - 1 || i < c->files[f].producer)
                                        c->files[f].producer = i;
                        }
        free(names);
        *out = c;
        return MLS_OK;
fail:
        free(names);
        mls_chain_destroy(&c);
        return MLS_ERR_PHYSICS;
}

/* load - this point's contents of @f; false (with f->err) when absent or unreadable */
static bool load(struct ofile *f)
{
        int fd;
        struct stat st;
        ssize_t n;

        if (f->loaded)
                return f->present;
        f->loaded = true;
        f->present = false;
        f->len = 0;
        f->err[0] = '\0';
        if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0) {
                snprintf(f->err, sizeof(f->err), "no %s", f->name);
                return false;
        }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_READ) {
                snprintf(f->err, sizeof(f->err), "%s is %s", f->name,
                         S_ISREG(st.st_mode) ? "too large (over 256 MB)" : "not a regular file");
                close(fd);
                return false;
        }
        if ((size_t)st.st_size + 1 > f->cap) {
                f->cap = (size_t)st.st_size + 4096;
                f->buf = mls_realloc(f->buf, f->cap, 1);
        }
        while (f->len < (size_t)st.st_size &&
               (n = read(fd, f->buf + f->len, (size_t)st.st_size - f->len)) > 0)
                f->len += (size_t)n;
        close(fd);
        f->buf[f->len] = '\0';
        f->present = true;
        return true;
}

static void forget(struct ofile *f)
{
        f->loaded = false;
        f->present = false;
        mls_slha_free(f->slha);
        f->slha = NULL;
        mls_table_free(f->table);
        f->table = NULL;
}

/* parse - @f as @kind; false (with f->err) when it cannot be */
static bool parse(struct ofile *f, int kind)
{
        char e[200];

        if (!load(f))
                return false;
        if (kind == FK_SLHA && !f->slha) {
                if (!(f->slha = mls_slha_parse(f->buf, f->len, e, sizeof(e)))) {
                        snprintf(f->err, sizeof(f->err), "%s is not SLHA: %s", f->name, e);
                        return false;
                }
        } else if (kind == FK_TABLE && !f->table) {
                if (!(f->table = mls_table_parse(f->buf, f->len, e, sizeof(e)))) {
                        snprintf(f->err, sizeof(f->err), "%s is not a results table: %s", f->name, e);
                        return false;
                }
        }
        return true;
}

/* spinfo - MLS_ST_INVALID with @why when the SLHA file @f says SPINFO 4 */
static int spinfo(const mls_chain *c, const struct ofile *f, char *why, size_t len)
{
        const char *s = mls_slha_string(f->slha, "SPINFO", 4);

        if (!s)
                return MLS_ST_OK;
        snprintf(why, len, "%s: SPINFO 4 in %s: %s", c->prog[f->producer].card->name, f->name, s);
        return MLS_ST_INVALID;
}

static void describe_index(char *buf, size_t len, const struct mls_obs *o)
{
        int w = snprintf(buf, len, "%s", o->key);

        for (int i = 0; i < o->nidx && w > 0 && (size_t)w < len; i++)
                w += snprintf(buf + w, len - (size_t)w, " %d", o->idx[i]);
}

/* read_obs - observable @i from its file into *v; an mls_status */
static int read_obs(mls_chain *c, int i, double *v, char *why, size_t len)
{
        const struct mls_obs *o = &c->card->obs[i];
        struct ofile *f = &c->files[c->obs_file[i]];
        const char *prog = c->prog[f->producer].card->name;
        int kind = o->kind == MLS_OBS_SLHA ? FK_SLHA : o->kind == MLS_OBS_TABLE ? FK_TABLE : FK_TEXT;
        char what[128];
        int rc = 0;

        if (!parse(f, kind)) {
                snprintf(why, len, "%s: %s", prog, f->err);
                return f->present ? MLS_ST_UNREADABLE : MLS_ST_MISSING;
        }
        switch (o->kind) {
        case MLS_OBS_SLHA:
                if (!strcasecmp(o->key, "DECAY") || !strcasecmp(o->key, "DECAY1L"))
                        rc = o->nidx == 1
                                     ? mls_slha_width(f->slha, o->key, o->idx[0], v)
                                     : mls_slha_br(f->slha, o->key, o->idx[0], o->idx + 1, o->nidx - 1, v);
                else
                        rc = mls_slha_value(f->slha, o->key, o->q, o->idx, o->nidx, v);
                if (rc != MLS_SLHA_FOUND) {
                        describe_index(what, sizeof(what), o);
                        snprintf(why, len, "%s: %s has %s %s%s", prog, f->name,
                                 rc == MLS_SLHA_NO_BLOCK   ? "no block for"
                                 : rc == MLS_SLHA_NO_ENTRY ? "no entry"
                                                           : "no number in",
                                 what, isnan(o->q) ? "" : " at the given Q");
                        return MLS_ST_UNREADABLE;
                }
                return MLS_ST_OK;
        case MLS_OBS_TABLE: {
                int col = o->key ? mls_table_column(f->table, o->key) : o->idx[0];

                if (col < 0) {
                        snprintf(why, len, "%s: %s has no column '%s' in its #cols header", prog, f->name,
                                 o->key);
                        return MLS_ST_UNREADABLE;
                }
                if (mls_table_value(f->table, o->row, col, v) != 0) {
                        snprintf(why, len, "%s: %s has no row %d column %d", prog, f->name, o->row + 1,
                                 col + 1);
                        return MLS_ST_UNREADABLE;
                }
                return MLS_ST_OK;
        }
        default:
                rc = mls_text_value(f->buf, f->len, o->key, v);
                if (rc != 0) {
                        snprintf(why, len, "%s: %s %s '%s'", prog, f->name,
                                 rc == -1 ? "has no line for" : "has no number for", o->key);
                        return MLS_ST_UNREADABLE;
                }
                return MLS_ST_OK;
        }
}

static int write_all(const char *path, const char *buf, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        size_t done = 0;

        if (fd < 0)
                return -1;
        while (done < len) {
                ssize_t n = write(fd, buf + done, len - done);

                if (n <= 0) {
                        close(fd);
                        return -1;
                }
                done += (size_t)n;
        }
        return close(fd);
}

int mls_chain_eval(mls_chain *c, int64_t id, const double *x, double *obs, char *why, size_t len)
{
        const struct mls_card *card = c->card;
        int st = MLS_ST_OK;

        (void)id;
        why[0] = '\0';
        for (int i = 0; i < c->nclear; i++)
                unlink(c->clear[i]);
        for (int i = 0; i < c->nfiles; i++)
                forget(&c->files[i]);
        for (int i = 0; i < c->ntmpl; i++) {
                size_t n = mls_tmpl_render(c->tmpl[i], x, &c->render, &c->render_cap);

                if (write_all(c->tmpl_path[i], c->render, n) != 0) {
                        snprintf(why, len, "writing %s: %s", card->phys.templates[i].to, strerror(errno));
                        return MLS_ST_FAILED;
                }
        }
        for (int i = 0; i < c->nprog && st == MLS_ST_OK; i++) {
                struct prog *pg = &c->prog[i];
                struct mls_proc_spec sp = {.argv = pg->argv,
                                           .envp = pg->envp,
                                           .cwd = c->dir,
                                           .out_path = pg->out_path,
                                           .err_path = pg->err_path,
                                           .timeout = pg->card->timeout,
                                           .grace = card->phys.kill_grace};
                struct mls_proc_result r;

                for (int a = 1; a < pg->card->argc; a++)
                        if (pg->arg[a])
                                mls_tmpl_render(pg->arg[a], x, &pg->argv[a], &pg->argcap[a]);
                if (mls_proc_run(&sp, &r) != 0)
                        MLS_ABORT("waiting for program %s failed", pg->card->name);
                /* whatever it left running in the background goes now */
                mls_proc_reap(0.0);
                if (r.end == MLS_PROC_INTERRUPTED) {
                        mls_proc_describe(pg->card->name, &r, pg->err_path, why, len);
                        return MLS_ST_INTERRUPTED;
                }
                if (r.end != MLS_PROC_EXITED || r.code != 0) {
                        mls_proc_describe(pg->card->name, &r, pg->err_path, why, len);
                        return r.end == MLS_PROC_TIMEOUT ? MLS_ST_TIMEOUT : MLS_ST_FAILED;
                }
                if (pg->output_path && access(pg->output_path, F_OK) != 0) {
                        char tail[256];

                        mls_proc_tail(pg->err_path, tail, sizeof(tail));
                        snprintf(why, len, "%s: exited 0 but wrote no %s%s%s", pg->card->name,
                                 pg->card->output, tail[0] ? ": " : "", tail);
                        return MLS_ST_MISSING;
                }
                if (pg->output_file >= 0 && c->files[pg->output_file].kind == FK_SLHA) {
                        struct ofile *f = &c->files[pg->output_file];

                        if (!parse(f, FK_SLHA)) {
                                snprintf(why, len, "%s: %s", pg->card->name, f->err);
                                return f->present ? MLS_ST_UNREADABLE : MLS_ST_MISSING;
                        }
                        st = spinfo(c, f, why, len);
                }
        }
        for (int i = 0; i < c->nfiles && st == MLS_ST_OK; i++)
                if (c->files[i].kind == FK_SLHA && parse(&c->files[i], FK_SLHA))
                        st = spinfo(c, &c->files[i], why, len);
        for (int i = 0; i < card->nobs && st == MLS_ST_OK; i++)
                if (c->obs_file[i] >= 0)
                        st = read_obs(c, i, &obs[i], why, len);
        return st;
}

const char *mls_chain_kept(const mls_chain *c, int i, size_t *len)
{
        struct ofile *f = &c->files[c->keep_file[i]];

        if (!load(f)) {
                *len = 0;
                return NULL;
        }
        *len = f->len;
        return f->buf;
}

const char *mls_chain_dir(const mls_chain *c)
{
        return c->dir;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag == FTW_DP)
                rmdir(path);
        else
                unlink(path);
        return 0;
}

void mls_chain_destroy(mls_chain **cp)
{
        mls_chain *c;

        if (!cp || !*cp)
                return;
        c = *cp;
        mls_proc_reap(1.0);
        if (c->dir && !c->card->phys.keep_scratch)
                nftw(c->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        for (int i = 0; i < c->ntmpl; i++) {
                mls_tmpl_destroy(&c->tmpl[i]);
                free(c->tmpl_path[i]);
        }
        free(c->tmpl);
        free(c->tmpl_path);
        for (int i = 0; i < c->nprog; i++) {
                struct prog *pg = &c->prog[i];

                for (int a = 0; a < pg->card->argc; a++) {
                        mls_tmpl_destroy(&pg->arg[a]);
                        free(pg->argv[a]);
                }
                free(pg->arg);
                free(pg->argv);
                free(pg->argcap);
                for (char **e = pg->envp; e && *e; e++)
                        free(*e);
                free(pg->envp);
                free(pg->out_path);
                free(pg->err_path);
                free(pg->output_path);
        }
        free(c->prog);
        for (int i = 0; i < c->nfiles; i++) {
                forget(&c->files[i]);
                free(c->files[i].name);
                free(c->files[i].path);
                free(c->files[i].buf);
        }
        free(c->files);
        free(c->obs_file);
        free(c->keep_file);
        for (int i = 0; i < c->nclear; i++)
                free(c->clear[i]);
        free(c->clear);
        free(c->render);
        free(c->dir);
        mls_free(cp);
}
