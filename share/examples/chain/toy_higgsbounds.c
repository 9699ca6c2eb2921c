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

enum blk { BLK_NONE, BLK_MASS, BLK_ALPHA, BLK_HMIX, BLK_MINPAR, BLK_SPINFO };

/* What a HiggsBounds run takes from the spectrum. */
struct spec {
        double mass[4]; /* h, H, A, H+ */
        double alpha, tanb_hmix, tanb_minpar;
        int have_mass[4], have_alpha, have_hmix, have_minpar;
        int nerror; /* SPINFO 4 entries */
};

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

/* ------------------------------------------------------------------ reading */

static int parse_double(const char *s, double *out)
{
        char *end;

        errno = 0;
        *out = strtod(s, &end);
        return end == s || *end != '\0' || errno == ERANGE || !isfinite(*out) ? -1 : 0;
}

static int parse_int(const char *s, long *out)
{
        char *end;

        errno = 0;
        *out = strtol(s, &end, 10);
        return end == s || *end != '\0' || errno == ERANGE ? -1 : 0;
}

static int tokenize(char *line, char **tok, int max)
{
        int n = 0;
        char *p;

        if ((p = strchr(line, '#')) != NULL)
                *p = '\0';
        for (p = strtok(line, " \t\r\n"); p && n < max; p = strtok(NULL, " \t\r\n"))
                tok[n++] = p;
        return n;
}

static enum blk block_kind(char **tok, int ntok)
{
        static const struct {
                const char *name;
                enum blk kind;
        } known[] = {{"MASS", BLK_MASS},
                     {"ALPHA", BLK_ALPHA},
                     {"HMIX", BLK_HMIX},
                     {"MINPAR", BLK_MINPAR},
                     {"SPINFO", BLK_SPINFO}};

        if (strcasecmp(tok[0], "BLOCK") != 0 || ntok < 2)
                return BLK_NONE;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                if (strcasecmp(tok[1], known[i].name) == 0)
                        return known[i].kind;
        return BLK_NONE;
}

/* One data line of a block we read; -1 if it is malformed. */
static int spec_line(struct spec *s, enum blk b, char **tok, int ntok)
{
        static const long pdg[4] = {25, 35, 36, 37};
        long idx = 0;
        double val;

        if (b == BLK_SPINFO) {
                s->nerror += strcmp(tok[0], "4") == 0;
                return 0;
        }
        if (parse_double(tok[ntok - 1], &val) != 0 ||
            (b != BLK_ALPHA && (ntok < 2 || parse_int(tok[0], &idx) != 0)))
                return -1;
        if (b == BLK_ALPHA) {
                s->alpha = val;
                s->have_alpha = 1;
        } else if (b == BLK_HMIX && idx == 2) {
                s->tanb_hmix = val;
                s->have_hmix = 1;
        } else if (b == BLK_MINPAR && idx == 10) {
                s->tanb_minpar = val;
                s->have_minpar = 1;
        }
        for (int i = 0; b == BLK_MASS && i < 4; i++)
                if (idx == pdg[i]) {
                        s->mass[i] = val;
                        s->have_mass[i] = 1;
                }
        return 0;
}

/* Read the entries HiggsBounds needs from the SLHA file @path; 0 on success. */
static int spec_read(const char *path, struct spec *s)
{
        FILE *f = fopen(path, "r");
        char *line = NULL, *tok[16];
        size_t cap = 0;
        long lineno = 0;
        enum blk b = BLK_NONE;
        int ntok, rc = 0;

        if (!f) {
                fprintf(stderr, PROG ": cannot open spectrum %s: %s\n", path, strerror(errno));
                return -1;
        }
        while (rc == 0 && getline(&line, &cap, f) != -1) {
                lineno++;
                if ((ntok = tokenize(line, tok, 16)) == 0)
                        continue;
                if (strcasecmp(tok[0], "BLOCK") == 0 || strcasecmp(tok[0], "DECAY") == 0)
                        b = block_kind(tok, ntok);
                else if (b != BLK_NONE && spec_line(s, b, tok, ntok) != 0) {
                        fprintf(stderr, PROG ": %s:%ld: malformed data line\n", path, lineno);
                        rc = -1;
                }
        }
        if (rc == 0 && ferror(f)) {
                fprintf(stderr, PROG ": error reading %s\n", path);
                rc = -1;
        }
        free(line);
        fclose(f);
        return rc;
}

/* A valid spectrum must give every input; an invalid one (SPINFO 4) needs none. */
static int spec_check(const char *path, const struct spec *s)
{
        static const char *const what[4] = {"MASS 25", "MASS 35", "MASS 36", "MASS 37"};

        if (s->nerror > 0)
                return 0;
        for (int i = 0; i < 4; i++)
                if (!s->have_mass[i]) {
                        fprintf(stderr, PROG ": %s: no %s entry and no SPINFO 4\n", path, what[i]);
                        return -1;
                }
        if (!s->have_alpha || (!s->have_hmix && !s->have_minpar)) {
                fprintf(stderr, PROG ": %s: no %s entry and no SPINFO 4\n", path,
                        s->have_alpha ? "tan(beta) (HMIX 2 or MINPAR 10)" : "ALPHA");
                return -1;
        }
        return 0;
}

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
