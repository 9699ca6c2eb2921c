/*
 * builtin.c - toy models evaluated in process, as in the benchmark literature
 * (MLscanner's shell3d, f2d and shellNd; the MultiNest Gaussian shells).
 * A new model is one function and one line in the table.
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "mlscan/physics.h"
#include "mlscan/util.h"

static const char *const status_names[MLS_ST_COUNT] = {
        "ok", "invalid", "failed", "timeout", "missing_output", "unreadable", "nonfinite",
};

const char *mls_status_name(int st)
{
        return st >= 0 && st < MLS_ST_COUNT ? status_names[st]
               : st == MLS_ST_INTERRUPTED   ? "interrupted"
                                            : "unknown";
}

/* [2 + prod_i cos(x_i / s_i)]^5 */
static double shell_f(const double *x, int d, const double *scale)
{
        double prod = 1.0;

        for (int i = 0; i < d; i++)
                prod *= cos(x[i] / scale[i]);
        return pow(2.0 + prod, 5.0);
}

static int eval_shell3d(const double *x, int d, double *obs)
{
        static const double scale[3] = {7.0, 7.0, 7.0};

        obs[0] = shell_f(x, d, scale);
        return MLS_ST_OK;
}

/* shell3d, but the "physics code" fails (no spectrum: invalid) where x1 + x2 > 20. */
static int eval_shell3d_holes(const double *x, int d, double *obs)
{
        if (x[0] + x[1] > 20.0) {
                obs[0] = NAN;
                return MLS_ST_INVALID;
        }
        return eval_shell3d(x, d, obs);
}

static int eval_f2d(const double *x, int d, double *obs)
{
        static const double scale[2] = {5.0, 7.0};

        obs[0] = shell_f(x, d, scale);
        return MLS_ST_OK;
}

static int eval_shellnd(const double *x, int d, double *obs)
{
        double prod = 1.0;

        for (int i = 0; i < d; i++)
                prod *= cos(x[i] / 7.0);
        obs[0] = pow(2.0 + prod, 5.0);
        return MLS_ST_OK;
}

/* Two shells of radius 2 and width 0.1 centred at (+-3.5, 0, ..., 0); lnL by log-sum-exp. */
static int eval_gaussian_shells(const double *x, int d, double *obs)
{
        const double r = 2.0, w = 0.1;
        double a[2];

        for (int c = 0; c < 2; c++) {
                double s = 0.0, dist;

                for (int i = 0; i < d; i++) {
                        double dx = x[i] - (i == 0 ? (c ? -3.5 : 3.5) : 0.0);

                        s += dx * dx;
                }
                dist = sqrt(s) - r;
                a[c] = -dist * dist / (2.0 * w * w);
        }
        {
                double hi = a[0] > a[1] ? a[0] : a[1];
                double lo = a[0] > a[1] ? a[1] : a[0];

                obs[0] = hi + log1p(exp(lo - hi)) - 0.5 * log(2.0 * MLS_PI * w * w);
        }
        return MLS_ST_OK;
}

static const char *const obs_f[] = {"F"};
static const char *const obs_lnl[] = {"lnL"};

static const struct mls_builtin models[] = {
        {"shell3d", 3, 3, 1, obs_f, "F = [2 + cos(x1/7) cos(x2/7) cos(x3/7)]^5", eval_shell3d},
        {"shell3d_holes", 3, 3, 1, obs_f, "shell3d, invalid (a failing physics code) where x1 + x2 > 20",
         eval_shell3d_holes},
        {"f2d", 2, 2, 1, obs_f, "F = [2 + cos(x1/5) cos(x2/7)]^5", eval_f2d},
        {"shellnd", 0, 1, 1, obs_f, "F = [2 + prod_i cos(x_i/7)]^5, any dimension", eval_shellnd},
        {"gaussian_shells", 0, 1, 1, obs_lnl,
         "lnL of two Gaussian shells (r = 2, w = 0.1) centred at (+-3.5, 0, ...)", eval_gaussian_shells},
};

int mls_builtin_count(void)
{
        return (int)(sizeof(models) / sizeof(models[0]));
}

const struct mls_builtin *mls_builtin_get(int i)
{
        return i >= 0 && i < mls_builtin_count() ? &models[i] : NULL;
}

int mls_builtin_find(const char *name)
{
        for (int i = 0; i < mls_builtin_count(); i++)
                if (strcmp(models[i].name, name) == 0)
                        return i;
        return -1;
}
