/*
 * toy_higgssignals.c - a stand-in for HiggsSignals 2 on the toy 2HDM spectrum of toy_spheno.
 *
 *   toy_higgssignals <spectrum.slha> <outdir>/
 *
 * Reads MASS (25, 35, 36, 37), ALPHA, tan(beta) (HMIX 2, the last HMIX block; else MINPAR 10)
 * and SPINFO, and writes <outdir>/HiggsSignals_results.dat as HiggsSignals 2 does: '#' header
 * lines, one of them `#cols: ...`, then one data row
 *   n Mh(1) Mh(2) Mh(3) Mhplus(1) csq(mu) csq(mh) csq(tot) nobs(mu) nobs(mh) nobs(tot) Pvalue
 * The light scalar h (PDG 25) is the one confronted with the 125 GeV data:
 *   csq(mh) = ((mh - 125.09) / 1.5)^2 over nobs(mh) = 1 observable;
 *   csq(mu) = CSQ_SM_MU + sum_i ((mu_i - 1) / sigma_i)^2 over NPSEUDO pseudo-observables built
 *             from kV = sin(beta - alpha), ku = cos(alpha) / sin(beta), kd = -sin(alpha) / cos(beta)
 *             in the LHC kappa framework; nobs(mu) = 107, the other observables being taken as
 *             SM-like with the SM chi-square CSQ_SM_MU;
 *   Pvalue  = Q(nobs(tot) / 2, csq(tot) / 2), the chi-square upper tail for nobs(tot) degrees
 *             of freedom.
 * For a spectrum with an SPINFO 4 entry or a negative mass, the chi-squares are -1 and the
 * Pvalue 0. A missing slash after <outdir> is added.
 * Exit status: 0 when the results file is written; 2 for a missing or unreadable spectrum,
 * a spectrum without the needed entries, or an unwritable results file (message on stderr).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROG      "toy_higgssignals"
#define MH_OBS    125.09
#define MH_SIGMA  1.5 /* GeV: experiment and theory */
#define NOBS_MU   107
#define NOBS_MH   1
#define CSQ_SM_MU 84.0 /* chi-square of the SM on the 107 rate observables (toy) */
#define NPSEUDO   9

#include "toy_spectrum.h"

struct hs_result {
        double csq_mu, csq_mh, csq_tot, pvalue;
        int nobs_mu, nobs_mh, nobs_tot;
};

/* ------------------------------------------------------------------ statistics */

/* Regularized lower incomplete gamma P(a, x) by its series; for x < a + 1. */
static double gamma_p_series(double a, double x)
{
        double term = 1.0 / a, sum = term;

        for (int n = 1; n < 10000 && fabs(term) > fabs(sum) * DBL_EPSILON; n++) {
                term *= x / (a + n);
                sum += term;
        }
        return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Regularized upper incomplete gamma Q(a, x) by its continued fraction (modified Lentz); x >= a + 1. */
static double gamma_q_fraction(double a, double x)
{
        const double tiny = 1e-300;
        double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;

        for (int i = 1; i < 10000; i++) {
                double an = -i * (i - a), del;

                b += 2.0;
                d = an * d + b;
                d = fabs(d) < tiny ? tiny : d;
                c = b + an / c;
                c = fabs(c) < tiny ? tiny : c;
                d = 1.0 / d;
                del = d * c;
                h *= del;
                if (fabs(del - 1.0) < DBL_EPSILON)
                        break;
        }
        return exp(-x + a * log(x) - lgamma(a)) * h;
}

/* Q(a, x) = Gamma(a, x) / Gamma(a): the p-value of chi-square 2x with 2a degrees of freedom. */
static double gamma_q(double a, double x)
{
        if (x <= 0.0)
                return 1.0;
        return x < a + 1.0 ? 1.0 - gamma_p_series(a, x) : gamma_q_fraction(a, x);
}

/* ------------------------------------------------------------------ toy signal rates */

enum prod { PROD_GGF, PROD_VBF, PROD_VH, PROD_TTH };
enum dec { DEC_BB, DEC_TAUTAU, DEC_WW, DEC_ZZ, DEC_GAMGAM, DEC_COUNT };

/* The pseudo-observables: production x decay signal strengths with relative errors. */
static const struct {
        enum prod prod;
        enum dec dec;
        double sigma;
} pseudo[NPSEUDO] = {
        {PROD_GGF, DEC_GAMGAM, 0.07}, {PROD_GGF, DEC_ZZ, 0.09},     {PROD_GGF, DEC_WW, 0.10},
        {PROD_GGF, DEC_TAUTAU, 0.15}, {PROD_VBF, DEC_GAMGAM, 0.15}, {PROD_VBF, DEC_WW, 0.13},
        {PROD_VBF, DEC_TAUTAU, 0.12}, {PROD_VH, DEC_BB, 0.14},      {PROD_TTH, DEC_BB, 0.15},
};

/* Signal strengths mu = (sigma / sigma_SM) (BR / BR_SM) in the kappa framework (LHC HXSWG). */
static double signal_strength(int i, double kv, double ku, double kd)
{
        double kg2 = 1.06 * ku * ku + 0.01 * kd * kd - 0.07 * ku * kd;
        double ka2 = 1.59 * kv * kv + 0.07 * ku * ku - 0.66 * kv * ku;
        double k2[DEC_COUNT] = {kd * kd, kd * kd, kv * kv, kv * kv, ka2};
        /* SM branching ratios at 125 GeV weight the change of the total width. */
        double kh2 = (0.5809 * kd * kd + 0.0627 * kd * kd + 0.0002 * kd * kd + 0.2152 * kv * kv +
                      0.0264 * kv * kv + 0.0015 * kv * kv + 0.0289 * ku * ku + 0.0818 * kg2 + 0.00227 * ka2) /
                     0.99977;
        double prod[4] = {kg2, kv * kv, kv * kv, ku * ku};

        return prod[pseudo[i].prod] * k2[pseudo[i].dec] / kh2;
}

static void evaluate(const struct spec *s, struct hs_result *r)
{
        double tb = s->have_hmix ? s->tanb_hmix : s->tanb_minpar, beta = atan(tb);
        double kv = sin(beta - s->alpha), ku = cos(s->alpha) / sin(beta), kd = -sin(s->alpha) / cos(beta);
        double dev = 0.0;

        r->nobs_mu = NOBS_MU;
        r->nobs_mh = NOBS_MH;
        r->nobs_tot = NOBS_MU + NOBS_MH;
        if (s->nerror > 0 || s->mass[0] <= 0.0 || s->mass[1] <= 0.0 || s->mass[2] <= 0.0 ||
            s->mass[3] <= 0.0 || tb <= 0.0) {
                r->csq_mu = r->csq_mh = r->csq_tot = -1.0;
                r->pvalue = 0.0;
                return;
        }
        for (int i = 0; i < NPSEUDO; i++)
                dev += pow((signal_strength(i, kv, ku, kd) - 1.0) / pseudo[i].sigma, 2);
        r->csq_mu = CSQ_SM_MU + dev;
        r->csq_mh = pow((s->mass[0] - MH_OBS) / MH_SIGMA, 2);
        r->csq_tot = r->csq_mu + r->csq_mh;
        r->pvalue = gamma_q(0.5 * r->nobs_tot, 0.5 * r->csq_tot);
}

/* ------------------------------------------------------------------ output */

static void write_header(FILE *f)
{
        fprintf(f, "# generated with toy_higgssignals, a stand-in for HiggsSignals 2 (mlscan examples)\n");
        fprintf(f, "# settings: latestresults, pdf = 2 (Gaussian), effC, nHzero = 3, nHplus = 1\n");
        fprintf(f, "#   %d rate pseudo-observables on h (the rest SM-like), mh = %.2f +- %.2f GeV\n", NPSEUDO,
                MH_OBS, MH_SIGMA);
        fprintf(f, "#\n# column abbreviations\n");
        fprintf(f, "#   n        : line id of input\n");
        fprintf(f, "#   Mh(i)    : Neutral Higgs boson masses in GeV (h, H, A)\n");
        fprintf(f, "#   Mhplus(i): Charged Higgs boson masses in GeV\n");
        fprintf(f, "#   csq(mu)  : chi^2 contribution from signal strength observables\n");
        fprintf(f, "#   csq(mh)  : chi^2 contribution from Higgs mass observables\n");
        fprintf(f, "#   csq(tot) : total chi^2 value\n");
        fprintf(f, "#   nobs(mu) : number of signal strength observables\n");
        fprintf(f, "#   nobs(mh) : number of Higgs mass observables\n");
        fprintf(f, "#   nobs(tot): total number of observables\n");
        fprintf(f, "#   Pvalue   : Probability, given csq(tot) and ndf=nobs(tot)\n");
        fprintf(f, "#\n#cols: n Mh(1) Mh(2) Mh(3) Mhplus(1) csq(mu) csq(mh) csq(tot) nobs(mu) nobs(mh) "
                   "nobs(tot) Pvalue\n#\n");
}

static int write_results(const char *dir, const struct spec *s, const struct hs_result *r)
{
        size_t len = strlen(dir);
        char *path = malloc(len + 32);
        FILE *f;
        int rc = 0;

        if (!path) {
                fprintf(stderr, PROG ": out of memory\n");
                return -1;
        }
        snprintf(path, len + 32, "%s%sHiggsSignals_results.dat", dir, len && dir[len - 1] == '/' ? "" : "/");
        if (!(f = fopen(path, "w"))) {
                fprintf(stderr, PROG ": cannot create %s: %s\n", path, strerror(errno));
                free(path);
                return -1;
        }
        write_header(f);
        fprintf(f, "%12d", 1);
        for (int i = 0; i < 4; i++)
                fprintf(f, " %16.8E", s->mass[i]);
        fprintf(f, " %16.8E %16.8E %16.8E %7d %7d %7d %16.8E\n", r->csq_mu, r->csq_mh, r->csq_tot, r->nobs_mu,
                r->nobs_mh, r->nobs_tot, r->pvalue);
        if (ferror(f) | fclose(f)) {
                fprintf(stderr, PROG ": error writing %s\n", path);
                rc = -1;
        }
        free(path);
        return rc;
}

int main(int argc, char **argv)
{
        struct spec s;
        struct hs_result r;

        memset(&s, 0, sizeof(s));
        if (argc != 3) {
                fprintf(stderr, "usage: " PROG " <spectrum.slha> <outdir>/\n");
                return 2;
        }
        if (spec_read(argv[1], &s) != 0 || spec_check(argv[1], &s) != 0)
                return 2;
        evaluate(&s, &r);
        return write_results(argv[2], &s, &r) == 0 ? 0 : 2;
}
