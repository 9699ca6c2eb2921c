/*
 * t_card.c - the run-card parser against data, with the Check framework.
 *
 * tests/cases/cards/bad/NAME.yaml must fail with MLS_ERR_CONFIG, the exact first line of
 * NAME.err as its message (path "NAME.yaml") and an all-zero card. Every card in
 * tests/cases/cards/good/ and share/examples/ must parse; some good cards also have their
 * values checked. The data is found under $top_srcdir (exported by `make check`), else ".".
 */
#include <config.h>

#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/card.h"
#include "mlscan/method.h"
#include "mlscan/physics.h"

/* Fewer bad cards than this means the directory was not found or was emptied. */
#define MIN_BAD_CARDS 72

struct card_dir {
        char path[4096];
        char **names; /* sorted file names ending in ".yaml" */
        int count;
};

/*
 * The directory listings, made once in main() before the runner starts. Check's test
 * functions take no argument, so loop tests can only reach them through file scope.
 */
static struct card_dir bad_dir, good_dir, example_dir;

static const char *top_srcdir(void)
{
        const char *top = getenv("top_srcdir");

        return top && *top ? top : ".";
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n > m && strcmp(s + n - m, suffix) == 0;
}

/* list_cards - fill @d with the sorted "*.yaml" names in $top_srcdir/@sub; a missing directory lists nothing. */
static void list_cards(struct card_dir *d, const char *sub)
{
        DIR *dir;
        struct dirent *e;
        int cap = 0;

        snprintf(d->path, sizeof(d->path), "%s/%s", top_srcdir(), sub);
        d->names = NULL;
        d->count = 0;
        if (!(dir = opendir(d->path)))
                return;
        while ((e = readdir(dir))) {
                if (!has_suffix(e->d_name, ".yaml"))
                        continue;
                if (d->count == cap) {
                        cap = cap ? 2 * cap : 64;
                        d->names = realloc(d->names, (size_t)cap * sizeof(*d->names));
                        if (!d->names)
                                abort();
                }
                if (!(d->names[d->count++] = strdup(e->d_name)))
                        abort();
        }
        closedir(dir);
        /* readdir's order depends on the file system; sorted runs are comparable. */
        if (d->count)
                qsort(d->names, (size_t)d->count, sizeof(*d->names), compare_names);
}

static void free_cards(struct card_dir *d)
{
        for (int i = 0; i < d->count; i++)
                free(d->names[i]);
        free(d->names);
        d->names = NULL;
        d->count = 0;
}

/* read_all - the bytes of @path, NUL-terminated, owned by caller (release with free()); NULL if unreadable. */
static char *read_all(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t cap = 0, n = 0, got;

        if (!f)
                return NULL;
        do {
                if (cap - n < 4096) {
                        cap = cap ? 2 * cap : 8192;
                        if (!(buf = realloc(buf, cap)))
                                abort();
                }
                got = fread(buf + n, 1, cap - n - 1, f);
                n += got;
        } while (got > 0);
        fclose(f);
        buf[n] = '\0';
        *len = n;
        return buf;
}

static bool is_zero(const struct mls_card *c)
{
        static const struct mls_card zero;

        return memcmp(c, &zero, sizeof(zero)) == 0;
}

/* parse_file - parse $dir/@name into @c, with @name as the path in messages when @short_path. */
static mls_rc parse_file(const struct card_dir *d, const char *name, bool short_path, struct mls_card *c,
                         char *err, size_t errlen)
{
        char path[8192];
        char *text;
        size_t len = 0;
        mls_rc rc;

        snprintf(path, sizeof(path), "%s/%s", d->path, name);
        text = read_all(path, &len);
        ck_assert_msg(text != NULL, "cannot read %s", path);
        /* Garbage in the card proves that the parser sets every field itself. */
        memset(c, 0xa5, sizeof(*c));
        rc = mls_card_parse(text, len, short_path ? name : path, c, err, errlen);
        free(text);
        return rc;
}

static void parse_good(const char *name, struct mls_card *c)
{
        char err[1024];
        mls_rc rc = parse_file(&good_dir, name, false, c, err, sizeof(err));

        ck_assert_msg(rc == MLS_OK, "%s: returned %s, expected MLS_OK: %s", name, mls_rc_str(rc), err);
}

static void fini_zeroes(struct mls_card *c, const char *name)
{
        mls_card_fini(c);
        ck_assert_msg(is_zero(c), "%s: mls_card_fini left the card non-zero", name);
}

/* ------------------------------------------------------------------ bad cards */

START_TEST(bad_cards_found)
{
        ck_assert_msg(bad_dir.count >= MIN_BAD_CARDS, "found %d bad cards in %s, expected at least %d",
                      bad_dir.count, bad_dir.path, MIN_BAD_CARDS);
}
END_TEST

START_TEST(bad_card)
{
        const char *name = bad_dir.names[_i];
        char errpath[8192], want[1024], err[1024];
        struct mls_card c;
        FILE *f;
        mls_rc rc;

        snprintf(errpath, sizeof(errpath), "%s/%.*s.err", bad_dir.path, (int)(strlen(name) - 5), name);
        f = fopen(errpath, "r");
        ck_assert_msg(f != NULL, "%s: no expected message %s", name, errpath);
        if (!fgets(want, sizeof(want), f))
                want[0] = '\0';
        fclose(f);
        want[strcspn(want, "\r\n")] = '\0';

        rc = parse_file(&bad_dir, name, true, &c, err, sizeof(err));
        ck_assert_msg(rc == MLS_ERR_CONFIG, "%s: returned %s, expected MLS_ERR_CONFIG (message: '%s')", name,
                      mls_rc_str(rc), err);
        ck_assert_msg(strcmp(err, want) == 0, "%s: wrong message\n  expected: %s\n  actual:   %s", name, want,
                      err);
        ck_assert_msg(!strpbrk(err, "\r\n"), "%s: the message is more than one line", name);
        ck_assert_msg(is_zero(&c), "%s: the card is not zeroed after the error", name);
}
END_TEST

/* ------------------------------------------------------------------ good cards and examples */

START_TEST(good_cards_found)
{
        ck_assert_msg(good_dir.count >= 10, "found %d good cards in %s, expected at least 10", good_dir.count,
                      good_dir.path);
        ck_assert_msg(example_dir.count >= 1, "found no examples in %s", example_dir.path);
}
END_TEST

START_TEST(good_card)
{
        struct mls_card c;

        parse_good(good_dir.names[_i], &c);
        fini_zeroes(&c, good_dir.names[_i]);
}
END_TEST

START_TEST(example_card)
{
        const char *name = example_dir.names[_i];
        char err[1024];
        struct mls_card c;
        mls_rc rc = parse_file(&example_dir, name, false, &c, err, sizeof(err));

        ck_assert_msg(rc == MLS_OK, "share/examples/%s: returned %s, expected MLS_OK: %s", name,
                      mls_rc_str(rc), err);
        fini_zeroes(&c, name);
}
END_TEST

/* share/example.yaml documents every key; it must stay a valid card. */
START_TEST(reference_card)
{
        struct card_dir share;
        char err[1024];
        struct mls_card c;
        mls_rc rc;

        snprintf(share.path, sizeof(share.path), "%s/share", top_srcdir());
        rc = parse_file(&share, "example.yaml", false, &c, err, sizeof(err));
        ck_assert_msg(rc == MLS_OK, "share/example.yaml: returned %s, expected MLS_OK: %s", mls_rc_str(rc),
                      err);
        fini_zeroes(&c, "example.yaml");
}
END_TEST

START_TEST(defaults)
{
        struct mls_card c;

        parse_good("defaults.yaml", &c);
        ck_assert_str_eq(c.name, "defaults");
        ck_assert_str_eq(c.output, "defaults.h5");
        ck_assert_uint_eq(c.seed, 1);
        ck_assert_int_eq(c.method, mls_method_find("random"));
        ck_assert_double_eq(c.checkpoint_seconds, 60.0);
        ck_assert_int_eq(c.max_evaluations, 0);
        ck_assert_int_eq(c.max_good, 50);
        ck_assert_int_eq(c.nparams, 1);
        ck_assert_str_eq(c.params[0].name, "x");
        ck_assert_double_eq(c.params[0].lo, -2.0);
        ck_assert_double_eq(c.params[0].hi, 3.0);
        ck_assert_int_eq(c.params[0].prior, MLS_PRIOR_LINEAR);
        ck_assert_int_eq(c.builtin, mls_builtin_find("shellnd"));
        ck_assert_int_eq(c.nterms, 1);
        ck_assert_str_eq(c.terms[0].obs, "F");
        ck_assert_int_eq(c.terms[0].obs_index, 0);
        ck_assert_int_eq(c.terms[0].kind, MLS_TERM_GAUSS);
        ck_assert_double_eq(c.terms[0].mean, 100.0);
        ck_assert_double_eq(c.terms[0].sigma, 20.0);
        ck_assert_double_eq(c.nll_below, 0.5);
        ck_assert_msg(has_suffix(c.path, "/tests/cases/cards/good/defaults.yaml"), "path is '%s'", c.path);
        fini_zeroes(&c, "defaults.yaml");
}
END_TEST

START_TEST(model_section)
{
        struct mls_card c;

        /* Without a model section: MLscanner's 4 x 100 ReLU, BSMArt's training defaults, 1 thread. */
        parse_good("defaults.yaml", &c);
        ck_assert_int_eq(c.has_model, 0);
        ck_assert_int_eq(c.model.nhidden, 4);
        for (int i = 0; i < 4; i++)
                ck_assert_int_eq(c.model.hidden[i], 100);
        ck_assert_int_eq(c.model.activation, 0);
        ck_assert_int_eq(c.model.optimizer, 0);
        ck_assert_double_eq(c.model.learning_rate, 1e-3);
        ck_assert_int_eq(c.model.epochs, 250);
        ck_assert_int_eq(c.model.batch, 128);
        ck_assert_double_eq(c.model.val_fraction, 0.2);
        ck_assert_int_eq(c.model.patience, 10);
        ck_assert_int_eq(c.model.threads, 1);
        ck_assert_int_eq(c.model.warm_start, 1);
        fini_zeroes(&c, "defaults.yaml");

        parse_good("model.yaml", &c);
        ck_assert_int_eq(c.has_model, 1);
        ck_assert_int_eq(c.model.nhidden, 3);
        ck_assert_int_eq(c.model.hidden[0], 64);
        ck_assert_int_eq(c.model.hidden[1], 32);
        ck_assert_int_eq(c.model.hidden[2], 16);
        ck_assert_int_eq(c.model.activation, 1); /* silu */
        ck_assert_int_eq(c.model.optimizer, 1);  /* adamw */
        ck_assert_double_eq(c.model.learning_rate, 1e-2);
        ck_assert_double_eq(c.model.lr_decay, 0.99);
        ck_assert_double_eq(c.model.weight_decay, 1e-4);
        ck_assert_int_eq(c.model.epochs, 100);
        ck_assert_int_eq(c.model.batch, 256);
        ck_assert_double_eq(c.model.val_fraction, 0.1);
        ck_assert_int_eq(c.model.patience, 5);
        ck_assert_double_eq(c.model.min_delta, 0.0);
        ck_assert_int_eq(c.model.threads, 2);
        ck_assert_int_eq(c.model.warm_start, 0);
        fini_zeroes(&c, "model.yaml");

        parse_good("model_empty_hidden.yaml", &c);
        ck_assert_int_eq(c.model.nhidden, 0);
        fini_zeroes(&c, "model_empty_hidden.yaml");
}
END_TEST

/* The search section: defaults as README and the man page list them, and every key read. */
START_TEST(search_section)
{
        struct mls_card c;

        parse_good("defaults.yaml", &c);
        ck_assert_int_eq(c.has_search, 0);
        ck_assert_ptr_null(c.start_from);
        ck_assert_int_eq(c.max_generations, 0);
        ck_assert_double_eq(c.walltime, 0.0);
        ck_assert_int_eq(c.search.initial_points, 500);
        ck_assert_int_eq(c.search.points_per_generation, 500);
        ck_assert_double_eq(c.search.growth, 0.1);
        ck_assert_int_eq(c.search.candidates, 100000);
        ck_assert_double_eq(c.search.random_fraction, -1.0); /* auto */
        ck_assert_double_eq(c.search.local_fraction, 0.5);
        ck_assert_double_eq(c.search.local_scale, 0.1);
        ck_assert_int_eq(c.search.overlap, 0);
        ck_assert_int_eq(c.search.has_select_below, 0);
        ck_assert_double_eq(c.search.select_below, c.nll_below);
        ck_assert_int_eq(c.search.smote_k, 5);
        ck_assert_int_eq(c.search.smote_below, 500);
        ck_assert_double_eq(c.search.smote_fraction, 0.5);
        ck_assert_int_eq(c.search.learn, MLS_LEARN_OBSERVABLES);
        ck_assert_double_eq(c.search.density_power, 2.0);
        ck_assert_int_eq(c.search.validity_classifier, 1);
        fini_zeroes(&c, "defaults.yaml");

        parse_good("search.yaml", &c);
        ck_assert_int_eq(c.method, mls_method_find("mls"));
        ck_assert_str_eq(c.start_from, "earlier.csv");
        ck_assert_int_eq(c.max_generations, 12);
        ck_assert_double_eq(c.walltime, 3600.0);
        ck_assert_int_eq(c.has_search, 1);
        ck_assert_int_eq(c.search.initial_points, 200);
        ck_assert_int_eq(c.search.points_per_generation, 100);
        ck_assert_double_eq(c.search.growth, 0.0);
        ck_assert_int_eq(c.search.candidates, 5000);
        ck_assert_double_eq(c.search.random_fraction, 0.15);
        ck_assert_double_eq(c.search.local_fraction, 0.25);
        ck_assert_double_eq(c.search.local_scale, 0.05);
        ck_assert_int_eq(c.search.overlap, 1);
        ck_assert_int_eq(c.search.has_select_below, 1);
        ck_assert_double_eq(c.search.select_below, 0.5);
        ck_assert_int_eq(c.search.smote_k, 3);
        ck_assert_int_eq(c.search.smote_below, 50);
        ck_assert_double_eq(c.search.smote_fraction, 0.4);
        ck_assert_int_eq(c.search.learn, MLS_LEARN_LIKELIHOOD);
        ck_assert_double_eq(c.search.density_power, 0.0);
        ck_assert_int_eq(c.search.validity_classifier, 0);
        fini_zeroes(&c, "search.yaml");
}
END_TEST

START_TEST(exponent_integers)
{
        struct mls_card c;

        parse_good("sci_integers.yaml", &c);
        ck_assert_int_eq(c.max_evaluations, 20000);
        ck_assert_int_eq(c.max_good, 1500);
        ck_assert_uint_eq(c.seed, 1000);
        fini_zeroes(&c, "sci_integers.yaml");
}
END_TEST

START_TEST(log_prior)
{
        struct mls_card c;

        parse_good("log_prior.yaml", &c);
        ck_assert_int_eq(c.nparams, 2);
        ck_assert_str_eq(c.params[0].name, "mass");
        ck_assert_int_eq(c.params[0].prior, MLS_PRIOR_LOG);
        ck_assert_double_eq(c.params[0].lo, 1e-3);
        ck_assert_double_eq(c.params[0].hi, 10.0);
        ck_assert_str_eq(c.params[1].name, "coupling");
        ck_assert_int_eq(c.params[1].prior, MLS_PRIOR_LINEAR);
        ck_assert_double_eq(c.params[1].lo, -1.0);
        ck_assert_double_eq(c.params[1].hi, 1.0);
        ck_assert_int_eq(c.builtin, mls_builtin_find("f2d"));
        fini_zeroes(&c, "log_prior.yaml");
}
END_TEST

START_TEST(flow_equals_block)
{
        struct mls_card b, f;

        parse_good("block.yaml", &b);
        parse_good("flow.yaml", &f);
        /* The values themselves, once, on the block card. */
        ck_assert_str_eq(b.name, "same");
        ck_assert_str_eq(b.output, "out/same.h5");
        ck_assert_uint_eq(b.seed, 12345);
        ck_assert_double_eq(b.checkpoint_seconds, 2.5);
        ck_assert_int_eq(b.max_evaluations, 5000);
        ck_assert_int_eq(b.max_good, 300);
        ck_assert_int_eq(b.nparams, 3);
        ck_assert_double_eq(b.params[0].lo, -31.41592653589793);
        ck_assert_double_eq(b.params[2].hi, 100.0);
        ck_assert_int_eq(b.params[2].prior, MLS_PRIOR_LOG);
        ck_assert_double_eq(b.nll_below, 0.1053605156578263);
        /* Then every field of the flow card against it. */
        ck_assert_str_eq(f.name, b.name);
        ck_assert_str_eq(f.output, b.output);
        ck_assert_uint_eq(f.seed, b.seed);
        ck_assert_int_eq(f.method, b.method);
        ck_assert_double_eq(f.checkpoint_seconds, b.checkpoint_seconds);
        ck_assert_int_eq(f.max_evaluations, b.max_evaluations);
        ck_assert_int_eq(f.max_good, b.max_good);
        ck_assert_int_eq(f.nparams, b.nparams);
        for (int i = 0; i < b.nparams; i++) {
                ck_assert_str_eq(f.params[i].name, b.params[i].name);
                ck_assert_double_eq(f.params[i].lo, b.params[i].lo);
                ck_assert_double_eq(f.params[i].hi, b.params[i].hi);
                ck_assert_int_eq(f.params[i].prior, b.params[i].prior);
        }
        ck_assert_int_eq(f.builtin, b.builtin);
        ck_assert_int_eq(f.nterms, b.nterms);
        for (int i = 0; i < b.nterms; i++) {
                ck_assert_str_eq(f.terms[i].obs, b.terms[i].obs);
                ck_assert_int_eq(f.terms[i].obs_index, b.terms[i].obs_index);
                ck_assert_int_eq(f.terms[i].kind, b.terms[i].kind);
                ck_assert_double_eq(f.terms[i].mean, b.terms[i].mean);
                ck_assert_double_eq(f.terms[i].sigma, b.terms[i].sigma);
        }
        ck_assert_double_eq(f.nll_below, b.nll_below);
        fini_zeroes(&b, "block.yaml");
        fini_zeroes(&f, "flow.yaml");
}
END_TEST

/* The one term of good card @name: kind, observable and fields. */
static void check_term(const char *name, enum mls_term_kind kind, const char *obs, double mean, double sigma,
                       double nll_below)
{
        struct mls_card c;

        parse_good(name, &c);
        ck_assert_int_eq(c.nterms, 1);
        ck_assert_int_eq(c.terms[0].kind, kind);
        ck_assert_str_eq(c.terms[0].obs, obs);
        ck_assert_int_eq(c.terms[0].obs_index, 0);
        ck_assert_double_eq(c.terms[0].mean, mean);
        ck_assert_double_eq(c.terms[0].sigma, sigma);
        ck_assert_double_eq(c.nll_below, nll_below);
        fini_zeroes(&c, name);
}

START_TEST(term_upper)
{
        /* mean holds the limit */
        check_term("upper.yaml", MLS_TERM_UPPER, "F", 150.0, 2.5, 1.0);
}
END_TEST

START_TEST(term_lower)
{
        check_term("lower.yaml", MLS_TERM_LOWER, "F", 90.0, 4.0, 1.0);
}
END_TEST

START_TEST(term_loglike)
{
        check_term("loglike.yaml", MLS_TERM_LOGLIKE, "lnL", 0.0, 0.0, -3.5);
}
END_TEST

START_TEST(term_nll)
{
        check_term("nll.yaml", MLS_TERM_NLL, "lnL", 0.0, 0.0, 2.0);
}
END_TEST

START_TEST(anchors_and_markers)
{
        struct mls_card c;

        parse_good("anchors.yaml", &c);
        ck_assert_int_eq(c.nparams, 3);
        ck_assert_str_eq(c.params[2].name, "c");
        ck_assert_double_eq(c.params[2].hi, 1.0);
        ck_assert_int_eq(c.terms[0].kind, MLS_TERM_NLL);
        fini_zeroes(&c, "anchors.yaml");
}
END_TEST

/* ------------------------------------------------------------------ the API around the data */

static const char small_card[] = "stop: {evaluations: 10}\n"
                                 "parameters: {x: {range: [0, 1]}}\n"
                                 "physics: {builtin: shellnd}\n"
                                 "likelihood: {F: nll}\n"
                                 "target: {nll_below: 0.1}\n";

START_TEST(external_chain)
{
        const char *top = getenv("top_srcdir");
        struct mls_card c;
        const struct mls_physics_card *ph;
        char want[8192];

        parse_good("external.yaml", &c);
        ph = &c.phys;
        ck_assert_int_eq(c.builtin, -1);
        snprintf(want, sizeof(want), "%s/scratch", top && *top ? top : ".");
        if (top && *top)
                ck_assert_str_eq(ph->scratch, want);
        ck_assert_int_eq(ph->keep_scratch, 1);
        ck_assert_double_eq(ph->kill_grace, 0.5);
        ck_assert_int_eq(ph->nfiles, 1);
        ck_assert_msg(ph->files[0][0] == '/' && strstr(ph->files[0], "/good/../templates/good.slha"), "%s",
                      ph->files[0]);
        ck_assert_int_eq(ph->ntemplates, 2);
        ck_assert_int_eq(ph->templates[0].slha, 0);
        ck_assert_str_eq(ph->templates[0].to, "in.dat");
        ck_assert_int_eq(ph->templates[1].slha, 1);
        ck_assert_int_eq(ph->templates[1].nset, 2);
        ck_assert_int_eq(ph->templates[1].set[0].param, 1);
        ck_assert_str_eq(ph->templates[1].set[1].block, "EXTPAR");
        ck_assert_int_eq(ph->templates[1].set[1].nidx, 2);
        ck_assert_int_eq(ph->templates[1].set[1].idx[1], 3);
        ck_assert_int_eq(ph->nprograms, 2);
        ck_assert_str_eq(ph->programs[0].name, "spheno");
        ck_assert_msg(ph->programs[0].argv[0][0] == '/' && strstr(ph->programs[0].argv[0], "/sh"), "%s",
                      ph->programs[0].argv[0]); /* found on PATH */
        ck_assert_int_eq(ph->programs[0].argc, 3);
        ck_assert_str_eq(ph->programs[0].argv[2], "echo {x:.3e}");
        ck_assert_ptr_null(ph->programs[0].argv[3]);
        ck_assert_int_eq(ph->programs[0].nenv, 2);
        ck_assert_str_eq(ph->programs[0].env[0], "OMP_NUM_THREADS=1");
        ck_assert_str_eq(ph->programs[0].env[1], "EMPTY=");
        ck_assert_double_eq(ph->programs[0].timeout, 30);
        ck_assert_str_eq(ph->programs[0].output, "SPheno.spc");
        ck_assert_str_eq(ph->programs[1].name, "true");
        ck_assert_double_eq(ph->programs[1].timeout, 3600); /* the default */
        ck_assert_ptr_null(ph->programs[1].output);
        ck_assert_int_eq(c.nobs, 8);
        ck_assert_int_eq(c.obs[0].kind, MLS_OBS_SLHA);
        ck_assert_str_eq(c.obs[0].file, "SPheno.spc"); /* the first program's output */
        ck_assert(isnan(c.obs[0].q));
        ck_assert_int_eq(c.obs[0].nidx, 1);
        ck_assert_int_eq(c.obs[0].idx[0], 25);
        ck_assert_str_eq(c.obs[1].file, "other.spc");
        ck_assert_double_eq(c.obs[1].q, 1000);
        ck_assert_str_eq(c.obs[1].key, "gauge");
        ck_assert_int_eq(c.obs[3].nidx, 3);
        ck_assert_int_eq(c.obs[3].idx[2], -5);
        ck_assert_int_eq(c.obs[4].kind, MLS_OBS_TABLE);
        ck_assert_str_eq(c.obs[4].key, "csq(tot)");
        ck_assert_int_eq(c.obs[4].row, 0);
        ck_assert_ptr_null(c.obs[5].key);
        ck_assert_int_eq(c.obs[5].idx[0], 2); /* column 3, 0-based */
        ck_assert_int_eq(c.obs[5].row, -1);
        ck_assert_int_eq(c.obs[6].kind, MLS_OBS_TEXT);
        ck_assert_str_eq(c.obs[6].key, "Omega");
        ck_assert_int_eq(c.obs[7].kind, MLS_OBS_EXPR);
        ck_assert_str_eq(c.obs[7].expr, "csq / 2 + x");
        ck_assert_int_eq(c.obs[0].has_valid, 1);
        ck_assert_double_eq(c.obs[0].lo, 120);
        ck_assert_int_eq(c.obs[4].has_valid, 1);
        ck_assert(isinf(c.obs[4].lo) && c.obs[4].lo < 0);
        ck_assert_int_eq(c.obs[1].has_valid, 0);
        ck_assert_int_eq(ph->nkeep, 2);
        ck_assert_str_eq(ph->keep[1], "omega.txt");
        ck_assert_int_eq(c.terms[1].obs_index, 7);
        fini_zeroes(&c, "external.yaml");
}
END_TEST

START_TEST(name_from_path)
{
        static const struct {
                const char *path, *name;
        } cases[] = {
                {"card.yaml", "card"},       {"runs.d/card.v2.yaml", "card.v2"},
                {"/abs/dir/noext", "noext"}, {".hidden", ".hidden"},
                {"dir/", "mlscan"},
        };
        char err[256], out[300];
        struct mls_card c;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ck_assert_int_eq(
                        mls_card_parse(small_card, strlen(small_card), cases[i].path, &c, err, sizeof(err)),
                        MLS_OK);
                ck_assert_str_eq(c.path, cases[i].path);
                ck_assert_str_eq(c.name, cases[i].name);
                snprintf(out, sizeof(out), "%s.h5", cases[i].name);
                ck_assert_str_eq(c.output, out);
                fini_zeroes(&c, cases[i].path);
        }
}
END_TEST

START_TEST(text_is_copied)
{
        char text[sizeof(small_card)], err[256];
        struct mls_card c;

        memcpy(text, small_card, sizeof(text));
        ck_assert_int_eq(mls_card_parse(text, strlen(text), "t.yaml", &c, err, sizeof(err)), MLS_OK);
        memset(text, 'x', sizeof(text) - 1);
        ck_assert_uint_eq(c.text_len, strlen(small_card));
        ck_assert_mem_eq(c.text, small_card, c.text_len);
        ck_assert_int_eq(c.text[c.text_len], '\0');
        fini_zeroes(&c, "t.yaml");
}
END_TEST

START_TEST(short_error_buffer)
{
        /* 16 bytes guarded by a canary: the message is cut, never written past errlen. */
        char err[24];
        struct mls_card c;

        memset(err, '#', sizeof(err));
        ck_assert_int_eq(mls_card_parse("run: 1\n", 7, "short.yaml", &c, err, 16), MLS_ERR_CONFIG);
        ck_assert_str_eq(err, "short.yaml:1:1:");
        for (size_t i = 16; i < sizeof(err); i++)
                ck_assert_int_eq(err[i], '#');
        ck_assert(is_zero(&c));
}
END_TEST

START_TEST(fini_is_null_safe)
{
        struct mls_card c;
        char err[256];

        mls_card_fini(NULL);
        ck_assert_int_eq(mls_card_parse(small_card, strlen(small_card), "t.yaml", &c, err, sizeof(err)),
                         MLS_OK);
        mls_card_fini(&c);
        mls_card_fini(&c);
        ck_assert(is_zero(&c));
}
END_TEST

static Suite *card_suite(void)
{
        Suite *s = suite_create("card");
        TCase *bad = tcase_create("bad"), *good = tcase_create("good"), *api = tcase_create("api");

        tcase_add_test(bad, bad_cards_found);
        tcase_add_loop_test(bad, bad_card, 0, bad_dir.count);
        tcase_add_test(good, good_cards_found);
        tcase_add_loop_test(good, good_card, 0, good_dir.count);
        tcase_add_loop_test(good, example_card, 0, example_dir.count);
        tcase_add_test(good, reference_card);
        tcase_add_test(good, defaults);
        tcase_add_test(good, model_section);
        tcase_add_test(good, search_section);
        tcase_add_test(good, exponent_integers);
        tcase_add_test(good, log_prior);
        tcase_add_test(good, flow_equals_block);
        tcase_add_test(good, term_upper);
        tcase_add_test(good, term_lower);
        tcase_add_test(good, term_loglike);
        tcase_add_test(good, term_nll);
        tcase_add_test(good, anchors_and_markers);
        tcase_add_test(good, external_chain);
        tcase_add_test(api, name_from_path);
        tcase_add_test(api, text_is_copied);
        tcase_add_test(api, short_error_buffer);
        tcase_add_test(api, fini_is_null_safe);
        suite_add_tcase(s, bad);
        suite_add_tcase(s, good);
        suite_add_tcase(s, api);
        return s;
}

int main(void)
{
        SRunner *sr;
        int failed;

        list_cards(&bad_dir, "tests/cases/cards/bad");
        list_cards(&good_dir, "tests/cases/cards/good");
        list_cards(&example_dir, "share/examples");
        sr = srunner_create(card_suite());
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        free_cards(&bad_dir);
        free_cards(&good_dir);
        free_cards(&example_dir);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
