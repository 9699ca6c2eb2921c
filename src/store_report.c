/*
 * store_report.c - serial reading of an mlscan output (layout in include/mlscan/store.h) for
 * `mlscan info` and `mlscan export` (src/report.c). A plain H5Fopen, read-only, with the sec2
 * driver and no file locking, so a file another run is still writing can be read: only the rows
 * below /points@rows are touched. Every failure becomes one line "path: reason"; nothing is
 * logged and HDF5 prints nothing.
 */
#include <config.h>

#include <errno.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/util.h"
#include "store_report.h"

/* The /points columns, in the order of enum mls_rcol's bits. */
enum col {
        COL_ID,
        COL_GENERATION,
        COL_ORIGIN,
        COL_WORKER,
        COL_STATUS,
        COL_X,
        COL_OBS,
        COL_TERMS,
        COL_NLL,
        COL_GOOD,
        COL_SECONDS,
        COL_ERROR,
        NCOLS
};

static const char *const col_names[NCOLS] = {
        "id",  "generation", "origin", "worker", "status",  "x",
        "obs", "terms",      "nll",    "good",   "seconds", "error",
};

/* /checkpoint@commit: int64[COMMIT_LEN], the first element this magic number ("mlscan2C"). */
#define COMMIT_MAGIC 0x6d6c7363616e3243LL
#define COMMIT_LEN   8

/*
 * A read of committed rows fails in a file being written when HDF5's view of the file is a
 * moment behind the writer's; there is no lock to wait for, so the user is told to retry.
 */
#define MAYBE_WRITING " (a run is writing the file, so try again; or it is damaged)"

/* Points per H5Dread of a point selection: bounds the coordinate list (16 bytes a point). */
#define POINTS_PER_READ 65536

struct mls_rfile {
        char *path;
        hid_t file, points;
        hid_t dset[NCOLS];
        hid_t memtype[NCOLS]; /* owned copies, or H5T_NATIVE_* (never closed) */
        bool own_type[NCOLS];
        int width[NCOLS]; /* columns of a 2-D dataset; 0 for a 1-D one */
        struct mls_rmeta meta;
};

static mls_rc fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Writes "path: message" into the caller's buffer; returns MLS_ERR_IO. Never jumps. */
static mls_rc fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        snprintf(err, errlen, "%s: %s", path, what);
        return MLS_ERR_IO;
}

/* HDF5's automatic error printing, off for the length of one public call. */
struct quiet {
        H5E_auto2_t func;
        void *data;
};

static void quiet_on(struct quiet *q)
{
        H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_off(const struct quiet *q)
{
        H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* ------------------------------------------------------------------ attributes */

static void free_strings(char **v, int n)
{
        for (int i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

int mls_h5_strings(hid_t obj, const char *name, char ***out, int *n)
{
        hid_t a = H5I_INVALID_HID, t = H5I_INVALID_HID, sp = H5I_INVALID_HID;
        hssize_t count = -1;
        char **v = NULL, *buf = NULL;
        int ret = -1;

        *out = NULL;
        *n = 0;
        if (H5Aexists(obj, name) <= 0)
                return 0;
        if ((a = H5Aopen(obj, name, H5P_DEFAULT)) < 0 || (t = H5Aget_type(a)) < 0 ||
            H5Tget_class(t) != H5T_STRING || (sp = H5Aget_space(a)) < 0 ||
            (count = H5Sget_simple_extent_npoints(sp)) < 0 || count > 10000000)
                goto out;
        v = mls_calloc((size_t)count + 1, sizeof(char *));
        if (count > 0 && H5Tis_variable_str(t) > 0) {
                char **raw = mls_calloc((size_t)count, sizeof(char *));

                if (H5Aread(a, t, raw) >= 0) {
                        ret = 1;
                        /* Strings from HDF5's allocator go back to it; the caller gets ours. */
                        for (hssize_t i = 0; i < count; i++) {
                                v[i] = mls_strdup(raw[i] ? raw[i] : "");
                                H5free_memory(raw[i]);
                        }
                }
                free(raw);
        } else if (count > 0) {
                size_t size = H5Tget_size(t);

                buf = mls_calloc((size_t)count, size + 1);
                if (size > 0 && H5Aread(a, t, buf) >= 0) {
                        ret = 1;
                        for (hssize_t i = 0; i < count; i++) {
                                const char *s = buf + (size_t)i * size;
                                size_t len = strnlen(s, size);

                                while (len > 0 && s[len - 1] == ' ')
                                        len--;
                                v[i] = mls_calloc(len + 1, 1);
                                memcpy(v[i], s, len);
                        }
                }
        } else {
                ret = 1;
        }
out:
        free(buf);
        if (sp >= 0)
                H5Sclose(sp);
        if (t >= 0)
                H5Tclose(t);
        if (a >= 0)
                H5Aclose(a);
        if (ret == 1) {
                *out = v;
                *n = (int)count;
        } else {
                free_strings(v, (int)(count > 0 ? count : 0));
        }
        return ret;
}

/* read_string - a scalar string attribute, or NULL when absent or unreadable. Owned by caller. */
static char *read_string(hid_t obj, const char *name)
{
        char **v = NULL, *s = NULL;
        int n = 0;

        if (mls_h5_strings(obj, name, &v, &n) == 1 && n >= 1) {
                s = v[0];
                v[0] = NULL;
        }
        free_strings(v, n);
        return s;
}

/*
 * read_numbers - up to @max elements of the numeric attribute @name of @obj as @memtype into
 * @buf. Returns the number of elements the attribute holds (it may exceed @max; only @max are
 * read then), or -1 when it is absent or not numeric.
 */
static hssize_t read_numbers(hid_t obj, const char *name, hid_t memtype, size_t elsize, void *buf,
                             hssize_t max)
{
        hid_t a = H5I_INVALID_HID, t = H5I_INVALID_HID, sp = H5I_INVALID_HID;
        H5T_class_t cls;
        hssize_t n = -1;

        if (H5Aexists(obj, name) <= 0)
                return -1;
        if ((a = H5Aopen(obj, name, H5P_DEFAULT)) < 0 || (t = H5Aget_type(a)) < 0 ||
            (sp = H5Aget_space(a)) < 0)
                goto out;
        cls = H5Tget_class(t);
        if (cls != H5T_INTEGER && cls != H5T_FLOAT)
                goto out;
        n = H5Sget_simple_extent_npoints(sp);
        if (n > 0) {
                char *all = mls_calloc((size_t)n, elsize);

                if (H5Aread(a, memtype, all) < 0)
                        n = -1;
                else if (max > 0)
                        memcpy(buf, all, (size_t)(n < max ? n : max) * elsize);
                free(all);
        }
out:
        if (sp >= 0)
                H5Sclose(sp);
        if (t >= 0)
                H5Tclose(t);
        if (a >= 0)
                H5Aclose(a);
        return n;
}

/* read_commit - /checkpoint/commit, a dataset of int64[COMMIT_LEN] (an attribute in older files). */
static hssize_t read_commit(hid_t g, int64_t *c)
{
        hid_t d, sp;
        hssize_t n = -1;

        if (H5Aexists(g, "commit") > 0)
                return read_numbers(g, "commit", H5T_NATIVE_INT64, sizeof(int64_t), c, COMMIT_LEN);
        if (H5Lexists(g, "commit", H5P_DEFAULT) <= 0 || (d = H5Dopen2(g, "commit", H5P_DEFAULT)) < 0)
                return -1;
        if ((sp = H5Dget_space(d)) >= 0) {
                n = H5Sget_simple_extent_npoints(sp);
                if (n != COMMIT_LEN || H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, c) < 0)
                        n = -1;
                H5Sclose(sp);
        }
        H5Dclose(d);
        return n;
}

static bool read_i64(hid_t obj, const char *name, int64_t *v)
{
        return read_numbers(obj, name, H5T_NATIVE_INT64, sizeof(*v), v, 1) >= 1;
}

static bool read_i32(hid_t obj, const char *name, int32_t *v)
{
        return read_numbers(obj, name, H5T_NATIVE_INT32, sizeof(*v), v, 1) >= 1;
}

static bool read_f64(hid_t obj, const char *name, double *v)
{
        return read_numbers(obj, name, H5T_NATIVE_DOUBLE, sizeof(*v), v, 1) >= 1;
}

/* ------------------------------------------------------------------ opening */

static const unsigned char h5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

/* Why @path could not be opened as an HDF5 file, for the user. */
static mls_rc open_failure(const char *path, char *err, size_t errlen)
{
        unsigned char sig[sizeof(h5_signature)];
        FILE *f = fopen(path, "rb");
        bool found = false;

        if (!f)
                return fail(err, errlen, path, "cannot open: %s", strerror(errno));
        /* A user block moves the superblock to 512, 1024, 2048, ... bytes. */
        for (long off = 0; !found && off <= (1L << 20); off = off ? 2 * off : 512) {
                if (fseek(f, off, SEEK_SET) != 0 || fread(sig, 1, sizeof(sig), f) != sizeof(sig))
                        break;
                found = memcmp(sig, h5_signature, sizeof(sig)) == 0;
        }
        fclose(f);
        if (!found)
                return fail(err, errlen, path, "not an HDF5 file (so not an mlscan output)");
        return fail(err, errlen, path,
                    "HDF5 cannot open it (truncated, damaged, or its creation not finished)");
}

/*
 * enum_memtype - the memory type for the enum column @d: int8 values 0..n-1 named @names, so
 * that HDF5 converts by name; plain int8 for an integer column; -1 otherwise. Owned by caller.
 */
static hid_t enum_memtype(hid_t d, const char *const *names, int n)
{
        hid_t ft = H5Dget_type(d), t = H5I_INVALID_HID;
        H5T_class_t cls = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;

        if (cls == H5T_ENUM) {
                t = H5Tenum_create(H5T_NATIVE_INT8);
                for (int i = 0; t >= 0 && i < n; i++) {
                        int8_t v = (int8_t)i;

                        if (H5Tenum_insert(t, names[i], &v) < 0) {
                                H5Tclose(t);
                                t = H5I_INVALID_HID;
                        }
                }
        } else if (cls == H5T_INTEGER) {
                t = H5Tcopy(H5T_NATIVE_INT8);
        }
        if (ft >= 0)
                H5Tclose(ft);
        return t;
}

/* error_memtype - /points/error's own fixed-size string type; -1 for any other type. */
static hid_t error_memtype(hid_t d, size_t *len)
{
        hid_t ft = H5Dget_type(d), t = H5I_INVALID_HID;

        if (ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0 && H5Tget_size(ft) > 0) {
                t = H5Tcopy(ft);
                *len = H5Tget_size(ft);
        }
        if (ft >= 0)
                H5Tclose(ft);
        return t;
}

/* x, obs and terms are [rows, names]; every other column is 1-D. */
static bool is_2d(enum col c)
{
        return c == COL_X || c == COL_OBS || c == COL_TERMS;
}

static mls_rc open_column(mls_rfile *f, enum col c, char *err, size_t errlen)
{
        static const char *const bool_names[2] = {"FALSE", "TRUE"};
        const struct mls_rmeta *m = &f->meta;
        hsize_t dims[2] = {0, 0};
        hid_t sp = H5I_INVALID_HID;
        int nd = is_2d(c) ? 2 : 1;
        mls_rc rc = MLS_OK;

        if (H5Lexists(f->points, col_names[c], H5P_DEFAULT) <= 0 ||
            (f->dset[c] = H5Dopen2(f->points, col_names[c], H5P_DEFAULT)) < 0)
                return fail(err, errlen, f->path, "no dataset /points/%s: not an mlscan output file",
                            col_names[c]);
        if ((sp = H5Dget_space(f->dset[c])) < 0 || H5Sget_simple_extent_ndims(sp) != nd ||
            H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
                rc = fail(err, errlen, f->path, "/points/%s is not a %d-D dataset", col_names[c], nd);
        else if (dims[0] < (hsize_t)m->rows)
                rc = fail(err, errlen, f->path, "/points/%s has %llu rows, fewer than /points@rows = %lld",
                          col_names[c], (unsigned long long)dims[0], (long long)m->rows);
        else if (nd == 2 && dims[1] != (hsize_t)f->width[c])
                rc = fail(err, errlen, f->path, "/points/%s has %llu columns for %d names", col_names[c],
                          (unsigned long long)dims[1], f->width[c]);
        if (sp >= 0)
                H5Sclose(sp);
        if (rc != MLS_OK)
                return rc;
        f->own_type[c] = true;
        switch (c) {
        case COL_ID: f->memtype[c] = H5Tcopy(H5T_NATIVE_INT64); break;
        case COL_GENERATION:
        case COL_WORKER: f->memtype[c] = H5Tcopy(H5T_NATIVE_INT32); break;
        case COL_ORIGIN:
                f->memtype[c] = enum_memtype(f->dset[c], (const char *const *)m->orinames, m->nori);
                break;
        case COL_STATUS:
                f->memtype[c] = enum_memtype(f->dset[c], (const char *const *)m->snames, m->ns);
                break;
        case COL_GOOD: f->memtype[c] = enum_memtype(f->dset[c], bool_names, 2); break;
        case COL_ERROR: f->memtype[c] = error_memtype(f->dset[c], &f->meta.error_len); break;
        default: f->memtype[c] = H5Tcopy(H5T_NATIVE_DOUBLE); break;
        }
        if (f->memtype[c] < 0) {
                f->own_type[c] = false;
                return fail(err, errlen, f->path, "/points/%s does not have the type mlscan writes",
                            col_names[c]);
        }
        return MLS_OK;
}

static mls_rc read_names(mls_rfile *f, const char *attr, char ***v, int *n, char *err, size_t errlen)
{
        int got = mls_h5_strings(f->points, attr, v, n);

        if (got == 0)
                return fail(err, errlen, f->path, "no /points@%s: not an mlscan output file", attr);
        if (got < 0)
                return fail(err, errlen, f->path, "cannot read the names /points@%s", attr);
        return MLS_OK;
}

static mls_rc read_points_meta(mls_rfile *f, char *err, size_t errlen)
{
        struct mls_rmeta *m = &f->meta;
        mls_rc rc;

        if (H5Lexists(f->file, "points", H5P_DEFAULT) <= 0 ||
            (f->points = H5Gopen2(f->file, "points", H5P_DEFAULT)) < 0)
                return fail(err, errlen, f->path, "no group /points: not an mlscan output file");
        if (!read_i64(f->points, "rows", &m->rows))
                return fail(
                        err, errlen, f->path,
                        "no committed row count /points@rows: not an mlscan output file, or its creation did not finish");
        if (m->rows < 0)
                return fail(err, errlen, f->path, "/points@rows is %lld", (long long)m->rows);
        if ((rc = read_names(f, "parameter_names", &m->pnames, &m->np, err, errlen)) != MLS_OK ||
            (rc = read_names(f, "observable_names", &m->onames, &m->no, err, errlen)) != MLS_OK ||
            (rc = read_names(f, "term_names", &m->tnames, &m->nt, err, errlen)) != MLS_OK ||
            (rc = read_names(f, "status_names", &m->snames, &m->ns, err, errlen)) != MLS_OK ||
            (rc = read_names(f, "origin_names", &m->orinames, &m->nori, err, errlen)) != MLS_OK)
                return rc;
        if (m->ns < 1 || m->ns > 127 || m->nori < 1 || m->nori > 127)
                return fail(err, errlen, f->path,
                            "/points@status_names or @origin_names is empty or too long");
        f->width[COL_X] = m->np;
        f->width[COL_OBS] = m->no;
        f->width[COL_TERMS] = m->nt;
        for (int c = 0; c < NCOLS; c++)
                if ((rc = open_column(f, (enum col)c, err, errlen)) != MLS_OK)
                        return rc;
        return MLS_OK;
}

/* The root's attributes, /generations@rows, /model's and /checkpoint's: all optional. */
static void read_other_meta(mls_rfile *f)
{
        struct mls_rmeta *m = &f->meta;
        hid_t g;

        m->run_name = read_string(f->file, "run_name");
        m->method = read_string(f->file, "method");
        m->start_time = read_string(f->file, "start_time");
        m->mlscan_version = read_string(f->file, "mlscan_version");
        m->card_path = read_string(f->file, "card_path");
        m->physics = read_string(f->file, "physics");
        m->have_seed = read_i64(f->file, "seed", &m->seed);
        m->have_ranks = read_i64(f->file, "ranks", &m->ranks);
        m->have_nll_below = read_f64(f->file, "nll_below", &m->nll_below);
        if (mls_h5_strings(f->file, "card_summary", &m->card_summary, &m->ncard_summary) != 1)
                m->ncard_summary = -1;
        if (H5Lexists(f->file, "generations", H5P_DEFAULT) > 0 &&
            (g = H5Gopen2(f->file, "generations", H5P_DEFAULT)) >= 0) {
                if (!read_i64(g, "rows", &m->gen_rows) || m->gen_rows < 0)
                        m->gen_rows = 0;
                H5Gclose(g);
        }
        if (H5Lexists(f->file, "model", H5P_DEFAULT) > 0 &&
            (g = H5Gopen2(f->file, "model", H5P_DEFAULT)) >= 0) {
                hssize_t nh;

                m->have_model = true;
                m->have_mgen = read_i32(g, "generation", &m->mgen);
                m->have_nin = read_i32(g, "nin", &m->nin);
                m->have_nout = read_i32(g, "nout", &m->nout);
                m->have_step = read_i64(g, "step", &m->step);
                m->activation = read_string(g, "activation");
                m->output = read_string(g, "output");
                /* hidden: a list of widths, or an empty (null) attribute for no hidden layer */
                nh = read_numbers(g, "hidden", H5T_NATIVE_INT32, sizeof(int32_t), NULL, 0);
                if (nh >= 0 && nh <= 4096) {
                        m->hidden = mls_calloc((size_t)nh + 1, sizeof(int32_t));
                        m->have_hidden = read_numbers(g, "hidden", H5T_NATIVE_INT32, sizeof(int32_t),
                                                      m->hidden, nh) == nh;
                        m->nhidden = m->have_hidden ? (int)nh : 0;
                }
                H5Gclose(g);
        }
        if (H5Lexists(f->file, "checkpoint", H5P_DEFAULT) > 0 &&
            (g = H5Gopen2(f->file, "checkpoint", H5P_DEFAULT)) >= 0) {
                int64_t c[COMMIT_LEN] = {0};
                hssize_t n = read_commit(g, c);
                int k = n >= 1 && c[0] == COMMIT_MAGIC; /* the fields follow the magic number */

                /* {[magic,] sequence, slot, points rows, generation rows, state bytes, complete, ...} */
                if (n >= k + 3) {
                        m->have_checkpoint = true;
                        m->ckpt_sequence = c[k];
                        m->ckpt_rows = c[k + 2];
                        m->ckpt_complete = k && n >= 7 ? c[6] != 0 : -1;
                }
                H5Gclose(g);
        }
}

mls_rc mls_rfile_open(const char *path, mls_rfile **out, char *err, size_t errlen)
{
        mls_rfile *f = mls_calloc(1, sizeof(*f));
        hid_t fapl = H5I_INVALID_HID;
        struct quiet q;
        mls_rc rc = MLS_OK;

        *out = NULL;
        f->path = mls_strdup(path);
        f->file = f->points = H5I_INVALID_HID;
        for (int c = 0; c < NCOLS; c++)
                f->dset[c] = f->memtype[c] = H5I_INVALID_HID;
        f->meta.ncard_summary = -1;
        quiet_on(&q);
        /* The default driver, whatever HDF5_DRIVER says; no lock, so a running scan's file opens. */
        if ((fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0 || H5Pset_fapl_sec2(fapl) < 0) {
                rc = fail(err, errlen, path, "cannot set up HDF5 file access");
                goto out;
        }
#if H5_VERSION_GE(1, 10, 7)
        H5Pset_file_locking(fapl, false, true);
#endif
        if ((f->file = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0) {
                rc = open_failure(path, err, errlen);
                goto out;
        }
        if ((rc = read_points_meta(f, err, errlen)) == MLS_OK)
                read_other_meta(f);
out:
        if (fapl >= 0)
                H5Pclose(fapl);
        quiet_off(&q);
        if (rc == MLS_OK) {
                *out = f;
                f = NULL;
        }
        mls_rfile_close(&f);
        return rc;
}

static void meta_fini(struct mls_rmeta *m)
{
        free(m->run_name);
        free(m->method);
        free(m->start_time);
        free(m->mlscan_version);
        free(m->card_path);
        free(m->physics);
        free_strings(m->card_summary, m->ncard_summary);
        free_strings(m->pnames, m->np);
        free_strings(m->onames, m->no);
        free_strings(m->tnames, m->nt);
        free_strings(m->snames, m->ns);
        free_strings(m->orinames, m->nori);
        free(m->hidden);
        free(m->activation);
        free(m->output);
        memset(m, 0, sizeof(*m));
}

void mls_rfile_close(mls_rfile **fp)
{
        mls_rfile *f = fp ? *fp : NULL;
        struct quiet q;

        if (!f)
                return;
        quiet_on(&q);
        for (int c = 0; c < NCOLS; c++) {
                if (f->dset[c] >= 0)
                        H5Dclose(f->dset[c]);
                if (f->own_type[c] && f->memtype[c] >= 0)
                        H5Tclose(f->memtype[c]);
        }
        if (f->points >= 0)
                H5Gclose(f->points);
        if (f->file >= 0)
                H5Fclose(f->file);
        quiet_off(&q);
        meta_fini(&f->meta);
        free(f->path);
        mls_free(fp);
}

const struct mls_rmeta *mls_rfile_meta(const mls_rfile *f)
{
        return &f->meta;
}

/* ------------------------------------------------------------------ rows */

void mls_rblock_fini(struct mls_rblock *b)
{
        mls_free(&b->id);
        mls_free(&b->generation);
        mls_free(&b->worker);
        mls_free(&b->origin);
        mls_free(&b->status);
        mls_free(&b->good);
        mls_free(&b->x);
        mls_free(&b->obs);
        mls_free(&b->terms);
        mls_free(&b->nll);
        mls_free(&b->seconds);
        mls_free(&b->error);
        b->n = b->cap = 0;
}

/* column_buffer - where column @c of @b lives: its address and bytes per row. */
static void **column_buffer(const mls_rfile *f, struct mls_rblock *b, enum col c, size_t *rowbytes)
{
        size_t w = (size_t)(f->width[c] > 0 ? f->width[c] : 0);

        switch (c) {
        case COL_ID: *rowbytes = sizeof(int64_t); return (void **)&b->id;
        case COL_GENERATION: *rowbytes = sizeof(int32_t); return (void **)&b->generation;
        case COL_ORIGIN: *rowbytes = 1; return (void **)&b->origin;
        case COL_WORKER: *rowbytes = sizeof(int32_t); return (void **)&b->worker;
        case COL_STATUS: *rowbytes = 1; return (void **)&b->status;
        case COL_X: *rowbytes = w * sizeof(double); return (void **)&b->x;
        case COL_OBS: *rowbytes = w * sizeof(double); return (void **)&b->obs;
        case COL_TERMS: *rowbytes = w * sizeof(double); return (void **)&b->terms;
        case COL_NLL: *rowbytes = sizeof(double); return (void **)&b->nll;
        case COL_GOOD: *rowbytes = 1; return (void **)&b->good;
        case COL_SECONDS: *rowbytes = sizeof(double); return (void **)&b->seconds;
        default: *rowbytes = f->meta.error_len; return (void **)&b->error;
        }
}

/*
 * reserve - room for @n rows in every column of @cols. Invariant: every allocated column of @b
 * holds b->cap rows.
 */
static void reserve(const mls_rfile *f, struct mls_rblock *b, unsigned cols, int64_t n)
{
        int64_t cap = n > b->cap ? n : b->cap;

        for (int c = 0; c < NCOLS; c++) {
                size_t rowbytes;
                void **p = column_buffer(f, b, (enum col)c, &rowbytes);

                if ((*p == NULL && (cols & (1u << c))) || (*p != NULL && cap > b->cap))
                        *p = mls_realloc(*p, (size_t)cap, rowbytes > 0 ? rowbytes : 1);
        }
        b->cap = cap;
}

/* Checks that the values of the enum columns are known names. */
static mls_rc check_enums(const mls_rfile *f, unsigned cols, const struct mls_rblock *b, int64_t n, char *err,
                          size_t errlen)
{
        for (int64_t i = 0; i < n; i++) {
                if ((cols & MLS_RCOL_STATUS) && (b->status[i] < 0 || b->status[i] >= f->meta.ns))
                        return fail(err, errlen, f->path,
                                    "a /points/status value (%d) is not in /points@status_names",
                                    b->status[i]);
                if ((cols & MLS_RCOL_ORIGIN) && (b->origin[i] < 0 || b->origin[i] >= f->meta.nori))
                        return fail(err, errlen, f->path,
                                    "a /points/origin value (%d) is not in /points@origin_names",
                                    b->origin[i]);
                if ((cols & MLS_RCOL_GOOD) && b->good[i] != 0 && b->good[i] != 1)
                        return fail(err, errlen, f->path, "a /points/good value (%d) is not 0 or 1",
                                    b->good[i]);
        }
        return MLS_OK;
}

mls_rc mls_rfile_read_range(mls_rfile *f, unsigned cols, int64_t start, int64_t n, struct mls_rblock *b,
                            char *err, size_t errlen)
{
        struct quiet q;
        mls_rc rc = MLS_OK;

        if (start < 0 || n < 0 || start + n > f->meta.rows)
                return fail(err, errlen, f->path, "rows %lld to %lld asked for, beyond /points@rows = %lld",
                            (long long)start, (long long)(start + n), (long long)f->meta.rows);
        reserve(f, b, cols, n);
        b->n = n;
        if (n == 0)
                return MLS_OK;
        quiet_on(&q);
        for (int c = 0; c < NCOLS && rc == MLS_OK; c++) {
                int w = f->width[c], nd = is_2d((enum col)c) ? 2 : 1;
                hsize_t off[2] = {(hsize_t)start, 0}, count[2] = {(hsize_t)n, (hsize_t)w};
                hid_t fsp = H5I_INVALID_HID, msp = H5I_INVALID_HID;
                size_t rowbytes;
                void **buf = column_buffer(f, b, (enum col)c, &rowbytes);

                if (!(cols & (1u << c)) || (nd == 2 && w == 0))
                        continue;
                if ((fsp = H5Dget_space(f->dset[c])) < 0 || (msp = H5Screate_simple(nd, count, NULL)) < 0 ||
                    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, off, NULL, count, NULL) < 0 ||
                    H5Dread(f->dset[c], f->memtype[c], msp, fsp, H5P_DEFAULT, *buf) < 0)
                        rc = fail(err, errlen, f->path,
                                  "cannot read rows %lld to %lld of /points/%s" MAYBE_WRITING,
                                  (long long)start, (long long)(start + n), col_names[c]);
                if (msp >= 0)
                        H5Sclose(msp);
                if (fsp >= 0)
                        H5Sclose(fsp);
        }
        quiet_off(&q);
        if (rc == MLS_OK)
                rc = check_enums(f, cols, b, n, err, errlen);
        return rc;
}

/*
 * read_points - rows @pos[0..n) of column @c into @buf (@rowbytes a row), in @pos's order:
 * a point selection lists the elements in the order they land in memory.
 */
static mls_rc read_points(mls_rfile *f, enum col c, const int64_t *pos, int64_t n, char *buf, size_t rowbytes,
                          char *err, size_t errlen)
{
        int w = f->width[c], nd = is_2d(c) ? 2 : 1;
        int64_t per = nd == 2 ? (POINTS_PER_READ / w > 0 ? POINTS_PER_READ / w : 1) : POINTS_PER_READ;
        hsize_t *coord =
                mls_calloc((size_t)(per < n ? per : n) * (size_t)(nd == 2 ? 2 * w : 1), sizeof(hsize_t));
        hid_t fsp = H5Dget_space(f->dset[c]);
        mls_rc rc = MLS_OK;

        if (fsp < 0)
                rc = fail(err, errlen, f->path, "cannot read /points/%s" MAYBE_WRITING, col_names[c]);
        for (int64_t i0 = 0; i0 < n && rc == MLS_OK; i0 += per) {
                int64_t m = n - i0 < per ? n - i0 : per;
                size_t k = 0;
                hsize_t npts;
                hid_t msp;

                for (int64_t i = i0; i < i0 + m; i++) {
                        if (nd == 1) {
                                coord[k++] = (hsize_t)pos[i];
                                continue;
                        }
                        for (int j = 0; j < w; j++) {
                                coord[k++] = (hsize_t)pos[i];
                                coord[k++] = (hsize_t)j;
                        }
                }
                npts = (hsize_t)m * (hsize_t)(nd == 2 ? w : 1);
                msp = H5Screate_simple(1, &npts, NULL);
                if (msp < 0 || H5Sselect_elements(fsp, H5S_SELECT_SET, (size_t)npts, coord) < 0 ||
                    H5Dread(f->dset[c], f->memtype[c], msp, fsp, H5P_DEFAULT, buf + (size_t)i0 * rowbytes) <
                            0)
                        rc = fail(err, errlen, f->path, "cannot read %lld rows of /points/%s" MAYBE_WRITING,
                                  (long long)m, col_names[c]);
                if (msp >= 0)
                        H5Sclose(msp);
        }
        if (fsp >= 0)
                H5Sclose(fsp);
        free(coord);
        return rc;
}

mls_rc mls_rfile_read_rows(mls_rfile *f, unsigned cols, const int64_t *pos, int64_t n, struct mls_rblock *b,
                           char *err, size_t errlen)
{
        struct quiet q;
        mls_rc rc = MLS_OK;

        for (int64_t i = 0; i < n; i++)
                if (pos[i] < 0 || pos[i] >= f->meta.rows)
                        return fail(err, errlen, f->path, "row %lld asked for, beyond /points@rows = %lld",
                                    (long long)pos[i], (long long)f->meta.rows);
        reserve(f, b, cols, n);
        b->n = n;
        if (n == 0)
                return MLS_OK;
        quiet_on(&q);
        for (int c = 0; c < NCOLS && rc == MLS_OK; c++) {
                size_t rowbytes;
                void **buf = column_buffer(f, b, (enum col)c, &rowbytes);

                if ((cols & (1u << c)) && rowbytes > 0)
                        rc = read_points(f, (enum col)c, pos, n, *buf, rowbytes, err, errlen);
        }
        quiet_off(&q);
        if (rc == MLS_OK)
                rc = check_enums(f, cols, b, n, err, errlen);
        return rc;
}

/* ------------------------------------------------------------------ generations */

mls_rc mls_rfile_read_gens(mls_rfile *f, struct mls_rgen **rows, char *err, size_t errlen)
{
#define GCOL(name, isint)                                                                                    \
        {                                                                                                    \
#name, isint, offsetof(struct mls_rgen, name)                                                \
        }
        static const struct {
                const char *name;
                bool isint;
                size_t off;
        } gcols[] = {
                GCOL(generation, true),     GCOL(evaluated, true),         GCOL(good, true),
                GCOL(efficiency, false),    GCOL(total_efficiency, false), GCOL(ntrain, true),
                GCOL(train_loss, false),    GCOL(val_loss, false),         GCOL(epochs, true),
                GCOL(train_seconds, false),
        };
#undef GCOL
        int64_t n = f->meta.gen_rows;
        hid_t g = H5I_INVALID_HID;
        struct mls_rgen *r = NULL;
        double *col = NULL;
        struct quiet q;
        mls_rc rc = MLS_OK;

        *rows = NULL;
        if (n == 0)
                return MLS_OK;
        quiet_on(&q);
        r = mls_calloc((size_t)n, sizeof(*r));
        col = mls_calloc((size_t)n, sizeof(double)); /* int64 and double alike: 8 bytes */
        if ((g = H5Gopen2(f->file, "generations", H5P_DEFAULT)) < 0)
                rc = fail(err, errlen, f->path, "cannot open /generations");
        for (size_t c = 0; c < sizeof(gcols) / sizeof(gcols[0]) && rc == MLS_OK; c++) {
                hid_t d = H5I_INVALID_HID, fsp = H5I_INVALID_HID, msp = H5I_INVALID_HID;
                hsize_t dims[1] = {0}, off[1] = {0}, count[1] = {(hsize_t)n};

                if (H5Lexists(g, gcols[c].name, H5P_DEFAULT) <= 0 ||
                    (d = H5Dopen2(g, gcols[c].name, H5P_DEFAULT)) < 0 || (fsp = H5Dget_space(d)) < 0 ||
                    H5Sget_simple_extent_ndims(fsp) != 1 || H5Sget_simple_extent_dims(fsp, dims, NULL) < 0)
                        rc = fail(err, errlen, f->path, "no 1-D dataset /generations/%s", gcols[c].name);
                else if (dims[0] < (hsize_t)n)
                        rc = fail(err, errlen, f->path,
                                  "/generations/%s has %llu rows, fewer than /generations@rows = %lld",
                                  gcols[c].name, (unsigned long long)dims[0], (long long)n);
                else if ((msp = H5Screate_simple(1, count, NULL)) < 0 ||
                         H5Sselect_hyperslab(fsp, H5S_SELECT_SET, off, NULL, count, NULL) < 0 ||
                         H5Dread(d, gcols[c].isint ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, msp, fsp,
                                 H5P_DEFAULT, col) < 0)
                        rc = fail(err, errlen, f->path, "cannot read /generations/%s" MAYBE_WRITING,
                                  gcols[c].name);
                for (int64_t i = 0; rc == MLS_OK && i < n; i++)
                        memcpy((char *)&r[i] + gcols[c].off, col + i, 8);
                if (msp >= 0)
                        H5Sclose(msp);
                if (fsp >= 0)
                        H5Sclose(fsp);
                if (d >= 0)
                        H5Dclose(d);
        }
        if (g >= 0)
                H5Gclose(g);
        quiet_off(&q);
        free(col);
        if (rc == MLS_OK)
                *rows = r;
        else
                free(r);
        return rc;
}
