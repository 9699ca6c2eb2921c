/*
 * store_read.c - the points of an earlier mlscan output (layout in include/mlscan/store.h),
 * read for mls_seed_read(). Serial: a plain H5Fopen with the default driver, no communicator.
 * Every failure becomes one line "path: message" for the user; nothing is logged here.
 */
#include <config.h>

#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/physics.h"
#include "mlscan/util.h"
#include "store_read.h"
#include "store_report.h"

static const unsigned char h5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

bool mls_store_sniff(const char *path)
{
        FILE *f = fopen(path, "rb");
        unsigned char sig[sizeof(h5_signature)];
        bool found = false;

        if (!f)
                return false;
        /* A user block moves the superblock to 512, 1024, 2048, ... bytes. */
        for (long off = 0; !found && off <= (1L << 20); off = off ? 2 * off : 512) {
                if (fseek(f, off, SEEK_SET) != 0 || fread(sig, 1, sizeof(sig), f) != sizeof(sig))
                        break;
                found = memcmp(sig, h5_signature, sizeof(sig)) == 0;
        }
        fclose(f);
        return found;
}

struct reader {
        const char *path;
        char *err;
        size_t errlen;
        hid_t file, points;
        int64_t rows;            /* /points@rows */
        char **pnames, **onames; /* /points@parameter_names, @observable_names */
        int np, no;
};

static mls_rc fail(struct reader *r, mls_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes "path: message" into the caller's buffer; returns @rc. Never jumps. */
static mls_rc fail(struct reader *r, mls_rc rc, const char *fmt, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        snprintf(r->err, r->errlen, "%s: %s", r->path, what);
        return rc;
}

static mls_rc open_points(struct reader *r)
{
        hid_t a = H5I_INVALID_HID;
        mls_rc rc = MLS_OK;

        if ((r->file = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
                return fail(r, MLS_ERR_IO, "cannot open as an HDF5 file");
        if (H5Lexists(r->file, "points", H5P_DEFAULT) <= 0 ||
            (r->points = H5Gopen2(r->file, "points", H5P_DEFAULT)) < 0)
                return fail(r, MLS_ERR_CONFIG, "no group /points: not an mlscan output file");
        if ((a = H5Aopen(r->points, "rows", H5P_DEFAULT)) < 0 || H5Aread(a, H5T_NATIVE_INT64, &r->rows) < 0)
                rc = fail(r, MLS_ERR_CONFIG, "cannot read the row count /points@rows");
        else if (r->rows < 0)
                rc = fail(r, MLS_ERR_CONFIG, "/points@rows is %lld", (long long)r->rows);
        if (a >= 0)
                H5Aclose(a);
        return rc;
}

/* Copies @n strings of the fixed size @size, NUL- or space-padded, into @names. */
/* read_names - the string list /points@<attr>, variable-length (as store.c writes it) or fixed-size. */
static mls_rc read_names(struct reader *r, const char *attr, char ***out, int *count)
{
        if (mls_h5_strings(r->points, attr, out, count) == 1)
                return MLS_OK;
        return fail(r, MLS_ERR_CONFIG, "no list of names /points@%s", attr);
}

static void free_names(char **names, int n)
{
        for (int i = 0; names && i < n; i++)
                free(names[i]);
        free(names);
}

/* column_map - @idx[i] = position of @want[i] in @have, or fail naming the first one missing. */
static mls_rc column_map(struct reader *r, const char *what, const char *attr, char **have, int nhave,
                         const char *const *want, int nwant, int *idx)
{
        for (int i = 0; i < nwant; i++) {
                idx[i] = -1;
                for (int j = 0; j < nhave && idx[i] < 0; j++)
                        if (strcmp(have[j], want[i]) == 0)
                                idx[i] = j;
                if (idx[i] < 0)
                        return fail(r, MLS_ERR_CONFIG, "no %s '%s' in /points@%s", what, want[i], attr);
        }
        return MLS_OK;
}

/*
 * read_rows - the first r->rows rows of /points/@name into @buf as @memtype: a 2-D dataset of
 * @width columns, or a 1-D one for @width < 0.
 */
static mls_rc read_rows(struct reader *r, const char *name, int width, hid_t memtype, void *buf)
{
        hid_t d = H5I_INVALID_HID, fsp = H5I_INVALID_HID, msp = H5I_INVALID_HID;
        hsize_t dims[2] = {0, 0}, start[2] = {0, 0}, count[2] = {(hsize_t)r->rows, (hsize_t)width};
        int nd = width < 0 ? 1 : 2;
        mls_rc rc = MLS_OK;

        if ((d = H5Dopen2(r->points, name, H5P_DEFAULT)) < 0 || (fsp = H5Dget_space(d)) < 0 ||
            H5Sget_simple_extent_ndims(fsp) != nd || H5Sget_simple_extent_dims(fsp, dims, NULL) < 0) {
                rc = fail(r, MLS_ERR_CONFIG, "no %d-D dataset /points/%s", nd, name);
                goto out;
        }
        if (dims[0] < (hsize_t)r->rows) {
                rc = fail(r, MLS_ERR_CONFIG, "/points/%s has %llu rows, fewer than /points@rows = %lld", name,
                          (unsigned long long)dims[0], (long long)r->rows);
                goto out;
        }
        if (nd == 2 && dims[1] != (hsize_t)width) {
                rc = fail(r, MLS_ERR_CONFIG, "/points/%s has %llu columns for %d names", name,
                          (unsigned long long)dims[1], width);
                goto out;
        }
        if (r->rows == 0 || width == 0)
                goto out;
        if ((msp = H5Screate_simple(nd, count, NULL)) < 0 ||
            H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(d, memtype, msp, fsp, H5P_DEFAULT, buf) < 0)
                rc = fail(r, MLS_ERR_CONFIG, "cannot read %lld rows of /points/%s", (long long)r->rows, name);
out:
        if (msp >= 0)
                H5Sclose(msp);
        if (fsp >= 0)
                H5Sclose(fsp);
        if (d >= 0)
                H5Dclose(d);
        return rc;
}

/*
 * status_type - the memory type for /points/status: an int8 enum with mls_status_name()'s
 * names, so that HDF5 converts by name, or plain int8 for an integer column. Owned by caller.
 */
static hid_t status_type(struct reader *r)
{
        hid_t d = H5Dopen2(r->points, "status", H5P_DEFAULT), ft = d >= 0 ? H5Dget_type(d) : H5I_INVALID_HID;
        H5T_class_t cls = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
        hid_t t = H5I_INVALID_HID;

        if (cls == H5T_ENUM) {
                t = H5Tenum_create(H5T_NATIVE_INT8);
                for (int i = 0; t >= 0 && i < MLS_ST_COUNT; i++) {
                        int8_t v = (int8_t)i;

                        H5Tenum_insert(t, mls_status_name(i), &v);
                }
        } else if (cls == H5T_INTEGER) {
                t = H5Tcopy(H5T_NATIVE_INT8);
        }
        if (ft >= 0)
                H5Tclose(ft);
        if (d >= 0)
                H5Dclose(d);
        return t;
}

static mls_rc read_status(struct reader *r, int8_t *status)
{
        hid_t t = status_type(r);
        mls_rc rc;

        if (t < 0)
                return fail(r, MLS_ERR_CONFIG, "no status column /points/status (an enum or integer)");
        rc = read_rows(r, "status", -1, t, status);
        H5Tclose(t);
        for (int64_t i = 0; rc == MLS_OK && i < r->rows; i++)
                if (status[i] < 0 || status[i] >= MLS_ST_COUNT)
                        rc = fail(r, MLS_ERR_CONFIG, "/points/status[%lld] is %d, not a status", (long long)i,
                                  status[i]);
        return rc;
}

/* Reads the columns and keeps those of @card's parameters and @obs_names, in their order. */
static mls_rc read_table(struct reader *r, const struct mls_card *card, int m, const char *const *obs_names,
                         struct mls_seed *raw)
{
        const char **pwant = mls_calloc((size_t)card->nparams, sizeof(char *));
        int *pidx = mls_calloc((size_t)card->nparams, sizeof(int)),
            *oidx = mls_calloc((size_t)m, sizeof(int));
        double *x = mls_calloc((size_t)r->rows * (size_t)r->np, sizeof(double));
        double *obs = mls_calloc((size_t)r->rows * (size_t)r->no, sizeof(double));
        int d = card->nparams;
        mls_rc rc;

        for (int j = 0; j < d; j++)
                pwant[j] = card->params[j].name;
        raw->status = mls_calloc((size_t)r->rows, sizeof(int8_t));
        if ((rc = column_map(r, "parameter", "parameter_names", r->pnames, r->np, pwant, d, pidx)) ==
                    MLS_OK &&
            (rc = column_map(r, "observable", "observable_names", r->onames, r->no, obs_names, m, oidx)) ==
                    MLS_OK &&
            (rc = read_rows(r, "x", r->np, H5T_NATIVE_DOUBLE, x)) == MLS_OK &&
            (rc = read_rows(r, "obs", r->no, H5T_NATIVE_DOUBLE, obs)) == MLS_OK)
                rc = read_status(r, raw->status);
        if (rc == MLS_OK) {
                raw->n = r->rows;
                raw->d = d;
                raw->m = m;
                raw->u = mls_calloc((size_t)r->rows * (size_t)d, sizeof(double));
                raw->obs = mls_calloc((size_t)r->rows * (size_t)m, sizeof(double));
                for (int64_t i = 0; i < r->rows; i++) {
                        for (int j = 0; j < d; j++)
                                raw->u[i * d + j] = x[i * r->np + pidx[j]];
                        for (int k = 0; k < m; k++)
                                raw->obs[i * m + k] = obs[i * r->no + oidx[k]];
                }
        }
        free(obs);
        free(x);
        free(oidx);
        free(pidx);
        free(pwant);
        return rc;
}

mls_rc mls_store_read_points(const char *path, const struct mls_card *card, int m,
                             const char *const *obs_names, struct mls_seed *raw, char *err, size_t errlen)
{
        struct reader r = {.path = path, .err = err, .errlen = errlen};
        H5E_auto2_t efunc = NULL;
        void *edata = NULL;
        mls_rc rc;

        memset(raw, 0, sizeof(*raw));
        r.file = r.points = H5I_INVALID_HID;
        /* A missing attribute or dataset is a message for the user, not an HDF5 error stack. */
        H5Eget_auto2(H5E_DEFAULT, &efunc, &edata);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        if ((rc = open_points(&r)) == MLS_OK &&
            (rc = read_names(&r, "parameter_names", &r.pnames, &r.np)) == MLS_OK &&
            (rc = read_names(&r, "observable_names", &r.onames, &r.no)) == MLS_OK)
                rc = read_table(&r, card, m, obs_names, raw);
        free_names(r.pnames, r.np);
        free_names(r.onames, r.no);
        if (r.points >= 0)
                H5Gclose(r.points);
        if (r.file >= 0 && H5Fclose(r.file) < 0 && rc == MLS_OK)
                rc = fail(&r, MLS_ERR_IO, "cannot close the file");
        H5Eset_auto2(H5E_DEFAULT, efunc, edata);
        if (rc != MLS_OK)
                mls_seed_free(raw);
        return rc;
}
