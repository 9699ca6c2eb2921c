/*
 * toy_spheno.c - a stand-in for SPheno: the tree-level spectrum and the Higgs decays of a
 * two-Higgs-doublet model (type II, softly broken Z2) in the generic basis, written the way a
 * SARAH-generated SPheno writes it.
 *
 *   toy_spheno [input [output]]        defaults: LesHouches.in -> SPheno.spc
 *
 * Input: BLOCK MINPAR 1..5 = lambda1..lambda5, 6 = m12^2 [GeV^2], 10 = tan(beta).
 * Exit status, as SPheno:
 *   0  spectrum written; a tachyon or a potential unbounded from below is reported by
 *      SPINFO 4 entries in it (the point is invalid);
 *   1  non-perturbative quartic couplings (toy running to 3 TeV, then
 *      |lambda_i| > 4 pi or tree-level unitarity violated):
 *      no spectrum is written (a stale output file is left alone, as SPheno does);
 *   2  usage error, unreadable input, missing MINPAR entry or unwritable output.
 * Every run appends one line to Messages.out in the working directory.
 * TOY_SPHENO_SECONDS (default 0) makes a run take that long, like a real spectrum code.
 * The formulas are in README.md next to this file.
 */
#include <complex.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "toy_util.h"

#define TOY_VERSION "1.0"
#define V_EW        246.22 /* GeV */
#define M_TOP       172.76 /* pole mass, GeV */
#define M_BOT       4.18   /* m_b(m_b), GeV: loops */
#define M_BOT_RUN   2.79   /* m_b at ~125 GeV: Yukawa couplings */
#define M_CHARM     1.27   /* m_c(m_c): loops */
#define M_CHARM_RUN 0.62   /* m_c at ~125 GeV */
#define M_STRANGE   0.055  /* m_s at ~125 GeV */
#define M_TAU       1.77686
#define M_MU        0.1056584
#define M_Z         91.1876
#define M_W         80.379
#define G_FERMI     1.1663787e-5
#define ALPHA_S     0.1181
#define ALPHA_EM0   (1.0 / 137.035999)
#define ALPHA_EM_MZ (1.0 / 127.95)
#define SW2         0.23122 /* sin^2 theta_W, MSbar at m_Z */
#define LAMBDA_UV   3.0e3   /* GeV: the toy running goes up to here */
#define K_GLUON     1.65    /* toy QCD K-factor of H -> g g */
#define QCD_FF      (1.0 + 5.67 * ALPHA_S / M_PI)
#define LOOP_EPS    0.05 /* size of the toy loop correction to mh^2 */
#define MAX_CHAN    12
#define MAX_PROBLEM 4

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

enum { PAR_L1, PAR_L2, PAR_L3, PAR_L4, PAR_L5, PAR_M12SQ, PAR_TANB, PAR_COUNT };

static const struct {
        int index;
        const char *name;
} par_info[PAR_COUNT] = {
        {1, "Lambda1Input"}, {2, "Lambda2Input"}, {3, "Lambda3Input"}, {4, "Lambda4Input"},
        {5, "Lambda5Input"}, {6, "M12input"},     {10, "TanBeta"},
};

struct thdm {
        double par[PAR_COUNT];
        double sb, cb, beta, alpha;
        double mh2_tree, mH2, mA2, mHp2; /* tree-level masses squared */
        double dmh2;                     /* toy loop correction to mh^2 */
        double mh, mH, mA, mHp;          /* signed roots: negative for a tachyon */
        const char *problem[MAX_PROBLEM];
        int nproblem;
        const char *warning;
};

/* Couplings of a neutral scalar relative to the SM Higgs: up, down-type fermions, W/Z. */
struct coupl {
        double ku, kd, kv;
        int odd; /* CP-odd */
};

struct chan {
        double width;
        int id[2];
        const char *name;
};

struct decay {
        int pdg;
        const char *name;
        double total;
        int n;
        struct chan ch[MAX_CHAN];
};

/* ------------------------------------------------------------------ input */

static int minpar_store(struct thdm *m, int *seen, char **tok, int ntok, const char *path, long lineno)
{
        long idx;
        double val;

        if (ntok < 2 || parse_int(tok[0], &idx) != 0 || parse_double(tok[ntok - 1], &val) != 0) {
                fprintf(stderr, "toy_spheno: %s:%ld: bad MINPAR line (want `index value`)\n", path, lineno);
                return -1;
        }
        for (int i = 0; i < PAR_COUNT; i++)
                if (par_info[i].index == idx) {
                        m->par[i] = val;
                        seen[i] = 1;
                }
        return 0;
}

/* Read BLOCK MINPAR of the LesHouches input @path into @m; 0 on success, message on stderr. */
static int read_input(const char *path, struct thdm *m)
{
        FILE *f = fopen(path, "r");
        char *line = NULL, *tok[8];
        size_t cap = 0;
        long lineno = 0;
        int seen[PAR_COUNT] = {0}, in_minpar = 0, rc = 0, ntok;

        if (!f) {
                fprintf(stderr, "toy_spheno: cannot open input %s: %s\n", path, strerror(errno));
                return -1;
        }
        while (rc == 0 && getline(&line, &cap, f) != -1) {
                lineno++;
                if ((ntok = tokenize(line, tok, 8)) == 0)
                        continue;
                if (strcasecmp(tok[0], "BLOCK") == 0 || strcasecmp(tok[0], "DECAY") == 0)
                        in_minpar = strcasecmp(tok[0], "BLOCK") == 0 && ntok > 1 &&
                                    strcasecmp(tok[1], "MINPAR") == 0;
                else if (in_minpar)
                        rc = minpar_store(m, seen, tok, ntok, path, lineno);
        }
        if (rc == 0 && ferror(f)) {
                fprintf(stderr, "toy_spheno: error reading %s\n", path);
                rc = -1;
        }
        for (int i = 0; rc == 0 && i < PAR_COUNT; i++)
                if (!seen[i]) {
                        fprintf(stderr, "toy_spheno: %s: BLOCK MINPAR has no entry %d (%s)\n", path,
                                par_info[i].index, par_info[i].name);
                        rc = -1;
                }
        if (rc == 0 && !(m->par[PAR_TANB] >= 1e-3 && m->par[PAR_TANB] <= 1e4)) {
                fprintf(stderr, "toy_spheno: %s: MINPAR 10 (tan beta) must be in [1e-3, 1e4]\n", path);
                rc = -1;
        }
        if (rc == 0 && fabs(m->par[PAR_M12SQ]) > 1e14) {
                fprintf(stderr, "toy_spheno: %s: MINPAR 6 (m12^2) must be in [-1e14, 1e14] GeV^2\n", path);
                rc = -1;
        }
        free(line);
        fclose(f);
        return rc;
}

/* ------------------------------------------------------------------ spectrum */

/* The tree-level unitarity eigenvalues of the 2HDM scattering matrix: the largest modulus. */
static double unitarity_max(const double *l)
{
        double s = l[0] + l[1], d = l[0] - l[1], e[12];
        double big = 0.0;

        e[0] = 1.5 * s + sqrt(2.25 * d * d + (2 * l[2] + l[3]) * (2 * l[2] + l[3]));
        e[1] = 1.5 * s - sqrt(2.25 * d * d + (2 * l[2] + l[3]) * (2 * l[2] + l[3]));
        e[2] = 0.5 * s + 0.5 * sqrt(d * d + 4 * l[3] * l[3]);
        e[3] = 0.5 * s - 0.5 * sqrt(d * d + 4 * l[3] * l[3]);
        e[4] = 0.5 * s + 0.5 * sqrt(d * d + 4 * l[4] * l[4]);
        e[5] = 0.5 * s - 0.5 * sqrt(d * d + 4 * l[4] * l[4]);
        e[6] = l[2] + 2 * l[3] - 3 * l[4];
        e[7] = l[2] - l[4];
        e[8] = l[2] + 2 * l[3] + 3 * l[4];
        e[9] = l[2] + l[4];
        e[10] = l[2] + l[3];
        e[11] = l[2] - l[3];
        for (int i = 0; i < 12; i++)
                big = fmax(big, fabs(e[i]));
        return big;
}

/*
 * Toy one-loop running of each quartic from m_t to LAMBDA_UV, d |lambda| / dt = b lambda^2 with
 * b = 3 / (8 pi^2): fills @run with lambda_i(LAMBDA_UV) and returns the largest modulus, or
 * INFINITY past a Landau pole.
 */
static double run_quartics(const double *l, double *run)
{
        double bt = 3.0 / (8.0 * M_PI * M_PI) * log(LAMBDA_UV / M_TOP), big = 0.0;

        for (int i = 0; i < 5; i++) {
                double den = 1.0 - bt * fabs(l[i]);

                run[i] = den <= 0.0 ? copysign(INFINITY, l[i]) : l[i] / den;
                big = fmax(big, fabs(run[i]));
        }
        return big;
}

/* Non-perturbative couplings: SPheno gives up without a spectrum. Returns a reason or NULL. */
static const char *nonperturbative(const struct thdm *m)
{
        double run[5];

        if (run_quartics(m->par, run) > 4.0 * M_PI)
                return "non-perturbative quartic coupling: |lambda_i(Q = 3 TeV)| > 4 pi";
        if (unitarity_max(run) > 8.0 * M_PI)
                return "tree-level unitarity violated at Q = 3 TeV: |a_0 eigenvalue| > 8 pi";
        return NULL;
}

static void add_problem(struct thdm *m, const char *what)
{
        if (m->nproblem < MAX_PROBLEM)
                m->problem[m->nproblem++] = what;
}

static double signed_root(double m2)
{
        return m2 >= 0.0 ? sqrt(m2) : -sqrt(-m2);
}

/* Potential bounded from below (the usual necessary and sufficient tree-level conditions). */
static int bounded_below(const double *l)
{
        double r;

        if (l[0] < 0.0 || l[1] < 0.0)
                return 0;
        r = -sqrt(l[0] * l[1]);
        return l[2] >= r && l[2] + l[3] - fabs(l[4]) >= r;
}

static void compute_spectrum(struct thdm *m)
{
        const double *l = m->par, v2 = V_EW * V_EW, tb = m->par[PAR_TANB], m12 = m->par[PAR_M12SQ];
        double m11, m22, mx, tr, disc, ku, run[5];

        m->beta = atan(tb);
        m->sb = sin(m->beta);
        m->cb = cos(m->beta);
        m11 = m12 * tb + l[0] * v2 * m->cb * m->cb;
        m22 = m12 / tb + l[1] * v2 * m->sb * m->sb;
        mx = -m12 + (l[2] + l[3] + l[4]) * v2 * m->sb * m->cb;
        tr = m11 + m22;
        disc = sqrt((m11 - m22) * (m11 - m22) + 4.0 * mx * mx);
        m->mh2_tree = 0.5 * (tr - disc);
        m->mH2 = 0.5 * (tr + disc);
        /* H = cos(a) phi1 + sin(a) phi2, h = -sin(a) phi1 + cos(a) phi2 */
        m->alpha = 0.5 * atan2(2.0 * mx, m11 - m22);
        m->mA2 = m12 / (m->sb * m->cb) - l[4] * v2;
        m->mHp2 = m->mA2 - 0.5 * (l[3] + l[4]) * v2;
        /* Toy top-loop correction, the size of the leading MSSM-like term times LOOP_EPS. */
        ku = cos(m->alpha) / m->sb;
        m->dmh2 = LOOP_EPS * 3.0 * pow(M_TOP, 4) / (2.0 * M_PI * M_PI * v2) * ku * ku *
                  log(1.0 + fabs(m->mH2) / (M_TOP * M_TOP));
        m->mh = m->mh2_tree < 0.0 ? signed_root(m->mh2_tree) : sqrt(m->mh2_tree + m->dmh2);
        m->mH = signed_root(m->mH2);
        m->mA = signed_root(m->mA2);
        m->mHp = signed_root(m->mHp2);
        if (m->mh2_tree < 0.0 || m->mH2 < 0.0)
                add_problem(m, "tachyonic state: hh (CP-even Higgs) has mass^2 < 0 at tree level");
        if (m->mA2 < 0.0)
                add_problem(m, "tachyonic state: Ah (CP-odd Higgs) has mass^2 < 0 at tree level");
        if (m->mHp2 < 0.0)
                add_problem(m, "tachyonic state: Hm (charged Higgs) has mass^2 < 0 at tree level");
        if (!bounded_below(l))
                add_problem(m, "potential unbounded from below");
        if (run_quartics(l, run) > 2.0 * M_PI)
                m->warning = "large quartic coupling: |lambda_i(Q = 3 TeV)| > 2 pi";
}

/* ------------------------------------------------------------------ decays */

/* f(tau) of the one-loop Higgs amplitudes, tau = m^2 / (4 m_loop^2). */
static double complex loop_f(double tau)
{
        double r, lg;

        if (tau <= 1.0)
                return asin(sqrt(tau)) * asin(sqrt(tau));
        r = sqrt(1.0 - 1.0 / tau);
        lg = log((1.0 + r) / (1.0 - r));
        return -0.25 * (lg - I * M_PI) * (lg - I * M_PI);
}

/* Spin-1/2 loop amplitude, normalised to 4/3 (CP-even) or 2 (CP-odd) for a heavy loop. */
static double complex amp_half(double m, double mq, int odd)
{
        double tau = m * m / (4.0 * mq * mq);

        if (odd)
                return 2.0 * loop_f(tau) / tau;
        return 2.0 * (tau + (tau - 1.0) * loop_f(tau)) / (tau * tau);
}

static double complex amp_w(double m)
{
        double tau = m * m / (4.0 * M_W * M_W);

        return -(2.0 * tau * tau + 3.0 * tau + 3.0 * (2.0 * tau - 1.0) * loop_f(tau)) / (tau * tau);
}

static double w_gg(double m, const struct coupl *c)
{
        double complex a = 0.75 * (c->ku * amp_half(m, M_TOP, c->odd) + c->kd * amp_half(m, M_BOT, c->odd));
        double pre = G_FERMI * ALPHA_S * ALPHA_S * pow(m, 3) / (36.0 * sqrt(2.0) * pow(M_PI, 3));

        return K_GLUON * pre * creal(a * conj(a));
}

static double w_gamgam(double m, const struct coupl *c)
{
        double complex a = 3.0 * 4.0 / 9.0 * c->ku * amp_half(m, M_TOP, c->odd) +
                           3.0 / 9.0 * c->kd * amp_half(m, M_BOT, c->odd) +
                           c->kd * amp_half(m, M_TAU, c->odd) +
                           3.0 * 4.0 / 9.0 * c->ku * amp_half(m, M_CHARM, c->odd);
        double pre = G_FERMI * ALPHA_EM0 * ALPHA_EM0 * pow(m, 3) / (128.0 * sqrt(2.0) * pow(M_PI, 3));

        if (!c->odd)
                a += c->kv * amp_w(m);
        return pre * creal(a * conj(a));
}

/* phi -> f fbar with colour factor @nc; beta^3 (CP-even) or beta (CP-odd). */
static double w_ff(double m, double mf, double nc, double k, int odd)
{
        double b2 = 1.0 - 4.0 * mf * mf / (m * m);
        double qcd = nc > 1.0 ? QCD_FF : 1.0;

        if (b2 <= 0.0)
                return 0.0;
        return nc * G_FERMI * m * mf * mf * k * k / (4.0 * sqrt(2.0) * M_PI) * pow(b2, odd ? 0.5 : 1.5) * qcd;
}

/*
 * phi -> V V(*): the on-shell width above threshold plus a toy off-shell tail c (m / 2 mV)^14,
 * cut off above threshold, fitted to the SM widths of h -> W W* and h -> Z Z* (continuous).
 */
static double w_vv(double m, double mv, double delta, double tail, double kv)
{
        double x = mv * mv / (m * m), u = m / (2.0 * mv);
        double pre = delta * G_FERMI * pow(m, 3) / (16.0 * sqrt(2.0) * M_PI);
        double on = x < 0.25 ? sqrt(1.0 - 4.0 * x) * (1.0 - 4.0 * x + 12.0 * x * x) : 0.0;
        double off = tail * pow(u, 14) / (1.0 + pow(u, 16));

        return pre * kv * kv * (on + off);
}

/* Toy phi -> Z gamma: the SM width at 125 GeV scaled by m^3 and the phase space. */
static double w_zgam(double m, double kv)
{
        double ps = 1.0 - M_Z * M_Z / (m * m), ps0 = 1.0 - M_Z * M_Z / (125.0 * 125.0);

        return ps <= 0.0 ? 0.0 : 6.3e-6 * kv * kv * pow(m / 125.0, 3) * pow(ps / ps0, 3);
}

static double kallen(double x, double y)
{
        return (1.0 - x - y) * (1.0 - x - y) - 4.0 * x * y;
}

/* A -> Z h or H+ -> W+ h with coupling cos(beta - alpha) = @c. */
static double w_vh(double m, double mv, double mh, double c)
{
        double k;

        if (mh <= 0.0 || m <= mv + mh)
                return 0.0;
        k = kallen(mv * mv / (m * m), mh * mh / (m * m));
        return G_FERMI * c * c * pow(m, 3) / (8.0 * sqrt(2.0) * M_PI) * pow(fmax(k, 0.0), 1.5);
}

/* H -> h h from the tree-level cubic coupling of the potential. */
static double w_hh(const struct thdm *m)
{
        const double *l = m->par;
        double ca = cos(m->alpha), sa = sin(m->alpha), v1 = V_EW * m->cb, v2 = V_EW * m->sb;
        double l345 = l[2] + l[3] + l[4], c, b2;

        if (m->mh <= 0.0 || m->mH <= 2.0 * m->mh)
                return 0.0;
        c = 0.5 * l[0] * v1 * 3.0 * ca * sa * sa + 0.5 * l[1] * v2 * 3.0 * sa * ca * ca +
            0.5 * l345 *
                    (v1 * (ca * ca * ca - 2.0 * sa * sa * ca) + v2 * (sa * sa * sa - 2.0 * ca * ca * sa));
        b2 = 1.0 - 4.0 * m->mh * m->mh / (m->mH * m->mH);
        return c * c * sqrt(b2) / (8.0 * M_PI * m->mH);
}

static void chan_add(struct decay *d, double w, int id1, int id2, const char *name)
{
        if (w > 0.0 && d->n < MAX_CHAN) {
                d->ch[d->n].width = w;
                d->ch[d->n].id[0] = id1;
                d->ch[d->n].id[1] = id2;
                d->ch[d->n].name = name;
                d->n++;
        }
}

static void neutral_fermions(struct decay *d, double mass, const struct coupl *c)
{
        chan_add(d, w_ff(mass, M_BOT_RUN, 3.0, c->kd, c->odd), 5, -5, "Fd_3 bar[Fd_3]");
        chan_add(d, w_ff(mass, M_TAU, 1.0, c->kd, c->odd), 15, -15, "Fe_3 bar[Fe_3]");
        chan_add(d, w_ff(mass, M_CHARM_RUN, 3.0, c->ku, c->odd), 4, -4, "Fu_2 bar[Fu_2]");
        chan_add(d, w_ff(mass, M_MU, 1.0, c->kd, c->odd), 13, -13, "Fe_2 bar[Fe_2]");
        chan_add(d, w_ff(mass, M_TOP, 3.0, c->ku, c->odd), 6, -6, "Fu_3 bar[Fu_3]");
        chan_add(d, w_gg(mass, c), 21, 21, "VG VG");
        chan_add(d, w_gamgam(mass, c), 22, 22, "VP VP");
}

static void neutral_bosons(struct decay *d, double mass, double kv)
{
        chan_add(d, w_vv(mass, M_W, 2.0, 0.047, kv), 24, -24, "VWm conj[VWm]");
        chan_add(d, w_vv(mass, M_Z, 1.0, 0.066, kv), 23, 23, "VZ VZ");
        chan_add(d, w_zgam(mass, kv), 23, 22, "VZ VP");
}

static void charged_decays(struct decay *d, const struct thdm *m)
{
        double mc = m->mHp, tb = m->par[PAR_TANB], xt = M_TOP * M_TOP / (mc * mc);
        double xb = M_BOT_RUN * M_BOT_RUN / (mc * mc), pre = G_FERMI * mc / (4.0 * sqrt(2.0) * M_PI);
        double k = kallen(xt, xb), wtb = 0.0;

        if (mc > M_TOP + M_BOT_RUN && k > 0.0)
                wtb = 3.0 * pre * sqrt(k) * QCD_FF *
                      ((M_TOP * M_TOP / (tb * tb) + M_BOT_RUN * M_BOT_RUN * tb * tb) * (1.0 - xt - xb) -
                       4.0 * M_TOP * M_TOP * M_BOT_RUN * M_BOT_RUN / (mc * mc));
        chan_add(d, wtb, 6, -5, "Fu_3 bar[Fd_3]");
        chan_add(d, pre * M_TAU * M_TAU * tb * tb * pow(1.0 - M_TAU * M_TAU / (mc * mc), 2), -15, 16,
                 "bar[Fe_3] Fv_3");
        chan_add(d,
                 3.0 * pre * QCD_FF *
                         (M_CHARM_RUN * M_CHARM_RUN / (tb * tb) + M_STRANGE * M_STRANGE * tb * tb),
                 4, -3, "Fu_2 bar[Fd_2]");
        chan_add(d, w_vh(mc, M_W, m->mh, cos(m->beta - m->alpha)), 24, 25, "VWm hh_1");
}

static int chan_cmp(const void *a, const void *b)
{
        double wa = ((const struct chan *)a)->width, wb = ((const struct chan *)b)->width;

        return (wa < wb) - (wa > wb);
}

static void decay_finish(struct decay *d)
{
        d->total = 0.0;
        for (int i = 0; i < d->n; i++)
                d->total += d->ch[i].width;
        qsort(d->ch, (size_t)d->n, sizeof(d->ch[0]), chan_cmp);
}

/* Fill the decay tables of h, H, A and H+ (in that order) from the spectrum. */
static void compute_decays(const struct thdm *m, struct decay *d)
{
        static const int pdg[4] = {25, 35, 36, 37};
        static const char *const names[4] = {"hh_1", "hh_2", "Ah_2", "Hm_2"};
        double sa = sin(m->alpha), ca = cos(m->alpha), tb = m->par[PAR_TANB];
        double sba = sin(m->beta - m->alpha), cba = cos(m->beta - m->alpha);
        struct coupl ch = {ca / m->sb, -sa / m->cb, sba, 0};
        struct coupl cH = {sa / m->sb, ca / m->cb, cba, 0};
        struct coupl cA = {1.0 / tb, tb, 0.0, 1};

        memset(d, 0, 4 * sizeof(*d));
        for (int i = 0; i < 4; i++) {
                d[i].pdg = pdg[i];
                d[i].name = names[i];
        }
        neutral_fermions(&d[0], m->mh, &ch);
        neutral_bosons(&d[0], m->mh, sba);
        neutral_fermions(&d[1], m->mH, &cH);
        neutral_bosons(&d[1], m->mH, cba);
        chan_add(&d[1], w_hh(m), 25, 25, "hh_1 hh_1");
        neutral_fermions(&d[2], m->mA, &cA);
        chan_add(&d[2], w_vh(m->mA, M_Z, m->mh, cba), 23, 25, "VZ hh_1");
        charged_decays(&d[3], m);
        for (int i = 0; i < 4; i++)
                decay_finish(&d[i]);
}

/* ------------------------------------------------------------------ output */

static void write_header(FILE *f, const struct thdm *m)
{
        fprintf(f, "# SUSY Les Houches Accord 2 - THDM-II Spectrum + Decays\n");
        fprintf(f, "# SPheno module generated by SARAH (toy stand-in, see share/examples/chain)\n");
        fprintf(f, "# ----------------------------------------------------------------------\n");
        fprintf(f, "# SPheno-toy %s\n", TOY_VERSION);
        fprintf(f, "# ----------------------------------------------------------------------\n");
        fprintf(f, "Block SPINFO         # Program information\n");
        fprintf(f, "     1   SPheno-toy       # spectrum calculator\n");
        fprintf(f, "     2   %-16s # version number of SPheno\n", TOY_VERSION);
        if (m->warning)
                fprintf(f, "     3   %s\n", m->warning);
        for (int i = 0; i < m->nproblem; i++)
                fprintf(f, "     4   %s\n", m->problem[i]);
        fprintf(f, "Block MODSEL      # Input parameters\n");
        fprintf(f, "    1    0     # GUT scale input\n");
        fprintf(f, "    2    1     # Boundary conditions\n");
        fprintf(f, "    6    1     # Generation mixing\n");
        fprintf(f, "Block MINPAR      # Input parameters\n");
        for (int i = 0; i < PAR_COUNT; i++)
                fprintf(f, "%5d   %15.8E  # %s\n", par_info[i].index, m->par[i], par_info[i].name);
        fprintf(f, "Block SMINPUTS    # SM parameters\n");
        fprintf(f, "         1     %.8E  # alpha_em^-1(MZ)^MSbar\n", 1.0 / ALPHA_EM_MZ);
        fprintf(f, "         2     %.8E  # G_mu [GeV^-2]\n", G_FERMI);
        fprintf(f, "         3     %.8E  # alpha_s(MZ)^MSbar\n", ALPHA_S);
        fprintf(f, "         4     %.8E  # m_Z(pole)\n", M_Z);
        fprintf(f, "         5     %.8E  # m_b(m_b), MSbar\n", M_BOT);
        fprintf(f, "         6     %.8E  # m_t(pole)\n", M_TOP);
        fprintf(f, "         7     %.8E  # m_tau(pole)\n", M_TAU);
}

/* BLOCK GAUGE at scale @q: one-loop 2HDM running of g', g and g3 from m_Z. */
static void write_gauge(FILE *f, double q, int lead)
{
        static const double b[3] = {7.0, -3.0, -7.0}; /* b' = 7 for g' in the 2HDM */
        double e2 = 4.0 * M_PI * ALPHA_EM_MZ, g0[3];
        const char *sp = lead ? "    " : "";

        g0[0] = sqrt(e2 / (1.0 - SW2));
        g0[1] = sqrt(e2 / SW2);
        g0[2] = sqrt(4.0 * M_PI * ALPHA_S);
        fprintf(f, "Block GAUGE Q= %.8E  # (Renormalization Scale)\n", q);
        for (int i = 0; i < 3; i++) {
                double inv = 1.0 / (g0[i] * g0[i]) - b[i] / (8.0 * M_PI * M_PI) * log(q / M_Z);

                fprintf(f, "%s%d   %.8E  # %s\n", sp, i + 1, 1.0 / sqrt(inv),
                        i == 0   ? "g1"
                        : i == 1 ? "g2"
                                 : "g3");
        }
}

static void write_masses(FILE *f, const struct thdm *m)
{
        fprintf(f, "Block HMIX Q= %.8E  # (Renormalization Scale)\n", M_TOP);
        fprintf(f, "     2    %.8E  # TanBeta\n", m->par[PAR_TANB]);
        fprintf(f, "     3    %.8E  # v\n", V_EW);
        fprintf(f, "     4    %.8E  # mA^2(Q)\n", m->mA2);
        fprintf(f, "    10    %.8E  # betaH\n", m->beta);
        fprintf(f, "   102    %.8E  # vd\n", V_EW * m->cb);
        fprintf(f, "   103    %.8E  # vu\n", V_EW * m->sb);
        fprintf(f, "Block MASS  # Mass spectrum\n");
        fprintf(f, "#   PDG code      mass          particle\n");
        fprintf(f, "        25     %.8E  # hh_1\n", m->mh);
        fprintf(f, "        35     %.8E  # hh_2\n", m->mH);
        fprintf(f, "        36     %.8E  # Ah_2\n", m->mA);
        fprintf(f, "        37     %.8E  # Hm_2\n", m->mHp);
        fprintf(f, "         6     %.8E  # Fu_3\n", M_TOP);
        fprintf(f, "        23     %.8E  # VZ\n", M_Z);
        fprintf(f, "        24     %.8E  # VWm\n", M_W);
}

static void write_mixing(FILE *f, const struct thdm *m)
{
        double ca = cos(m->alpha), sa = sin(m->alpha);

        /* SARAH writes mixing matrices without the leading blank. */
        fprintf(f, "Block SCALARMIX Q= %.8E  # ()\n", M_TOP);
        fprintf(f, "  1  1     %.8E   # ZH(1,1)\n", -sa);
        fprintf(f, "  1  2     %.8E   # ZH(1,2)\n", ca);
        fprintf(f, "2  1     %.8E   # ZH(2,1)\n", ca);
        fprintf(f, "2  2     %.8E   # ZH(2,2)\n", sa);
        fprintf(f, "Block ALPHA # Effective Higgs mixing angle\n");
        fprintf(f, "%.8E  # alpha\n", m->alpha);
        /* HiggsBounds effective couplings: two values (CP-even, CP-odd) before the ids. */
        fprintf(f, "Block HiggsBoundsInputHiggsCouplingsFermions #\n");
        fprintf(f, "    %.8E    %.8E    3    25    5    5 # h-b-b\n", -sa / m->cb, 0.0);
        fprintf(f, "    %.8E    %.8E    3    25    6    6 # h-t-t\n", ca / m->sb, 0.0);
        fprintf(f, "    %.8E    %.8E    3    25   15   15 # h-tau-tau\n", -sa / m->cb, 0.0);
        fprintf(f, "    %.8E    %.8E    3    35    5    5 # H-b-b\n", ca / m->cb, 0.0);
        fprintf(f, "    %.8E    %.8E    3    35    6    6 # H-t-t\n", sa / m->sb, 0.0);
        fprintf(f, "    %.8E    %.8E    3    36    5    5 # A-b-b\n", 0.0, m->par[PAR_TANB]);
        fprintf(f, "    %.8E    %.8E    3    36    6    6 # A-t-t\n", 0.0, 1.0 / m->par[PAR_TANB]);
        fprintf(f, "Block HiggsBoundsInputHiggsCouplingsBosons #\n");
        fprintf(f, "    %.8E    3    25    24    24 # h-W-W\n", pow(sin(m->beta - m->alpha), 2));
        fprintf(f, "    %.8E    3    35    24    24 # H-W-W\n", pow(cos(m->beta - m->alpha), 2));
}

static void write_decays(FILE *f, const struct decay *d)
{
        for (int i = 0; i < 4; i++) {
                fprintf(f, "DECAY %9d     %.8E   # %s\n", d[i].pdg, d[i].total, d[i].name);
                fprintf(f, "#    BR                NDA      ID1      ID2\n");
                for (int j = 0; j < d[i].n; j++)
                        fprintf(f, "     %.8E    2    %8d    %8d   # BR(%s -> %s )\n",
                                d[i].ch[j].width / d[i].total, d[i].ch[j].id[0], d[i].ch[j].id[1], d[i].name,
                                d[i].ch[j].name);
        }
}

/* Write the spectrum of @m to @path; the decays only for a valid point. 0 on success. */
static int write_spectrum(const char *path, const struct thdm *m)
{
        FILE *f = fopen(path, "w");
        struct decay d[4];

        if (!f) {
                fprintf(stderr, "toy_spheno: cannot create %s: %s\n", path, strerror(errno));
                return -1;
        }
        write_header(f, m);
        write_gauge(f, M_Z, 1);
        write_gauge(f, M_TOP, 0);
        write_masses(f, m);
        if (m->nproblem == 0) {
                write_mixing(f, m);
                compute_decays(m, d);
                write_decays(f, d);
        }
        if (ferror(f) | fclose(f)) {
                fprintf(stderr, "toy_spheno: error writing %s\n", path);
                return -1;
        }
        return 0;
}

/* ------------------------------------------------------------------ main */

/* Append one line to Messages.out, as SPheno does; failure to do so is not fatal. */
static void message(const char *input, const char *what)
{
        FILE *f = fopen("Messages.out", "a");

        if (f) {
                fprintf(f, " SPheno-toy %s: %s: %s\n", TOY_VERSION, input, what);
                fclose(f);
        }
}

/* Spend TOY_SPHENO_SECONDS of wall-clock time; a bad value is an error. */
static int spend_time(void)
{
        const char *s = getenv("TOY_SPHENO_SECONDS");
        double sec = 0.0;
        struct timespec ts;

        if (s && *s && (parse_double(s, &sec) != 0 || sec < 0.0 || sec > 1e6)) {
                fprintf(stderr, "toy_spheno: TOY_SPHENO_SECONDS=%s is not a number of seconds in [0, 1e6]\n",
                        s);
                return -1;
        }
        ts.tv_sec = (time_t)sec;
        ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
        while (sec > 0.0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        return 0;
}

int main(int argc, char **argv)
{
        const char *in = argc > 1 ? argv[1] : "LesHouches.in", *out = argc > 2 ? argv[2] : "SPheno.spc";
        struct thdm m;
        const char *why;

        memset(&m, 0, sizeof(m));
        if (argc > 3) {
                fprintf(stderr, "usage: toy_spheno [input [output]]\n");
                return 2;
        }
        if (spend_time() != 0)
                return 2;
        if (read_input(in, &m) != 0) {
                message(in, "error reading the input");
                return 2;
        }
        if ((why = nonperturbative(&m)) != NULL) {
                fprintf(stderr, "toy_spheno: %s: %s; no spectrum written\n", in, why);
                message(in, why);
                return 1;
        }
        compute_spectrum(&m);
        message(in, m.nproblem ? m.problem[0] : "spectrum calculated");
        return write_spectrum(out, &m) == 0 ? 0 : 2;
}
