/*
 * store.c - the run's HDF5 file (layout in include/mlscan/store.h).
 * The only file that knows HDF5. Every function here is collective over the store's
 * communicator: all ranks make the same metadata calls with the same arguments.
 */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <hdf5.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "mlscan/blob.h"
#include "mlscan/gens.h"
#include "mlscan/likelihood.h"
#include "mlscan/log.h"
#include "mlscan/method.h"
#include "mlscan/physics.h"
#include "mlscan/store.h"
#include "mlscan/util.h"
#include "store_report.h"

#define MLS_FORMAT_VERSION 3                    /* 3: /generations has the time columns; async farm state */
#define COMMIT_MAGIC       0x6d6c7363616e3243LL /* "mlscan2C" */
#define COMMIT_LEN         8
#define CHUNK_ROWS         4096

enum col {
        COL_ID,
        COL_GENERATION,
        COL_ORIGIN,
        COL_WORKER,
        COL_STATUS,
        COL_U,
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
        "id",  "generation", "origin", "worker", "status",  "u",     "x",
        "obs", "terms",      "nll",    "good",   "seconds", "error",
};

/* /generations: one 1-D column per field of struct mls_gen_row. */
enum gen_type { GT_I32, GT_I64, GT_F64 };
struct gen_col {
        const char *name;
        enum gen_type type;
        size_t off;
};
#define GEN_COL(f, t)                                                                                        \
        {                                                                                                    \
#f, t, offsetof(struct mls_gen_row, f)                                                       \
        }
static const struct gen_col gen_cols[] = {
        GEN_COL(generation, GT_I32),
        GEN_COL(proposed, GT_I64),
        GEN_COL(evaluated, GT_I64),
        GEN_COL(good, GT_I64),
        GEN_COL(efficiency, GT_F64),
        GEN_COL(total_evaluated, GT_I64),
        GEN_COL(total_good, GT_I64),
        GEN_COL(total_efficiency, GT_F64),
        GEN_COL(ntrain, GT_I64),
        GEN_COL(nmodel, GT_I64),
        GEN_COL(nrandom, GT_I64),
        GEN_COL(nsmote, GT_I64),
        GEN_COL(npass, GT_I64),
        GEN_COL(random_fraction, GT_F64),
        GEN_COL(train_loss, GT_F64),
        GEN_COL(val_loss, GT_F64),
        GEN_COL(epochs, GT_I32),
        GEN_COL(train_seconds, GT_F64),
        GEN_COL(propose_seconds, GT_F64),
        GEN_COL(elapsed, GT_F64),
        GEN_COL(nfill, GT_I64),
        GEN_COL(physics_seconds, GT_F64),
        GEN_COL(dispatch_seconds, GT_F64),
        GEN_COL(io_seconds, GT_F64),
        GEN_COL(idle_seconds, GT_F64),
};
#define NGENCOLS ((int)(sizeof(gen_cols) / sizeof(gen_cols[0])))

struct mls_store {
        MPI_Comm comm;
        int rank, size;
        hid_t fid, points, dxpl;
        hid_t gens, gen_dset[NGENCOLS];
        int64_t gen_rows;
        hid_t dset[NCOLS];
        hid_t status_t, origin_t, bool_t, error_t;
        int d, m, k;
        int64_t rows;      /* rows written (the datasets' extent) */
        int64_t committed; /* rows of the last commit */
        /* /checkpoint: rank 0's state in two slots, and the commit attribute naming the valid one */
        hid_t ckpt, state[2], commit;
        int64_t sequence;
        /* /outputs/<name>/{offset, size, data}: physics.keep files, row i = /points row i */
        int nkeep;
        hid_t outputs, *keep_dset; /* 3 per kept file */
        int64_t *keep_bytes;
        char *path;
};

enum { KEEP_OFFSET, KEEP_SIZE, KEEP_DATA, NKEEPCOLS };
static const char *const keep_col_names[NKEEPCOLS] = {"offset", "size", "data"};

static mls_rc h5_fail_at(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Logs what failed; prints HDF5's own error stack at debug verbosity. Never jumps. */
static mls_rc h5_fail_at(const char *file, int line, const char *fmt, ...)
{
        int e = errno; /* what the system call under HDF5 and MPI-IO said, if it was one of these */
        bool sys = e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS || e == EFBIG || e == EACCES;
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        mls_log_at(MLS_LOG_ERR, false, file, line, "HDF5 failed while %s%s%s", what, sys ? ": " : "",
                   sys ? strerror(e) : "");
        if (mls_log_enabled(MLS_LOG_DEBUG))
                H5Eprint2(H5E_DEFAULT, stderr);
        return MLS_ERR_HDF5;
}
#define MLS_H5_FAIL(...) h5_fail_at(__FILE__, __LINE__, __VA_ARGS__)

void mls_store_quiet(void)
{
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* ------------------------------------------------------------------ attributes */

static mls_rc attr_write(hid_t obj, const char *name, hid_t type, hid_t space, const void *buf)
{
        hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
        mls_rc rc = MLS_OK;

        if (a < 0 || H5Awrite(a, type, buf) < 0)
                rc = MLS_H5_FAIL("writing attribute '%s'", name);
        if (a >= 0)
                H5Aclose(a);
        return rc;
}

static mls_rc attr_i64(hid_t obj, const char *name, int64_t v)
{
        hid_t sp = H5Screate(H5S_SCALAR);
        mls_rc rc = attr_write(obj, name, H5T_NATIVE_INT64, sp, &v);

        H5Sclose(sp);
        return rc;
}

static mls_rc attr_f64(hid_t obj, const char *name, double v)
{
        hid_t sp = H5Screate(H5S_SCALAR);
        mls_rc rc = attr_write(obj, name, H5T_NATIVE_DOUBLE, sp, &v);

        H5Sclose(sp);
        return rc;
}

static hid_t str_type(void)
{
        hid_t t = H5Tcopy(H5T_C_S1);

        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8);
        return t;
}

/* A list of names as a variable-length UTF-8 string array: h5py reads it as str. */
static mls_rc attr_strings(hid_t obj, const char *name, int n, const char *const *v)
{
        hsize_t dim = (hsize_t)n;
        hid_t t = str_type(), sp = n > 0 ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_NULL);
        mls_rc rc = attr_write(obj, name, t, sp, v);

        H5Sclose(sp);
        H5Tclose(t);
        return rc;
}

static mls_rc attr_string(hid_t obj, const char *name, const char *v)
{
        hid_t t = str_type(), sp = H5Screate(H5S_SCALAR);
        mls_rc rc = attr_write(obj, name, t, sp, &v);

        H5Sclose(sp);
        H5Tclose(t);
        return rc;
}

/* ------------------------------------------------------------------ file creation */

static hid_t enum_type(int n, const char *(*name)(int))
{
        hid_t t = H5Tenum_create(H5T_NATIVE_INT8);

        for (int i = 0; i < n; i++) {
                int8_t v = (int8_t)i;

                H5Tenum_insert(t, name(i), &v);
        }
        return t;
}

/* h5py reads an int8 enum {FALSE, TRUE} as numpy bool. */
static const char *bool_name(int i)
{
        return i ? "TRUE" : "FALSE";
}

/*
 * create_dataset - an extensible dataset @name in @g of rows of @width values (0: 1-D),
 * chunked by @chunk_rows; @deflate compresses it (parallel HDF5 writes filtered datasets
 * collectively only, as every write here is).
 */
static hid_t create_dataset(hid_t g, const char *name, hid_t type, int width, hsize_t chunk_rows,
                            bool deflate)
{
        hsize_t dims[2] = {0, (hsize_t)width}, maxdims[2] = {H5S_UNLIMITED, (hsize_t)width};
        hsize_t chunk[2] = {chunk_rows, (hsize_t)(width > 0 ? width : 1)};
        int rank = width > 0 ? 2 : 1;
        hid_t sp = H5Screate_simple(rank, dims, maxdims), dcpl = H5Pcreate(H5P_DATASET_CREATE), d = -1;

        if (sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0 &&
            (!deflate || H5Pset_deflate(dcpl, 4) >= 0))
                d = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        if (sp >= 0)
                H5Sclose(sp);
        if (dcpl >= 0)
                H5Pclose(dcpl);
        return d;
}

static mls_rc create_column(mls_store *s, enum col c, hid_t type, int width)
{
        /* the error column is mostly empty strings: compressed, it costs next to nothing */
        if ((s->dset[c] = create_dataset(s->points, col_names[c], type, width, CHUNK_ROWS, c == COL_ERROR)) <
            0)
                return MLS_H5_FAIL("creating column /points/%s", col_names[c]);
        return MLS_OK;
}

static mls_rc create_outputs(mls_store *s, const struct mls_card *card)
{
        mls_rc rc = MLS_OK;

        s->nkeep = card->phys.nkeep;
        if (s->nkeep == 0)
                return MLS_OK;
        s->keep_dset = mls_calloc((size_t)s->nkeep * NKEEPCOLS, sizeof(hid_t));
        s->keep_bytes = mls_calloc((size_t)s->nkeep, sizeof(int64_t));
        for (int i = 0; i < s->nkeep * NKEEPCOLS; i++)
                s->keep_dset[i] = H5I_INVALID_HID;
        if ((s->outputs = H5Gcreate2(s->fid, "outputs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
                return MLS_H5_FAIL("creating group /outputs");
        for (int j = 0; j < s->nkeep && rc == MLS_OK; j++) {
                hid_t g = H5Gcreate2(s->outputs, card->phys.keep[j], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);

                if (g < 0)
                        return MLS_H5_FAIL("creating group /outputs/%s", card->phys.keep[j]);
                s->keep_dset[j * NKEEPCOLS + KEEP_OFFSET] =
                        create_dataset(g, "offset", H5T_NATIVE_INT64, 0, CHUNK_ROWS, false);
                s->keep_dset[j * NKEEPCOLS + KEEP_SIZE] =
                        create_dataset(g, "size", H5T_NATIVE_INT64, 0, CHUNK_ROWS, false);
                s->keep_dset[j * NKEEPCOLS + KEEP_DATA] =
                        create_dataset(g, "data", H5T_NATIVE_UINT8, 0, 1 << 20, true);
                for (int k = 0; k < NKEEPCOLS; k++)
                        if (s->keep_dset[j * NKEEPCOLS + k] < 0)
                                rc = MLS_H5_FAIL("creating /outputs/%s/%s", card->phys.keep[j],
                                                 keep_col_names[k]);
                H5Gclose(g);
        }
        return rc;
}

static mls_rc create_columns(mls_store *s)
{
        static const enum col real_cols[] = {COL_NLL, COL_SECONDS};
        mls_rc rc;

        if ((rc = create_column(s, COL_ID, H5T_NATIVE_INT64, 0)) != MLS_OK ||
            (rc = create_column(s, COL_GENERATION, H5T_NATIVE_INT32, 0)) != MLS_OK ||
            (rc = create_column(s, COL_ORIGIN, s->origin_t, 0)) != MLS_OK ||
            (rc = create_column(s, COL_WORKER, H5T_NATIVE_INT32, 0)) != MLS_OK ||
            (rc = create_column(s, COL_STATUS, s->status_t, 0)) != MLS_OK ||
            (rc = create_column(s, COL_U, H5T_NATIVE_DOUBLE, s->d)) != MLS_OK ||
            (rc = create_column(s, COL_X, H5T_NATIVE_DOUBLE, s->d)) != MLS_OK ||
            (rc = create_column(s, COL_OBS, H5T_NATIVE_DOUBLE, s->m)) != MLS_OK ||
            (rc = create_column(s, COL_TERMS, H5T_NATIVE_DOUBLE, s->k)) != MLS_OK ||
            (rc = create_column(s, COL_GOOD, s->bool_t, 0)) != MLS_OK ||
            (rc = create_column(s, COL_ERROR, s->error_t, 0)) != MLS_OK)
                return rc;
        for (size_t i = 0; i < sizeof(real_cols) / sizeof(real_cols[0]); i++)
                if ((rc = create_column(s, real_cols[i], H5T_NATIVE_DOUBLE, 0)) != MLS_OK)
                        return rc;
        return MLS_OK;
}

static hid_t gen_type(enum gen_type t)
{
        return t == GT_I32 ? H5T_NATIVE_INT32 : t == GT_I64 ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
}

static mls_rc create_gens(mls_store *s)
{
        hsize_t dims[1] = {0}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {256};
        hid_t sp = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
        mls_rc rc = MLS_OK;

        if ((s->gens = H5Gcreate2(s->fid, "generations", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
                return MLS_H5_FAIL("creating group /generations");
        sp = H5Screate_simple(1, dims, maxdims);
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (sp < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, chunk) < 0)
                rc = MLS_H5_FAIL("setting up /generations");
        for (int i = 0; i < NGENCOLS && rc == MLS_OK; i++)
                if ((s->gen_dset[i] = H5Dcreate2(s->gens, gen_cols[i].name, gen_type(gen_cols[i].type), sp,
                                                 H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
                        rc = MLS_H5_FAIL("creating column /generations/%s", gen_cols[i].name);
        if (rc == MLS_OK)
                rc = attr_i64(s->gens, "rows", 0);
        if (sp >= 0)
                H5Sclose(sp);
        if (dcpl >= 0)
                H5Pclose(dcpl);
        return rc;
}

static mls_rc write_names(mls_store *s, const struct mls_card *card, const char *const *obs_names)
{
        const char **pn = mls_calloc((size_t)s->d, sizeof(char *));
        const char **tn = mls_calloc((size_t)s->k, sizeof(char *));
        char **tbuf = mls_calloc((size_t)s->k, sizeof(char *));
        const char *sn[MLS_ST_COUNT], *on[MLS_ORIGIN_COUNT];
        mls_rc rc;

        for (int i = 0; i < s->d; i++)
                pn[i] = card->params[i].name;
        for (int i = 0; i < s->k; i++) {
                size_t len = strlen(card->terms[i].obs) + 16;

                tbuf[i] = mls_calloc(len, 1);
                snprintf(tbuf[i], len, "%s:%s", card->terms[i].obs, mls_term_kind_name(card->terms[i].kind));
                tn[i] = tbuf[i];
        }
        for (int i = 0; i < MLS_ST_COUNT; i++)
                sn[i] = mls_status_name(i);
        for (int i = 0; i < MLS_ORIGIN_COUNT; i++)
                on[i] = mls_origin_name(i);
        if ((rc = attr_strings(s->points, "parameter_names", s->d, pn)) == MLS_OK &&
            (rc = attr_strings(s->dset[COL_U], "names", s->d, pn)) == MLS_OK &&
            (rc = attr_strings(s->dset[COL_X], "names", s->d, pn)) == MLS_OK &&
            (rc = attr_strings(s->points, "observable_names", s->m, obs_names)) == MLS_OK &&
            (rc = attr_strings(s->dset[COL_OBS], "names", s->m, obs_names)) == MLS_OK &&
            (rc = attr_strings(s->points, "term_names", s->k, tn)) == MLS_OK &&
            (rc = attr_strings(s->dset[COL_TERMS], "names", s->k, tn)) == MLS_OK &&
            (rc = attr_strings(s->points, "status_names", MLS_ST_COUNT, sn)) == MLS_OK)
                rc = attr_strings(s->points, "origin_names", MLS_ORIGIN_COUNT, on);
        for (int i = 0; i < s->k; i++)
                free(tbuf[i]);
        free(tbuf);
        free(pn);
        free(tn);
        return rc;
}

/* card_summary: the card's canonical lines, which a resumed run is compared with */
static mls_rc write_summary(mls_store *s, const struct mls_card *card)
{
        char **lines = mls_card_describe(card);
        int n = 0;
        mls_rc rc;

        while (lines && lines[n])
                n++;
        rc = attr_strings(s->fid, "card_summary", n, (const char *const *)lines);
        mls_card_describe_free(&lines);
        return rc;
}

static mls_rc write_root_attrs(mls_store *s, const struct mls_card *card)
{
        char stamp[32];
        mls_rc rc;

        mls_iso_time(stamp, sizeof(stamp));
        if ((rc = attr_i64(s->fid, "format_version", MLS_FORMAT_VERSION)) == MLS_OK &&
            (rc = attr_string(s->fid, "mlscan_version", PACKAGE_VERSION)) == MLS_OK &&
            (rc = attr_string(s->fid, "run_name", card->name)) == MLS_OK &&
            (rc = attr_string(s->fid, "method", mls_method_get(card->method)->name)) == MLS_OK &&
            (rc = attr_i64(s->fid, "seed", (int64_t)card->seed)) == MLS_OK &&
            (rc = attr_i64(s->fid, "ranks", s->size)) == MLS_OK &&
            (rc = attr_string(s->fid, "start_time", stamp)) == MLS_OK &&
            (rc = attr_string(s->fid, "card_path", card->path)) == MLS_OK &&
            (rc = attr_string(s->fid, "run_card", card->text)) == MLS_OK &&
            (rc = write_summary(s, card)) == MLS_OK &&
            (rc = attr_f64(s->fid, "nll_cap", MLS_NLL_CAP)) == MLS_OK &&
            (rc = attr_f64(s->fid, "nll_below", card->nll_below)) == MLS_OK)
                rc = attr_string(s->fid, "physics",
                                 card->builtin >= 0 ? mls_builtin_get(card->builtin)->name : "external");
        return rc;
}

/*
 * write_commit - the commit record, int64[8] raw data written by rank 0 in one collective
 * write: no metadata changes, so nothing in HDF5's metadata caches has to agree across ranks.
 */
static mls_rc write_commit(mls_store *s, const int64_t *commit)
{
        hsize_t n = COMMIT_LEN;
        hid_t fsp = H5Dget_space(s->commit), msp = H5Screate_simple(1, &n, NULL);
        mls_rc rc = MLS_OK;

        if (s->rank != 0) {
                H5Sselect_none(fsp);
                H5Sselect_none(msp);
        }
        if (fsp < 0 || H5Dwrite(s->commit, H5T_NATIVE_INT64, msp, fsp, s->dxpl, commit) < 0)
                rc = MLS_H5_FAIL("writing /checkpoint/commit");
        if (fsp >= 0)
                H5Sclose(fsp);
        H5Sclose(msp);
        return rc;
}

/*
 * create_checkpoint - /checkpoint: datasets state0 and state1 (uint8, rank 0's checkpoint
 * state, written alternately) and commit, int64[8] = {magic, sequence, slot, points rows,
 * generation rows, state bytes, complete, 0}, written last at each checkpoint.
 */
static mls_rc create_checkpoint(mls_store *s)
{
        int64_t commit[COMMIT_LEN] = {COMMIT_MAGIC, 0, 0, 0, 0, 0, 0, 0};
        hsize_t dim = COMMIT_LEN;
        hid_t sp;

        if ((s->ckpt = H5Gcreate2(s->fid, "checkpoint", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
                return MLS_H5_FAIL("creating group /checkpoint");
        for (int i = 0; i < 2; i++) {
                char name[16];

                snprintf(name, sizeof(name), "state%d", i);
                if ((s->state[i] = create_dataset(s->ckpt, name, H5T_NATIVE_UINT8, 0, 1 << 16, false)) < 0)
                        return MLS_H5_FAIL("creating /checkpoint/%s", name);
        }
        sp = H5Screate_simple(1, &dim, NULL);
        s->commit =
                H5Dcreate2(s->ckpt, "commit", H5T_NATIVE_INT64, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Sclose(sp);
        if (s->commit < 0)
                return MLS_H5_FAIL("creating /checkpoint/commit");
        return write_commit(s, commit);
}

/* Rank 0 looks before anything is created, so an existing file is never touched. */
static mls_rc check_path(const char *path, bool force)
{
        struct stat st;
        char *copy;
        const char *dir;
        mls_rc rc = MLS_OK;

        if (stat(path, &st) == 0 && !force) {
                MLS_LOG(MLS_LOG_ERR,
                        "output file '%s' exists; pass --force to overwrite it, or set run.output to a new path",
                        path);
                return MLS_ERR_EXISTS;
        }
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                MLS_LOG(MLS_LOG_ERR, "output path '%s' is a directory", path);
                return MLS_ERR_IO;
        }
        /* dirname() may return a static "." instead of editing its argument: use what it returns */
        copy = mls_strdup(path);
        dir = dirname(copy);
        if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
                MLS_LOG(MLS_LOG_ERR, "cannot create output file '%s': '%s': %s", path, dir,
                        strerror(ENOTDIR));
                rc = MLS_ERR_IO;
        } else if (access(dir, W_OK | X_OK) != 0) {
                MLS_LOG(MLS_LOG_ERR, "cannot create output file '%s': directory '%s': %s", path, dir,
                        strerror(errno));
                rc = MLS_ERR_IO;
        }
        free(copy);
        return rc;
}

/*
 * no_evictions - every rank keeps every metadata entry it has read. With evictions (the
 * default, adaptive per rank), ranks whose rows touched different chunks evicted different
 * object headers, and the next collective update of an evicted header (the commit attribute)
 * hung in a mismatched MPI_Bcast inside HDF5 (MPI_ERR_TRUNCATE, seen with slow external
 * programs and frequent checkpoints). The metadata of an mlscan file is small.
 */
static mls_rc no_evictions(hid_t fapl)
{
        H5AC_cache_config_t c;

        memset(&c, 0, sizeof(c));
        c.version = H5AC__CURR_CACHE_CONFIG_VERSION;
        if (H5Pget_mdc_config(fapl, &c) < 0)
                return MLS_H5_FAIL("reading the metadata cache configuration");
        c.evictions_enabled = 0;
        c.incr_mode = H5C_incr__off;
        c.flash_incr_mode = H5C_flash_incr__off;
        c.decr_mode = H5C_decr__off;
        c.set_initial_size = 1;
        c.initial_size = 16 << 20;
        c.metadata_write_strategy = H5AC_METADATA_WRITE_STRATEGY__PROCESS_0_ONLY;
        if (c.max_size < c.initial_size)
                c.max_size = c.initial_size;
        if (H5Pset_mdc_config(fapl, &c) < 0)
                return MLS_H5_FAIL("configuring the metadata cache");
        return MLS_OK;
}

/*
 * access_plist - the file access list of both creating and reopening: MPI-IO, collective
 * metadata writes, no metadata evictions. Into *@fapl (H5I_INVALID_HID when it failed).
 */
static mls_rc access_plist(mls_store *s, const char *path, hid_t *fapl)
{
        mls_rc rc = MLS_OK;

        *fapl = H5Pcreate(H5P_FILE_ACCESS);
        /* REQUIRED: every rank writes its own rows through MPI-IO. */
        if (*fapl < 0 || H5Pset_fapl_mpio(*fapl, s->comm, MPI_INFO_NULL) < 0)
                rc = MLS_H5_FAIL("setting up MPI-IO access for %s", path);
#ifdef HAVE_H5PSET_ALL_COLL_METADATA_OPS
        /*
         * OPTIONAL: collective metadata writes. Not collective metadata reads
         * (H5Pset_all_coll_metadata_ops): ranks whose rows touch different chunks evict
         * different metadata, and the next collective read of an evicted header then hung in a
         * mismatched MPI_Bcast (MPI_ERR_TRUNCATE, seen with slow external programs).
         */
        if (rc == MLS_OK && H5Pset_coll_metadata_write(*fapl, 1) < 0)
                rc = MLS_H5_FAIL("setting collective metadata for %s", path);
#endif /* HAVE_H5PSET_ALL_COLL_METADATA_OPS */
        if (rc == MLS_OK)
                rc = no_evictions(*fapl);
        return rc;
}

static mls_rc open_file(mls_store *s, const char *path)
{
        hid_t fapl;
        mls_rc rc = access_plist(s, path, &fapl);

        /* REQUIRED: the 1.8 format or later, so a long run card fits in an attribute (dense storage). */
        if (rc == MLS_OK && H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110) < 0)
                rc = MLS_H5_FAIL("setting the file format bounds for %s", path);
        if ((rc = mls_agree(s->comm, rc)) == MLS_OK) {
                /* The path was checked by rank 0; TRUNC is only reached with --force or a fresh path. */
                /* REQUIRED for kill safety: freed file space is never reused, so a write cut short
                 * by kill -9 cannot damage metadata that the last commit still points to. */
                hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);

                if (fcpl < 0 || H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_NONE, 0, 1) < 0)
                        rc = MLS_H5_FAIL("setting the file space strategy for %s", path);
                else if ((s->fid = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl)) < 0)
                        rc = MLS_H5_FAIL("creating output file %s", path);
                if (fcpl >= 0)
                        H5Pclose(fcpl);
        }
        if (fapl >= 0)
                H5Pclose(fapl);
        return mls_agree(s->comm, rc);
}

/* store_init - a store with no HDF5 object open yet, for @card's shape with @m observables */
static void store_init(mls_store *s, MPI_Comm comm, const struct mls_card *card, int m)
{
        s->comm = comm;
        s->fid = s->points = s->dxpl = s->status_t = s->origin_t = s->bool_t = s->gens = H5I_INVALID_HID;
        s->error_t = s->outputs = s->ckpt = s->state[0] = s->state[1] = s->commit = H5I_INVALID_HID;
        for (int i = 0; i < NCOLS; i++)
                s->dset[i] = H5I_INVALID_HID;
        for (int i = 0; i < NGENCOLS; i++)
                s->gen_dset[i] = H5I_INVALID_HID;
        MPI_Comm_rank(comm, &s->rank);
        MPI_Comm_size(comm, &s->size);
        s->d = card->nparams;
        s->m = m;
        s->k = card->nterms;
}

/* make_types - the enum and string types of the columns, and the collective transfer list */
static mls_rc make_types(mls_store *s)
{
        s->status_t = enum_type(MLS_ST_COUNT, mls_status_name);
        s->origin_t = enum_type(MLS_ORIGIN_COUNT, mls_origin_name);
        s->bool_t = enum_type(2, bool_name);
        s->error_t = H5Tcopy(H5T_C_S1);
        H5Tset_size(s->error_t, MLS_ERROR_LEN);
        H5Tset_strpad(s->error_t, H5T_STR_NULLPAD);
        s->dxpl = H5Pcreate(H5P_DATASET_XFER);
        /* REQUIRED: collective writes; ranks without rows still take part with empty selections. */
        if (s->dxpl < 0 || H5Pset_dxpl_mpio(s->dxpl, H5FD_MPIO_COLLECTIVE) < 0)
                return MLS_H5_FAIL("setting up collective transfers");
        return MLS_OK;
}

mls_rc mls_store_create(MPI_Comm comm, const char *path, bool force, const struct mls_card *card, int m,
                        const char *const *obs_names, mls_store **out)
{
        mls_store *s = mls_calloc(1, sizeof(*s));
        mls_rc rc = MLS_OK;

        *out = NULL;
        store_init(s, comm, card, m);
        s->path = mls_strdup(path);
        if (s->rank == 0)
                rc = check_path(path, force);
        if ((rc = mls_agree(comm, rc)) != MLS_OK || (rc = open_file(s, path)) != MLS_OK)
                goto out;
        if ((rc = make_types(s)) == MLS_OK &&
            (s->points = H5Gcreate2(s->fid, "points", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
                rc = MLS_H5_FAIL("creating group /points in %s", path);
        if (rc == MLS_OK && (rc = create_columns(s)) == MLS_OK && (rc = create_gens(s)) == MLS_OK &&
            (rc = create_outputs(s, card)) == MLS_OK && (rc = write_names(s, card, obs_names)) == MLS_OK &&
            (rc = write_root_attrs(s, card)) == MLS_OK && (rc = attr_i64(s->points, "rows", 0)) == MLS_OK &&
            (rc = create_checkpoint(s)) == MLS_OK && H5Fflush(s->fid, H5F_SCOPE_GLOBAL) < 0)
                rc = MLS_H5_FAIL("flushing new file %s", path);
        rc = mls_agree(comm, rc);
out:
        if (rc == MLS_OK) {
                *out = s;
                s = NULL;
        }
        if (s && s->fid >= 0)
                mls_store_close(&s);
        mls_free(&s);
        return rc;
}

/* ------------------------------------------------------------------ reopening to resume */

static mls_rc read_attr(hid_t g, const char *name, hid_t type, void *buf);

static hid_t open_dataset(hid_t g, const char *name, const char *what, mls_rc *rc)
{
        hid_t d = *rc == MLS_OK ? H5Dopen2(g, name, H5P_DEFAULT) : H5I_INVALID_HID;

        if (*rc == MLS_OK && d < 0)
                *rc = MLS_H5_FAIL("opening %s/%s", what, name);
        return d;
}

/* width - the second dimension of a 2-D dataset (-1 when it is not 2-D) */
static int64_t width_of(hid_t d)
{
        hid_t sp = H5Dget_space(d);
        hsize_t dims[2] = {0, 0};
        int64_t w = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 2 &&
                                    H5Sget_simple_extent_dims(sp, dims, NULL) == 2
                            ? (int64_t)dims[1]
                            : -1;

        if (sp >= 0)
                H5Sclose(sp);
        return w;
}

static mls_rc open_handles(mls_store *s, const struct mls_card *card, const char *path)
{
        mls_rc rc = MLS_OK;
        int64_t fv = 0;

        if (H5Aexists(s->fid, "format_version") <= 0 ||
            read_attr(s->fid, "format_version", H5T_NATIVE_INT64, &fv) != MLS_OK || fv < 2 ||
            H5Lexists(s->fid, "checkpoint", H5P_DEFAULT) <= 0) {
                MLS_LOG_ROOT(
                        MLS_LOG_ERR,
                        "%s has no checkpoints to resume from (written by mlscan 0.1 or not an mlscan file)",
                        path);
                return MLS_ERR_IO;
        }
        if (fv != MLS_FORMAT_VERSION) {
                MLS_LOG_ROOT(
                        MLS_LOG_ERR,
                        "%s is in output format %lld; this mlscan resumes format %d only: finish the run "
                        "with the mlscan that started it, or start a new one (start_from can read this file)",
                        path, (long long)fv, MLS_FORMAT_VERSION);
                return MLS_ERR_IO;
        }
        if ((s->points = H5Gopen2(s->fid, "points", H5P_DEFAULT)) < 0 ||
            (s->gens = H5Gopen2(s->fid, "generations", H5P_DEFAULT)) < 0 ||
            (s->ckpt = H5Gopen2(s->fid, "checkpoint", H5P_DEFAULT)) < 0)
                return MLS_H5_FAIL("opening the groups of %s", path);
        for (int c = 0; c < NCOLS; c++)
                s->dset[c] = open_dataset(s->points, col_names[c], "/points", &rc);
        for (int i = 0; i < NGENCOLS; i++)
                s->gen_dset[i] = open_dataset(s->gens, gen_cols[i].name, "/generations", &rc);
        s->state[0] = open_dataset(s->ckpt, "state0", "/checkpoint", &rc);
        s->state[1] = open_dataset(s->ckpt, "state1", "/checkpoint", &rc);
        s->commit = open_dataset(s->ckpt, "commit", "/checkpoint", &rc);
        if (rc != MLS_OK)
                return rc;
        if (width_of(s->dset[COL_U]) != s->d || width_of(s->dset[COL_OBS]) != s->m ||
            width_of(s->dset[COL_TERMS]) != s->k) {
                MLS_LOG_ROOT(
                        MLS_LOG_ERR,
                        "%s holds points of another shape (parameters, observables or likelihood terms differ)",
                        path);
                return MLS_ERR_CONFIG;
        }
        s->nkeep = card->phys.nkeep;
        if (s->nkeep > 0) {
                s->keep_dset = mls_calloc((size_t)s->nkeep * NKEEPCOLS, sizeof(hid_t));
                s->keep_bytes = mls_calloc((size_t)s->nkeep, sizeof(int64_t));
                for (int i = 0; i < s->nkeep * NKEEPCOLS; i++)
                        s->keep_dset[i] = H5I_INVALID_HID;
                if ((s->outputs = H5Gopen2(s->fid, "outputs", H5P_DEFAULT)) < 0)
                        return MLS_H5_FAIL("opening /outputs");
                for (int j = 0; j < s->nkeep && rc == MLS_OK; j++) {
                        hid_t g = H5Gopen2(s->outputs, card->phys.keep[j], H5P_DEFAULT);

                        if (g < 0)
                                return MLS_H5_FAIL("opening /outputs/%s", card->phys.keep[j]);
                        for (int k = 0; k < NKEEPCOLS; k++)
                                s->keep_dset[j * NKEEPCOLS + k] =
                                        open_dataset(g, keep_col_names[k], "/outputs", &rc);
                        if (rc == MLS_OK &&
                            H5Aexists(s->keep_dset[j * NKEEPCOLS + KEEP_DATA], "committed_bytes") > 0)
                                rc = read_attr(s->keep_dset[j * NKEEPCOLS + KEEP_DATA], "committed_bytes",
                                               H5T_NATIVE_INT64, &s->keep_bytes[j]);
                        H5Gclose(g);
                }
        }
        return rc;
}

mls_rc mls_store_open(MPI_Comm comm, const char *path, const struct mls_card *card, int m, char ***summary,
                      struct mls_store_commit *commit, mls_store **out)
{
        mls_store *s = mls_calloc(1, sizeof(*s));
        int64_t c[COMMIT_LEN] = {0};
        hid_t fapl;
        struct stat st;
        mls_rc rc = MLS_OK;

        *out = NULL;
        if (summary)
                *summary = NULL;
        memset(commit, 0, sizeof(*commit));
        store_init(s, comm, card, m);
        s->path = mls_strdup(path);
        if (s->rank == 0 && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) {
                MLS_LOG(MLS_LOG_ERR, "cannot resume: output file '%s' %s", path,
                        errno == ENOENT ? "does not exist" : "is not a regular file");
                rc = MLS_ERR_IO;
        }
        if ((rc = mls_agree(comm, rc)) != MLS_OK)
                goto out;
        rc = access_plist(s, path, &fapl);
        if (rc == MLS_OK && (s->fid = H5Fopen(path, H5F_ACC_RDWR, fapl)) < 0) {
                MLS_LOG_ROOT(MLS_LOG_ERR, "cannot open '%s' as an HDF5 file to resume", path);
                rc = MLS_ERR_IO;
        }
        if (fapl >= 0)
                H5Pclose(fapl);
        if ((rc = mls_agree(comm, rc)) != MLS_OK)
                goto out;
        if ((rc = make_types(s)) == MLS_OK)
                rc = open_handles(s, card, path);
        if (rc == MLS_OK && H5Dread(s->commit, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, c) < 0)
                rc = MLS_H5_FAIL("reading /checkpoint/commit");
        if (rc == MLS_OK && c[0] != COMMIT_MAGIC) {
                MLS_LOG_ROOT(MLS_LOG_ERR, "%s: /checkpoint/commit is damaged", path);
                rc = MLS_ERR_IO;
        }
        if ((rc = mls_agree(comm, rc)) != MLS_OK)
                goto out;
        commit->sequence = s->sequence = c[1];
        commit->slot = c[2];
        commit->points_rows = s->rows = s->committed = c[3];
        commit->generation_rows = s->gen_rows = c[4];
        commit->state_bytes = c[5];
        commit->complete = c[6] != 0;
        /* every rank reads it: with collective metadata, a read on rank 0 alone leaves the ranks'
         * metadata caches different, and a later collective write hangs */
        if (summary) {
                int n;

                if (mls_h5_strings(s->fid, "card_summary", summary, &n) != 1 || s->rank != 0)
                        mls_card_describe_free(summary);
        }
out:
        if (rc == MLS_OK) {
                *out = s;
                s = NULL;
        }
        if (s && s->fid >= 0)
                mls_store_close(&s);
        mls_free(&s);
        return rc;
}

/* read_rows - rank 0 reads rows [0, n) of @d (width @w, 0: 1-D) into @buf; collective. */
static mls_rc read_rows(mls_store *s, hid_t d, hid_t memtype, int width, int64_t n, void *buf)
{
        hsize_t start[2] = {0, 0}, count[2] = {(hsize_t)n, (hsize_t)width},
                one[2] = {1, (hsize_t)(width > 0 ? width : 1)};
        int rank = width > 0 ? 2 : 1;
        hid_t fsp = H5Dget_space(d), msp;
        static double dummy[8];
        mls_rc rc = MLS_OK;

        if (s->rank == 0 && n > 0) {
                msp = H5Screate_simple(rank, count, NULL);
                H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
        } else {
                msp = H5Screate_simple(rank, one, NULL);
                H5Sselect_none(msp);
                H5Sselect_none(fsp);
                buf = dummy;
        }
        if (fsp < 0 || H5Dread(d, memtype, msp, fsp, s->dxpl, buf) < 0)
                rc = MLS_H5_FAIL("reading the committed rows");
        if (fsp >= 0)
                H5Sclose(fsp);
        H5Sclose(msp);
        return rc;
}

mls_rc mls_store_read_state(mls_store *s, const struct mls_store_commit *c, struct mls_blob *b)
{
        uint8_t *buf = s->rank == 0 ? mls_calloc((size_t)c->state_bytes + 1, 1) : NULL;
        mls_rc rc;

        mls_blob_init(b);
        if (c->slot < 0 || c->slot > 1) {
                free(buf);
                return MLS_ERR_IO;
        }
        rc = read_rows(s, s->state[c->slot], H5T_NATIVE_UINT8, 0, c->state_bytes, buf);
        if ((rc = mls_agree(s->comm, rc)) == MLS_OK && s->rank == 0)
                mls_blob_wrap(b, buf, (size_t)c->state_bytes);
        free(buf);
        return rc;
}

mls_rc mls_store_read_committed(mls_store *s, struct mls_rows *r)
{
        int64_t n = s->committed;
        mls_rc rc;

        mls_rows_clear(r);
        if (s->rank == 0)
                mls_rows_reserve(r, n);
        if ((rc = read_rows(s, s->dset[COL_ID], H5T_NATIVE_INT64, 0, n, r->id)) == MLS_OK &&
            (rc = read_rows(s, s->dset[COL_GENERATION], H5T_NATIVE_INT32, 0, n, r->generation)) == MLS_OK &&
            (rc = read_rows(s, s->dset[COL_ORIGIN], s->origin_t, 0, n, r->origin)) == MLS_OK &&
            (rc = read_rows(s, s->dset[COL_STATUS], s->status_t, 0, n, r->status)) == MLS_OK &&
            (rc = read_rows(s, s->dset[COL_U], H5T_NATIVE_DOUBLE, s->d, n, r->u)) == MLS_OK &&
            (rc = read_rows(s, s->dset[COL_OBS], H5T_NATIVE_DOUBLE, s->m, n, r->obs)) == MLS_OK &&
            (rc = read_rows(s, s->dset[COL_NLL], H5T_NATIVE_DOUBLE, 0, n, r->nll)) == MLS_OK)
                rc = read_rows(s, s->dset[COL_GOOD], s->bool_t, 0, n, r->good);
        if ((rc = mls_agree(s->comm, rc)) == MLS_OK && s->rank == 0)
                r->n = n;
        return rc;
}

/* ------------------------------------------------------------------ appending rows */

/*
 * write_rows - extend dataset @dset (named @what in messages) to @total rows of @width values
 * (0: a 1-D column) and write this rank's @n rows @buf at @offset; collective: a rank with no
 * rows takes part with an empty selection.
 */
/*
 * write_rows_here - this rank's part of a collective extend-and-write of @n rows at @offset
 * (@total rows in all) of @dset; not agreed on: see write_rows().
 */
static mls_rc write_rows_here(mls_store *s, hid_t dset, const char *what, hid_t memtype, int width,
                              const void *buf, int64_t offset, int64_t n, int64_t total)
{
        hsize_t size[2] = {(hsize_t)total, (hsize_t)width};
        hsize_t start[2] = {(hsize_t)offset, 0}, count[2] = {(hsize_t)n, (hsize_t)width};
        hsize_t one[2] = {1, (hsize_t)(width > 0 ? width : 1)};
        int rank = width > 0 ? 2 : 1;
        hid_t fsp = H5I_INVALID_HID, msp = H5I_INVALID_HID;
        static const double dummy[1] = {0.0};
        mls_rc rc = MLS_OK;

        /*
         * Datasets only grow: shrinking a chunked dataset in parallel HDF5 1.10 left the ranks'
         * metadata caches different, and the next collective metadata write hung in a
         * mismatched MPI_Bcast (MPI_ERR_TRUNCATE). Rows past a commit (a run killed in the
         * middle of a checkpoint) are simply overwritten; readers trust the row counts.
         */
        if ((fsp = H5Dget_space(dset)) >= 0) {
                hsize_t cur[2] = {0, 0};

                if (H5Sget_simple_extent_dims(fsp, cur, NULL) >= 0 && cur[0] > size[0])
                        size[0] = cur[0];
                H5Sclose(fsp);
                fsp = H5I_INVALID_HID;
        }
        if (H5Dset_extent(dset, size) < 0 || (fsp = H5Dget_space(dset)) < 0) {
                rc = MLS_H5_FAIL("extending %s to %lld rows", what, (long long)total);
                goto out;
        }
        if (n > 0) {
                msp = H5Screate_simple(rank, count, NULL);
                if (H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
                        rc = MLS_H5_FAIL("selecting rows of %s", what);
        } else {
                msp = H5Screate_simple(rank, one, NULL);
                H5Sselect_none(msp);
                H5Sselect_none(fsp);
                buf = dummy;
        }
        if (rc == MLS_OK && H5Dwrite(dset, memtype, msp, fsp, s->dxpl, buf) < 0)
                rc = MLS_H5_FAIL("writing %lld rows to %s", (long long)n, what);
out:
        if (fsp >= 0)
                H5Sclose(fsp);
        if (msp >= 0)
                H5Sclose(msp);
        return rc;
}

/*
 * write_rows - write_rows_here(), agreed at once: a rank whose write failed (disk full) must
 * not skip to a later collective call while the others go on to the next one: that hung
 * every rank. (mls_store_append() instead makes every rank write every column and agrees once.)
 */
static mls_rc write_rows(mls_store *s, hid_t dset, const char *what, hid_t memtype, int width,
                         const void *buf, int64_t offset, int64_t n, int64_t total)
{
        return mls_agree(s->comm, write_rows_here(s, dset, what, memtype, width, buf, offset, n, total));
}

static mls_rc write_column(mls_store *s, enum col c, hid_t memtype, int width, const void *buf,
                           int64_t offset, int64_t n, int64_t total)
{
        char what[64];

        snprintf(what, sizeof(what), "/points/%s", col_names[c]);
        return write_rows_here(s, s->dset[c], what, memtype, width, buf, offset, n, total);
}

/*
 * write_kept - /outputs: per kept file, this rank's rows' sizes and global byte offsets,
 * then its bytes after every lower rank's. Collective.
 */
static mls_rc write_kept(mls_store *s, const struct mls_rows *r, int64_t offset, int64_t n, int64_t sum)
{
        int64_t *col = mls_calloc((size_t)n + 1, sizeof(int64_t)),
                *pos = mls_calloc((size_t)n + 1, sizeof(int64_t));
        int64_t *bytes = mls_calloc((size_t)s->size, sizeof(int64_t));
        char *data = mls_calloc((size_t)r->blob_n + 1, 1);
        mls_rc rc = MLS_OK;

        /* where each row's files start in the blob */
        for (int64_t i = 0, b = 0; i < n; i++) {
                pos[i] = b;
                for (int j = 0; j < s->nkeep; j++)
                        b += r->kept[i * s->nkeep + j] > 0 ? r->kept[i * s->nkeep + j] : 0;
        }
        for (int j = 0; j < s->nkeep && rc == MLS_OK; j++) {
                int64_t mine = 0, start = s->keep_bytes[j], total = s->keep_bytes[j];
                char what[300];

                for (int64_t i = 0; i < n; i++) {
                        int64_t len = r->kept[i * s->nkeep + j], skip = 0;

                        for (int k = 0; k < j; k++)
                                skip += r->kept[i * s->nkeep + k] > 0 ? r->kept[i * s->nkeep + k] : 0;
                        if (len > 0)
                                memcpy(data + mine, r->blob + pos[i] + skip, (size_t)len);
                        mine += len > 0 ? len : 0;
                }
                if (MPI_Allgather(&mine, 1, MPI_INT64_T, bytes, 1, MPI_INT64_T, s->comm) != MPI_SUCCESS)
                        MLS_ABORT("MPI_Allgather of output sizes failed");
                for (int i = 0; i < s->size; i++) {
                        if (i < s->rank)
                                start += bytes[i];
                        total += bytes[i];
                }
                /* offsets: running sum from this rank's start */
                for (int64_t i = 0, o = start; i < n; i++) {
                        int64_t len = r->kept[i * s->nkeep + j];

                        col[i] = len > 0 ? o : -1;
                        o += len > 0 ? len : 0;
                }
                snprintf(what, sizeof(what), "/outputs/%d/offset", j);
                rc = write_rows(s, s->keep_dset[j * NKEEPCOLS + KEEP_OFFSET], what, H5T_NATIVE_INT64, 0, col,
                                offset, n, sum);
                for (int64_t i = 0; i < n; i++)
                        col[i] = r->kept[i * s->nkeep + j];
                snprintf(what, sizeof(what), "/outputs/%d/size", j);
                if (rc == MLS_OK)
                        rc = write_rows(s, s->keep_dset[j * NKEEPCOLS + KEEP_SIZE], what, H5T_NATIVE_INT64, 0,
                                        col, offset, n, sum);
                snprintf(what, sizeof(what), "/outputs/%d/data", j);
                if (rc == MLS_OK)
                        rc = write_rows(s, s->keep_dset[j * NKEEPCOLS + KEEP_DATA], what, H5T_NATIVE_UINT8, 0,
                                        data, start, mine, total);
                if (rc == MLS_OK)
                        s->keep_bytes[j] = total;
        }
        free(col);
        free(pos);
        free(bytes);
        free(data);
        return rc;
}

/*
 * room_for - rank 0 checks that the output's file system has room for about @bytes more
 * (twice that, plus 4 MiB for metadata), so that a full disk is reported before any write: a
 * collective HDF5 write that fails on some ranks only (ENOSPC inside MPI-IO) left the others
 * waiting inside it for ever. Collective; same mls_rc everywhere.
 */
static mls_rc room_for(mls_store *s, int64_t bytes)
{
        mls_rc rc = MLS_OK;

        if (s->rank == 0) {
                char *dir = mls_strdup(s->path);
                struct statvfs v;

                if (statvfs(dirname(dir), &v) == 0) {
                        double avail = (double)v.f_bavail * (double)v.f_frsize,
                               need = 2.0 * (double)bytes + 4194304.0;

                        if (avail < need) {
                                MLS_LOG(MLS_LOG_ERR,
                                        "the output's file system is full: %s has %.1f MB free, the checkpoint needs "
                                        "about %.1f MB (%s); the file holds the last checkpoint",
                                        dir, avail / 1e6, need / 1e6, strerror(ENOSPC));
                                rc = MLS_ERR_IO;
                        }
                }
                free(dir);
        }
        return mls_agree(s->comm, rc);
}

mls_rc mls_store_append(mls_store *s, const struct mls_rows *r, int64_t *total)
{
        int64_t *counts = mls_calloc((size_t)s->size, sizeof(int64_t));
        int64_t n = r->n, offset = s->rows, sum = s->rows;
        int mrc;
        mls_rc rc = MLS_OK;

        mrc = MPI_Allgather(&n, 1, MPI_INT64_T, counts, 1, MPI_INT64_T, s->comm);
        if (mrc != MPI_SUCCESS)
                MLS_ABORT("MPI_Allgather of row counts failed");
        for (int i = 0; i < s->size; i++) {
                if (i < s->rank)
                        offset += counts[i];
                sum += counts[i];
        }
        {
                int64_t row = 8 + 4 + 1 + 4 + 1 + 16 * s->d + 8 * s->m + 8 * s->k + 8 + 1 + 8 + MLS_ERROR_LEN,
                        kept = 0;

                for (int j = 0; j < s->nkeep; j++)
                        for (int64_t i = 0; i < n; i++)
                                kept += r->kept[i * s->nkeep + j] > 0 ? r->kept[i * s->nkeep + j] : 0;
                if (MPI_Allreduce(MPI_IN_PLACE, &kept, 1, MPI_INT64_T, MPI_SUM, s->comm) != MPI_SUCCESS)
                        MLS_ABORT("MPI_Allreduce of output sizes failed");
                if ((rc = room_for(s, (sum - s->rows) * row + kept)) != MLS_OK) {
                        free(counts);
                        return rc;
                }
        }
        free(counts);
        /*
         * Each column is extended and written by every rank, whatever failed before (so that no
         * rank skips a collective call the others make); a failure is agreed on once, at the end:
         * 13 agreements fewer per checkpoint, each a collective over every rank.
         */
        {
                struct {
                        enum col c;
                        hid_t t;
                        int w;
                        const void *buf;
                } cols[] = {
                        {COL_ID, H5T_NATIVE_INT64, 0, r->id},
                        {COL_GENERATION, H5T_NATIVE_INT32, 0, r->generation},
                        {COL_ORIGIN, s->origin_t, 0, r->origin},
                        {COL_WORKER, H5T_NATIVE_INT32, 0, r->worker},
                        {COL_STATUS, s->status_t, 0, r->status},
                        {COL_U, H5T_NATIVE_DOUBLE, s->d, r->u},
                        {COL_X, H5T_NATIVE_DOUBLE, s->d, r->x},
                        {COL_OBS, H5T_NATIVE_DOUBLE, s->m, r->obs},
                        {COL_TERMS, H5T_NATIVE_DOUBLE, s->k, r->terms},
                        {COL_NLL, H5T_NATIVE_DOUBLE, 0, r->nll},
                        {COL_GOOD, s->bool_t, 0, r->good},
                        {COL_ERROR, s->error_t, 0, r->error},
                        {COL_SECONDS, H5T_NATIVE_DOUBLE, 0, r->seconds},
                };

                for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
                        mls_rc one =
                                write_column(s, cols[i].c, cols[i].t, cols[i].w, cols[i].buf, offset, n, sum);

                        if (rc == MLS_OK)
                                rc = one;
                }
        }
        if ((rc = mls_agree(s->comm, rc)) == MLS_OK)
                rc = write_kept(s, r, offset, n, sum);
        if ((rc = mls_agree(s->comm, rc)) != MLS_OK)
                return rc;
        /* Not committed yet: mls_store_commit() makes these rows count. */
        s->rows = sum;
        *total = sum;
        return MLS_OK;
}

/* ------------------------------------------------------------------ generations */

/* write_gen_column - /generations column @c: rank 0 writes its @n rows, the others none. */
static mls_rc write_gen_column(mls_store *s, int c, const void *buf, int64_t n, int64_t total)
{
        char what[64];

        snprintf(what, sizeof(what), "/generations/%s", gen_cols[c].name);
        return write_rows_here(s, s->gen_dset[c], what, gen_type(gen_cols[c].type), 0, buf, s->gen_rows,
                               s->rank == 0 ? n : 0, total);
}

mls_rc mls_store_append_generations(mls_store *s, const struct mls_gen_row *rows, int64_t n)
{
        int64_t total;
        char *col = NULL;
        mls_rc rc = MLS_OK;

        if (MPI_Bcast(&n, 1, MPI_INT64_T, 0, s->comm) != MPI_SUCCESS)
                MLS_ABORT("MPI_Bcast of the generation count failed");
        if (n == 0)
                return MLS_OK;
        total = s->gen_rows + n;
        if (s->rank == 0)
                col = mls_calloc((size_t)n, sizeof(double)); /* the widest column type */
        /* every rank takes part in every column's writes; one agreement at the end (see mls_store_append) */
        for (int c = 0; c < NGENCOLS; c++) {
                size_t w = gen_cols[c].type == GT_I32 ? 4 : 8;
                mls_rc one;

                for (int64_t i = 0; s->rank == 0 && i < n; i++)
                        memcpy(col + (size_t)i * w, (const char *)&rows[i] + gen_cols[c].off, w);
                one = write_gen_column(s, c, col, n, total);
                if (rc == MLS_OK)
                        rc = one;
        }
        free(col);
        if ((rc = mls_agree(s->comm, rc)) == MLS_OK)
                s->gen_rows = total;
        return rc;
}

/* ------------------------------------------------------------------ commits */

static mls_rc attr_set_i64(hid_t obj, const char *name, const int64_t *v)
{
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        mls_rc rc = MLS_OK;

        if (a < 0 || H5Awrite(a, H5T_NATIVE_INT64, v) < 0)
                rc = MLS_H5_FAIL("writing attribute '%s'", name);
        if (a >= 0)
                H5Aclose(a);
        return rc;
}

mls_rc mls_store_commit(mls_store *s, const struct mls_blob *state, bool complete)
{
        int64_t len = s->rank == 0 && state ? (int64_t)state->n : 0, commit[COMMIT_LEN];
        int slot = (int)((s->sequence + 1) % 2);
        static const uint8_t none[1] = {0};
        mls_rc rc = MLS_OK;

        int64_t head[2] = {len, complete};

        if (MPI_Bcast(head, 2, MPI_INT64_T, 0, s->comm) != MPI_SUCCESS)
                MLS_ABORT("MPI_Bcast of the checkpoint size failed");
        len = head[0];
        complete = head[1] != 0;
        /* 1. rank 0's state into the slot the last commit does not name */
        rc = write_rows(s, s->state[slot], slot ? "/checkpoint/state1" : "/checkpoint/state0",
                        H5T_NATIVE_UINT8, 0, s->rank == 0 && len > 0 ? state->p : none, 0,
                        s->rank == 0 ? len : 0, len);
        /* 2. how many bytes of each kept file the committed rows use; the counts readers use */
        for (int j = 0; j < s->nkeep && rc == MLS_OK; j++) {
                hid_t d = s->keep_dset[j * NKEEPCOLS + KEEP_DATA];

                if (H5Aexists(d, "committed_bytes") > 0)
                        rc = attr_set_i64(d, "committed_bytes", &s->keep_bytes[j]);
                else
                        rc = attr_i64(d, "committed_bytes", s->keep_bytes[j]);
        }
        if (rc == MLS_OK && (rc = attr_set_i64(s->points, "rows", &s->rows)) == MLS_OK)
                rc = attr_set_i64(s->gens, "rows", &s->gen_rows);
        /* 3. all of it on disk before the commit record names it */
        if (rc == MLS_OK && H5Fflush(s->fid, H5F_SCOPE_GLOBAL) < 0)
                rc = MLS_H5_FAIL("flushing the output file before a commit");
        if ((rc = mls_agree(s->comm, rc)) != MLS_OK)
                return rc;
        /* 4. the commit record: 64 bytes of raw data at a fixed place in the file, then flushed */
        commit[0] = COMMIT_MAGIC;
        commit[1] = s->sequence + 1;
        commit[2] = slot;
        commit[3] = s->rows;
        commit[4] = s->gen_rows;
        commit[5] = len;
        commit[6] = complete;
        commit[7] = 0;
        if ((rc = write_commit(s, commit)) == MLS_OK && H5Fflush(s->fid, H5F_SCOPE_GLOBAL) < 0)
                rc = MLS_H5_FAIL("flushing the output file after a commit");
        if ((rc = mls_agree(s->comm, rc)) == MLS_OK) {
                s->sequence++;
                s->committed = s->rows;
        }
        return rc;
}

/* ------------------------------------------------------------------ the model */

static const char *const act_names[] = {"relu", "silu", "tanh"};
static const char *const out_names[] = {"linear", "sigmoid"};

/* The model's shapes and scalars, broadcast from rank 0 so every rank makes the same calls. */
struct model_head {
        int32_t nin, nout, nhidden, act, out, scaled, generation;
        int32_t width[MLS_NN_MAX_HIDDEN];
        int64_t nparams, step;
};

/* attr_replace - (re)write attribute @name: a scalar for @n < 0, else a list of @n (0: empty). */
static mls_rc attr_replace(hid_t obj, const char *name, hid_t type, int n, const void *buf)
{
        hsize_t dim = (hsize_t)n;
        hid_t sp = n > 0 ? H5Screate_simple(1, &dim, NULL) : H5Screate(n == 0 ? H5S_NULL : H5S_SCALAR);
        mls_rc rc = MLS_OK;

        /* variable-length strings live in the global heap: rewriting one in place in parallel
         * made ranks take different collective paths (a hang), so those are recreated */
        if (H5Aexists(obj, name) > 0 && H5Tis_variable_str(type) <= 0) {
                /* the same shape: overwritten in place, no metadata freed and reallocated */
                hid_t a = H5Aopen(obj, name, H5P_DEFAULT), asp = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
                bool same = asp >= 0 &&
                            H5Sget_simple_extent_npoints(asp) == H5Sget_simple_extent_npoints(sp) &&
                            H5Sget_simple_extent_type(asp) == H5Sget_simple_extent_type(sp);

                if (same && H5Awrite(a, type, buf) < 0)
                        rc = MLS_H5_FAIL("writing attribute '%s'", name);
                if (asp >= 0)
                        H5Sclose(asp);
                if (a >= 0)
                        H5Aclose(a);
                if (same) {
                        H5Sclose(sp);
                        return rc;
                }
        }
        if (rc == MLS_OK && H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
                rc = MLS_H5_FAIL("replacing attribute '%s'", name);
        if (rc == MLS_OK)
                rc = attr_write(obj, name, type, sp, buf);
        H5Sclose(sp);
        return rc;
}

/* model_column - open /model/@name, creating it with @n elements of @type on first use. */
static hid_t model_column(hid_t g, const char *name, hid_t type, int64_t n)
{
        hsize_t dim = (hsize_t)n;
        hid_t sp, d;

        if (H5Lexists(g, name, H5P_DEFAULT) > 0)
                return H5Dopen2(g, name, H5P_DEFAULT);
        sp = H5Screate_simple(1, &dim, NULL);
        d = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Sclose(sp);
        return d;
}

/* Every rank takes part in the collective write; only rank 0 selects the data. */
static mls_rc model_write_column(mls_store *s, hid_t g, const char *name, hid_t type, int64_t n,
                                 const void *buf)
{
        hid_t d = model_column(g, name, type, n), fsp = H5I_INVALID_HID, msp = H5I_INVALID_HID;
        hsize_t dim = (hsize_t)n;
        static const double dummy[1] = {0.0};
        mls_rc rc = MLS_OK;

        if (d < 0 || (fsp = H5Dget_space(d)) < 0 || H5Sget_simple_extent_npoints(fsp) != n) {
                rc = MLS_H5_FAIL("opening /model/%s with %lld elements (the saved model has another shape)",
                                 name, (long long)n);
                goto out;
        }
        msp = H5Screate_simple(1, &dim, NULL);
        if (s->rank != 0) {
                H5Sselect_none(msp);
                H5Sselect_none(fsp);
                buf = dummy;
        }
        if (H5Dwrite(d, type, msp, fsp, s->dxpl, buf) < 0)
                rc = MLS_H5_FAIL("writing /model/%s", name);
out:
        if (msp >= 0)
                H5Sclose(msp);
        if (fsp >= 0)
                H5Sclose(fsp);
        if (d >= 0)
                H5Dclose(d);
        return mls_agree(s->comm, rc);
}

static mls_rc model_attrs(hid_t g, const struct model_head *h)
{
        hid_t t = str_type();
        const char *act = act_names[h->act], *out = out_names[h->out];
        mls_rc rc;

        if ((rc = attr_replace(g, "generation", H5T_NATIVE_INT32, -1, &h->generation)) == MLS_OK &&
            (rc = attr_replace(g, "nin", H5T_NATIVE_INT32, -1, &h->nin)) == MLS_OK &&
            (rc = attr_replace(g, "nout", H5T_NATIVE_INT32, -1, &h->nout)) == MLS_OK &&
            (rc = attr_replace(g, "hidden", H5T_NATIVE_INT32, h->nhidden, h->width)) == MLS_OK &&
            (rc = attr_replace(g, "step", H5T_NATIVE_INT64, -1, &h->step)) == MLS_OK &&
            (rc = attr_replace(g, "scaled", H5T_NATIVE_INT32, -1, &h->scaled)) == MLS_OK &&
            (H5Aexists(g, "activation") > 0 || (rc = attr_replace(g, "activation", t, -1, &act)) == MLS_OK) &&
            H5Aexists(g, "output") <= 0)
                rc = attr_replace(g, "output", t, -1, &out);
        H5Tclose(t);
        return rc;
}

mls_rc mls_store_write_model(mls_store *s, const struct mls_nn_state *st, int32_t generation)
{
        struct model_head h;
        hid_t g = H5I_INVALID_HID;
        mls_rc rc = MLS_OK;

        memset(&h, 0, sizeof(h));
        if (s->rank == 0) {
                h.nin = st->arch.nin;
                h.nout = st->arch.nout;
                h.nhidden = st->arch.nhidden;
                for (int i = 0; i < h.nhidden; i++)
                        h.width[i] = st->arch.width[i];
                h.act = (int32_t)st->arch.act;
                h.out = (int32_t)st->arch.out;
                h.scaled = st->scaled;
                h.generation = generation;
                h.nparams = st->nparams;
                h.step = st->step;
        }
        if (MPI_Bcast(&h, (int)sizeof(h), MPI_BYTE, 0, s->comm) != MPI_SUCCESS)
                MLS_ABORT("broadcasting the model's shape failed");
        if (H5Lexists(s->fid, "model", H5P_DEFAULT) > 0)
                g = H5Gopen2(s->fid, "model", H5P_DEFAULT);
        else
                g = H5Gcreate2(s->fid, "model", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0)
                rc = MLS_H5_FAIL("opening group /model");
        if (rc == MLS_OK && (rc = model_attrs(g, &h)) == MLS_OK &&
            (rc = model_write_column(s, g, "params", H5T_NATIVE_FLOAT, h.nparams, st ? st->params : NULL)) ==
                    MLS_OK &&
            (rc = model_write_column(s, g, "adam_m", H5T_NATIVE_FLOAT, h.nparams, st ? st->adam_m : NULL)) ==
                    MLS_OK &&
            (rc = model_write_column(s, g, "adam_v", H5T_NATIVE_FLOAT, h.nparams, st ? st->adam_v : NULL)) ==
                    MLS_OK &&
            (rc = model_write_column(s, g, "x_mean", H5T_NATIVE_DOUBLE, h.nin, st ? st->x_mean : NULL)) ==
                    MLS_OK &&
            (rc = model_write_column(s, g, "x_std", H5T_NATIVE_DOUBLE, h.nin, st ? st->x_std : NULL)) ==
                    MLS_OK &&
            (rc = model_write_column(s, g, "y_mean", H5T_NATIVE_DOUBLE, h.nout, st ? st->y_mean : NULL)) ==
                    MLS_OK)
                rc = model_write_column(s, g, "y_std", H5T_NATIVE_DOUBLE, h.nout, st ? st->y_std : NULL);
        if (g >= 0)
                H5Gclose(g);
        return mls_agree(s->comm, rc);
}

static mls_rc read_attr(hid_t g, const char *name, hid_t type, void *buf)
{
        hid_t a = H5Aopen(g, name, H5P_DEFAULT);
        mls_rc rc = MLS_OK;

        if (a < 0 || H5Aread(a, type, buf) < 0)
                rc = MLS_H5_FAIL("reading attribute %s", name);
        if (a >= 0)
                H5Aclose(a);
        return rc;
}

static mls_rc read_enum_name(hid_t g, const char *name, const char *const *names, int n, int *out)
{
        hid_t a = H5Aopen(g, name, H5P_DEFAULT), t = str_type();
        char *v = NULL;
        mls_rc rc = MLS_OK;

        if (a < 0 || H5Aread(a, t, &v) < 0) {
                rc = MLS_H5_FAIL("reading attribute %s", name);
        } else {
                *out = -1;
                for (int i = 0; i < n; i++)
                        if (strcmp(v, names[i]) == 0)
                                *out = i;
                if (*out < 0) {
                        MLS_LOG(MLS_LOG_ERR, "/model@%s is '%s', which this mlscan does not know", name, v);
                        rc = MLS_ERR_IO;
                }
        }
        free(v);
        H5Tclose(t);
        if (a >= 0)
                H5Aclose(a);
        return rc;
}

static mls_rc read_column(hid_t g, const char *name, hid_t type, int64_t n, void *buf)
{
        hid_t d = H5Dopen2(g, name, H5P_DEFAULT), sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
        mls_rc rc = MLS_OK;

        if (d < 0 || sp < 0 || H5Sget_simple_extent_npoints(sp) != n ||
            H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
                rc = MLS_H5_FAIL("reading /model/%s (%lld elements expected)", name, (long long)n);
        if (sp >= 0)
                H5Sclose(sp);
        if (d >= 0)
                H5Dclose(d);
        return rc;
}

/* read_string_attr - a scalar variable-length string attribute of @obj, owned by caller; NULL if absent */
static char *read_string_attr(hid_t obj, const char *name)
{
        hid_t a = H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : H5I_INVALID_HID,
              t = str_type();
        char *v = NULL, *out = NULL;

        if (a >= 0 && H5Aread(a, t, &v) >= 0 && v) {
                out = mls_strdup(v);
                H5free_memory(v);
        }
        if (a >= 0)
                H5Aclose(a);
        H5Tclose(t);
        return out;
}

mls_rc mls_store_read_card(const char *path, char **text, char **card_path)
{
        hid_t f;

        *text = *card_path = NULL;
        if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
                MLS_LOG(MLS_LOG_ERR, "cannot open %s as an HDF5 file", path);
                return MLS_ERR_IO;
        }
        *text = read_string_attr(f, "run_card");
        *card_path = read_string_attr(f, "card_path");
        H5Fclose(f);
        if (!*text || !*card_path) {
                MLS_LOG(MLS_LOG_ERR, "%s holds no run card: not an mlscan output file", path);
                mls_free(text);
                mls_free(card_path);
                return MLS_ERR_IO;
        }
        return MLS_OK;
}

mls_rc mls_store_read_model(const char *path, struct mls_nn_state *st, int32_t *generation)
{
        hid_t f = H5I_INVALID_HID, g = H5I_INVALID_HID, a = H5I_INVALID_HID, sp = H5I_INVALID_HID;
        int32_t nin = 0, nout = 0, scaled = 0, act = 0, out = 0;
        mls_rc rc = MLS_OK;

        memset(st, 0, sizeof(*st));
        if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
                MLS_LOG(MLS_LOG_ERR, "cannot open %s as an HDF5 file", path);
                return MLS_ERR_IO;
        }
        if (H5Lexists(f, "model", H5P_DEFAULT) <= 0 || (g = H5Gopen2(f, "model", H5P_DEFAULT)) < 0) {
                MLS_LOG(MLS_LOG_ERR, "%s holds no model (/model): the run has not trained one yet", path);
                H5Fclose(f);
                return MLS_ERR_IO;
        }
        if ((rc = read_attr(g, "nin", H5T_NATIVE_INT32, &nin)) == MLS_OK &&
            (rc = read_attr(g, "nout", H5T_NATIVE_INT32, &nout)) == MLS_OK &&
            (rc = read_attr(g, "generation", H5T_NATIVE_INT32, generation)) == MLS_OK &&
            (rc = read_attr(g, "step", H5T_NATIVE_INT64, &st->step)) == MLS_OK &&
            (rc = read_attr(g, "scaled", H5T_NATIVE_INT32, &scaled)) == MLS_OK &&
            (rc = read_enum_name(g, "activation", act_names, 3, &act)) == MLS_OK &&
            (rc = read_enum_name(g, "output", out_names, 2, &out)) == MLS_OK) {
                hssize_t nh;

                a = H5Aopen(g, "hidden", H5P_DEFAULT);
                sp = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
                nh = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
                if (nh < 0 || nh > MLS_NN_MAX_HIDDEN || nin < 1 || nout < 1)
                        rc = MLS_H5_FAIL("reading the model's shape (/model@hidden, nin, nout)");
                else if (nh > 0 && H5Aread(a, H5T_NATIVE_INT32, st->arch.width) < 0)
                        rc = MLS_H5_FAIL("reading /model@hidden");
                st->arch.nhidden = (int)(nh > 0 ? nh : 0);
        }
        if (rc == MLS_OK) {
                int64_t p = 0;

                st->arch.nin = nin;
                st->arch.nout = nout;
                st->arch.act = (enum mls_act)act;
                st->arch.out = (enum mls_nn_out)out;
                st->scaled = scaled != 0;
                for (int i = 0; i <= st->arch.nhidden; i++) {
                        int in = i == 0 ? nin : st->arch.width[i - 1],
                            o = i == st->arch.nhidden ? nout : st->arch.width[i];

                        p += (int64_t)in * o + o;
                }
                st->nparams = p;
                st->params = mls_calloc((size_t)p, sizeof(float));
                st->adam_m = mls_calloc((size_t)p, sizeof(float));
                st->adam_v = mls_calloc((size_t)p, sizeof(float));
                st->x_mean = mls_calloc((size_t)nin, sizeof(double));
                st->x_std = mls_calloc((size_t)nin, sizeof(double));
                st->y_mean = mls_calloc((size_t)nout, sizeof(double));
                st->y_std = mls_calloc((size_t)nout, sizeof(double));
                if ((rc = read_column(g, "params", H5T_NATIVE_FLOAT, p, st->params)) == MLS_OK &&
                    (rc = read_column(g, "adam_m", H5T_NATIVE_FLOAT, p, st->adam_m)) == MLS_OK &&
                    (rc = read_column(g, "adam_v", H5T_NATIVE_FLOAT, p, st->adam_v)) == MLS_OK &&
                    (rc = read_column(g, "x_mean", H5T_NATIVE_DOUBLE, nin, st->x_mean)) == MLS_OK &&
                    (rc = read_column(g, "x_std", H5T_NATIVE_DOUBLE, nin, st->x_std)) == MLS_OK &&
                    (rc = read_column(g, "y_mean", H5T_NATIVE_DOUBLE, nout, st->y_mean)) == MLS_OK)
                        rc = read_column(g, "y_std", H5T_NATIVE_DOUBLE, nout, st->y_std);
        }
        if (sp >= 0)
                H5Sclose(sp);
        if (a >= 0)
                H5Aclose(a);
        H5Gclose(g);
        H5Fclose(f);
        if (rc != MLS_OK)
                mls_store_model_free(st);
        return rc;
}

void mls_store_model_free(struct mls_nn_state *st)
{
        mls_free(&st->params);
        mls_free(&st->adam_m);
        mls_free(&st->adam_v);
        mls_free(&st->x_mean);
        mls_free(&st->x_std);
        mls_free(&st->y_mean);
        mls_free(&st->y_std);
        st->nparams = 0;
}

mls_rc mls_store_close(mls_store **sp)
{
        mls_store *s = sp ? *sp : NULL;
        mls_rc rc = MLS_OK;

        if (!s)
                return MLS_OK;
        for (int i = 0; i < NCOLS; i++)
                if (s->dset[i] >= 0)
                        H5Dclose(s->dset[i]);
        if (s->points >= 0)
                H5Gclose(s->points);
        for (int i = 0; i < NGENCOLS; i++)
                if (s->gen_dset[i] >= 0)
                        H5Dclose(s->gen_dset[i]);
        if (s->gens >= 0)
                H5Gclose(s->gens);
        for (int i = 0; s->keep_dset && i < s->nkeep * NKEEPCOLS; i++)
                if (s->keep_dset[i] >= 0)
                        H5Dclose(s->keep_dset[i]);
        mls_free(&s->keep_dset);
        mls_free(&s->keep_bytes);
        mls_free(&s->path);
        if (s->outputs >= 0)
                H5Gclose(s->outputs);
        for (int i = 0; i < 2; i++)
                if (s->state[i] >= 0)
                        H5Dclose(s->state[i]);
        if (s->commit >= 0)
                H5Dclose(s->commit);
        if (s->ckpt >= 0)
                H5Gclose(s->ckpt);
        if (s->error_t >= 0)
                H5Tclose(s->error_t);
        if (s->dxpl >= 0)
                H5Pclose(s->dxpl);
        if (s->status_t >= 0)
                H5Tclose(s->status_t);
        if (s->origin_t >= 0)
                H5Tclose(s->origin_t);
        if (s->bool_t >= 0)
                H5Tclose(s->bool_t);
        if (s->fid >= 0 && H5Fclose(s->fid) < 0)
                rc = MLS_H5_FAIL("closing the output file");
        rc = mls_agree(s->comm, rc);
        mls_free(sp);
        return rc;
}
