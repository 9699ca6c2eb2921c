/*
 * toy_higgsbounds.c - a stand-in for HiggsBounds 5 on the toy 2HDM spectrum of toy_spheno.
 *
 *   toy_higgsbounds <spectrum.slha> <outdir>/
 *
 * Reads MASS (25, 35, 36, 37), ALPHA, tan(beta) (HMIX 2, the last HMIX block; else MINPAR 10)
 * and SPINFO from the spectrum, and writes <outdir>/HiggsBounds_results.dat as HiggsBounds 5
 * does: '#' header lines, one of them `#cols: ...`, then one data row
 *   n Mh(1) Mh(2) Mh(3) Mhplus(1) HBresult chan obsratio ncomb
 * with Mh(1..3) = h, H, A. obsratio is the largest of a few smooth toy exclusion ratios
 * (README.md); HBresult is 1 if obsratio < 1, else 0, and -1 (obsratio -1, chan 0) for a
 * spectrum with an SPINFO 4 entry or a negative mass. A missing slash after <outdir> is added.
 * Exit status: 0 when the results file is written; 2 for a missing or unreadable spectrum,
 * a spectrum without the needed entries, or an unwritable results file (message on stderr).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROG "toy_higgsbounds"

#include "toy_spectrum.h"

enum chan_id {
        CH_NONE,
        CH_LEP_H,
        CH_LEP_HH,
        CH_TAUTAU_H,
        CH_TAUTAU_A,
        CH_TAUTAU_HA,
        CH_ZZ_H,
        CH_HPLUS,
        CH_COUNT
};

static const char *const chan_names[CH_COUNT] = {
        "no channel applies",
        "LEP e+e- -> Z h, h -> b b~ (toy)",
        "LEP e+e- -> Z H, H -> b b~ (toy)",
        "LHC p p -> H -> tau tau (toy)",
        "LHC p p -> A -> tau tau (toy)",
        "LHC p p -> H/A -> tau tau, H and A combined (toy)",
        "LHC p p -> H -> Z Z (toy)",
        "H+ in type II: b -> s gamma like bound (toy)",
};

struct hb_result {
        int result, chan, ncomb;
        double obsratio;
};

/* ------------------------------------------------------------------ toy limits */

/* tan(beta) excluded above this by H/A -> tau tau at mass @m (hMSSM-like shape). */
static double tautau_tanb_limit(double m)
{
        return 6.0 * pow(m / 300.0, 1.5);
}

/* LEP Z + scalar: ~ coupling^2 below 114.4 GeV, switched off smoothly above. */
static double lep_ratio(double m, double c)
{
        return 2.0 * c * c / (1.0 + exp((m - 114.4) / 1.5));
}

static void keep_max(struct hb_result *r, double ratio, int chan, int ncomb)
{
        /* A degenerate spectrum must still give a number in the table. */
        if (!(ratio < 1e99))
                ratio = 1e99;
        if (ratio > r->obsratio) {
                r->obsratio = ratio;
                r->chan = chan;
                r->ncomb = ncomb;
        }
}

static void evaluate(const struct spec *s, struct hb_result *r)
{
        double mh = s->mass[0], mH = s->mass[1], mA = s->mass[2], mHp = s->mass[3];
        double tb = s->have_hmix ? s->tanb_hmix : s->tanb_minpar, beta = atan(tb);
        double cba = cos(beta - s->alpha), sba = sin(beta - s->alpha), kdH = cos(s->alpha) / cos(beta);
        double rH, rA, tz;

        memset(r, 0, sizeof(*r));
        if (s->nerror > 0 || mh <= 0.0 || mH <= 0.0 || mA <= 0.0 || mHp <= 0.0 || tb <= 0.0) {
                *r = (struct hb_result){-1, CH_NONE, 0, -1.0};
                return;
        }
        keep_max(r, lep_ratio(mh, sba), CH_LEP_H, 1);
        keep_max(r, lep_ratio(mH, cba), CH_LEP_HH, 1);
        rH = pow(kdH / tautau_tanb_limit(mH), 2);
        rA = pow(tb / tautau_tanb_limit(mA), 2);
        /* HiggsBounds adds up signal rates of scalars closer in mass than the resolution. */
        if (fabs(mH - mA) < 0.1 * mA)
                keep_max(r, rH + rA, CH_TAUTAU_HA, 2);
        keep_max(r, rH, CH_TAUTAU_H, 1);
        keep_max(r, rA, CH_TAUTAU_A, 1);
        tz = 1.0 / (1.0 + exp((2.0 * 91.1876 - mH) / 5.0));
        keep_max(r, tz * pow(cba / (0.08 * pow(mH / 250.0, 1.5)), 2), CH_ZZ_H, 1);
        keep_max(r, pow(600.0 / mHp, 4) * pow(1.0 + 1.0 / (tb * tb), 2), CH_HPLUS, 1);
        r->result = r->obsratio < 1.0;
}

/* ------------------------------------------------------------------ output */

static void write_header(FILE *f)
{
        fprintf(f, "# generated with toy_higgsbounds, a stand-in for HiggsBounds 5 (mlscan examples)\n");
        fprintf(f, "# settings: LandH, effC, nHzero = 3, nHplus = 1, toy limits\n");
        fprintf(f, "#\n# column abbreviations\n");
        fprintf(f, "#   n        : line id of input\n");
        fprintf(f, "#   Mh(i)    : Neutral Higgs boson masses in GeV (h, H, A)\n");
        fprintf(f, "#   Mhplus(i): Charged Higgs boson masses in GeV\n");
        fprintf(f, "#   HBresult : scenario allowed flag (1: allowed, 0: excluded, -1: unphysical)\n");
        fprintf(f, "#   chan     : most sensitive channel (see below). chan=0 if no channel applies\n");
        fprintf(f, "#   obsratio : ratio [sig x BR]_model/[sig x BR]_limit (<1 means allowed)\n");
        fprintf(f, "#   ncomb    : number of Higgs bosons combined in most sensitive channel\n");
        fprintf(f, "#\n# channel numbers used in this file\n");
        for (int i = 0; i < CH_COUNT; i++)
                fprintf(f, "#%8d : %s\n", i, chan_names[i]);
        fprintf(f, "#\n#cols: n Mh(1) Mh(2) Mh(3) Mhplus(1) HBresult chan obsratio ncomb\n#\n");
}

static int write_results(const char *dir, const struct spec *s, const struct hb_result *r)
{
        size_t len = strlen(dir);
        char *path = malloc(len + 32);
        FILE *f;
        int rc = 0;

        if (!path) {
                fprintf(stderr, PROG ": out of memory\n");
                return -1;
        }
        snprintf(path, len + 32, "%s%sHiggsBounds_results.dat", dir, len && dir[len - 1] == '/' ? "" : "/");
        if (!(f = fopen(path, "w"))) {
                fprintf(stderr, PROG ": cannot create %s: %s\n", path, strerror(errno));
                free(path);
                return -1;
        }
        write_header(f);
        fprintf(f, "%12d", 1);
        for (int i = 0; i < 4; i++)
                fprintf(f, " %16.8E", s->mass[i]);
        fprintf(f, " %7d %7d %16.8E %7d\n", r->result, r->chan, r->obsratio, r->ncomb);
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
        struct hb_result r;

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
