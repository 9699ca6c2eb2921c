/*
 * card.c - the run card: YAML (libyaml's document API) -> struct mls_card.
 * The only file that knows libyaml. Every section is a typed key table; unknown keys,
 * duplicates, wrong types, out-of-range values and missing keys are rejected with
 * "file:line:col: message", where line and column are 1-based.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "mlscan/card.h"
#include "mlscan/expr.h"
#include "mlscan/likelihood.h"
#include "mlscan/method.h"
#include "mlscan/physics.h"
#include "mlscan/template.h"
#include "mlscan/util.h"

enum key_type {
        KEY_STRING,
        KEY_INT,     /* int64_t */
        KEY_SEED,    /* uint64_t */
        KEY_REAL,    /* double */
        KEY_RANGE,   /* double[2], lo < hi */
        KEY_PRIOR,   /* enum mls_prior */
        KEY_METHOD,  /* int: index into the method table */
        KEY_BUILTIN, /* int: index into the built-in model table */
        KEY_WIDTHS,  /* int count, then int[count]: a list of layer widths */
        KEY_ACT,     /* int: enum mls_act */
        KEY_OPTIM,   /* int: enum mls_optim */
        KEY_BOOL,    /* int: 0 or 1, from true/false */
        KEY_AUTO,    /* double in [min, max], or "auto" -> -1 */
        KEY_LEARN,   /* int: enum mls_learn_target */
        KEY_MODE,    /* int: enum mls_mode */
        KEY_NODE,    /* any node, parsed by the section's own code (where[]) */
};

struct key {
        const char *name;
        enum key_type type;
        size_t off;
        double min, max; /* for numbers: the accepted closed range */
        bool required;
};

#define MAX_KEYS   16
#define MAX_PARAMS 1000 /* parameters in a card */
#define MAX_EXPR   4096 /* characters in an expression; libmatheval recurses over its terms */
#define MAX_DEPTH  64   /* flow nesting ([ and {) of the YAML text; libyaml's scanner is quadratic in it */

struct parser {
        const char *path;
        yaml_document_t doc;
        char *err;
        size_t errlen;
};

static mls_rc fail_at(struct parser *p, const yaml_mark_t *mark, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static mls_rc fail_at(struct parser *p, const yaml_mark_t *mark, const char *fmt, ...)
{
        char msg[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        /* Quoted keys and values may hold line breaks; the message must stay one line. */
        for (char *c = msg; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        *c = '?';
        snprintf(p->err, p->errlen, "%s:%zu:%zu: %s", p->path, mark->line + 1, mark->column + 1, msg);
        return MLS_ERR_CONFIG;
}

#define FAIL(p, node, ...) fail_at((p), &(node)->start_mark, __VA_ARGS__)

static yaml_node_t *node_at(struct parser *p, int index)
{
        return yaml_document_get_node(&p->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
        return (const char *)n->data.scalar.value;
}

static bool is_plain_scalar(const yaml_node_t *n)
{
        return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* An empty plain scalar ("key:" with no value) is YAML's null. */
static bool is_null(const yaml_node_t *n)
{
        return is_plain_scalar(n) &&
               (n->data.scalar.length == 0 || strcmp(scalar(n), "~") == 0 || strcmp(scalar(n), "null") == 0);
}

static const char *node_kind(const yaml_node_t *n)
{
        switch (n->type) {
        case YAML_SCALAR_NODE: return is_null(n) ? "nothing" : "a scalar";
        case YAML_SEQUENCE_NODE: return "a list";
        case YAML_MAPPING_NODE: return "a mapping";
        default: return "nothing";
        }
}

/* @noun is "a number" or "an integer", so that the message names what the key takes. */
static mls_rc parse_real(struct parser *p, const yaml_node_t *n, const char *what, const char *noun,
                         double *out)
{
        const char *s;
        char *end;
        double v;

        if (n->type != YAML_SCALAR_NODE || is_null(n))
                return FAIL(p, n, "%s: expected %s, got %s", what, noun, node_kind(n));
        s = scalar(n);
        if (!is_plain_scalar(n))
                return FAIL(p, n, "%s: expected %s, got the quoted string '%s'", what, noun, s);
        errno = 0;
        v = strtod(s, &end);
        if (end == s || *end != '\0')
                return FAIL(p, n, "%s: expected %s, got '%s'", what, noun, s);
        if (!isfinite(v))
                return FAIL(p, n, "%s: '%s' is not a finite number", what, s);
        /* Overflow is caught above as infinity; ERANGE on a finite result is underflow. */
        if (errno == ERANGE)
                return FAIL(p, n, "%s: '%s' is too close to zero to be represented", what, s);
        *out = v;
        return MLS_OK;
}

static mls_rc check_range(struct parser *p, const yaml_node_t *n, const char *what, const struct key *k,
                          double v)
{
        if (v < k->min || v > k->max)
                return FAIL(p, n, "%s: %s is out of range [%g, %g]", what, scalar(n), k->min, k->max);
        return MLS_OK;
}

static mls_rc parse_int(struct parser *p, const yaml_node_t *n, const char *what, const struct key *k,
                        int64_t *out)
{
        double v;
        mls_rc rc;

        /* Integers may be written 200000 or 2e5; both must be whole numbers. */
        if ((rc = parse_real(p, n, what, "an integer", &v)) != MLS_OK)
                return rc;
        if (v != floor(v))
                return FAIL(p, n, "%s: expected an integer, got '%s'", what, scalar(n));
        /* Range first: the conversion is undefined for values an int64_t cannot hold. */
        if ((rc = check_range(p, n, what, k, v)) != MLS_OK)
                return rc;
        *out = (int64_t)v;
        return MLS_OK;
}

/* join_names - "a, b, c" into @buf, cut at @len; @name(@ctx, i) gives the i-th name. */
static void join_names(char *buf, size_t len, int count, const char *(*name)(const void *, int),
                       const void *ctx)
{
        size_t used = 0;

        buf[0] = '\0';
        for (int i = 0; i < count && used < len; i++)
                used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", name(ctx, i));
}

static const char *call_name(const void *fn, int i)
{
        return (*(const char *(*const *)(int))fn)(i);
}

static void list_names(char *buf, size_t len, int count, const char *(*name)(int))
{
        join_names(buf, len, count, call_name, &name);
}

static const char *key_name(const void *keys, int i)
{
        return ((const struct key *)keys)[i].name;
}

static const char *method_name(int i)
{
        return mls_method_get(i)->name;
}

static const char *builtin_name(int i)
{
        return mls_builtin_get(i)->name;
}

static const char *const act_names[] = {"relu", "silu", "tanh"};
static const char *const optim_names[] = {"adam", "adamw"};

static const char *act_name(int i)
{
        return act_names[i];
}

static const char *optim_name(int i)
{
        return optim_names[i];
}

static mls_rc parse_widths(struct parser *p, const yaml_node_t *n, const char *what, const struct key *k,
                           int *out)
{
        yaml_node_item_t *items;
        char sub[300];
        int count;
        mls_rc rc;

        if (n->type != YAML_SEQUENCE_NODE)
                return FAIL(p, n, "%s: expected a list of layer widths such as [100, 100], got %s", what,
                            node_kind(n));
        items = n->data.sequence.items.start;
        count = (int)(n->data.sequence.items.top - items);
        if (count > MLS_CARD_MAX_HIDDEN)
                return FAIL(p, n, "%s: at most %d hidden layers, got %d", what, MLS_CARD_MAX_HIDDEN, count);
        for (int i = 0; i < count; i++) {
                int64_t v;

                snprintf(sub, sizeof(sub), "%s[%d]", what, i);
                if ((rc = parse_int(p, node_at(p, items[i]), sub, k, &v)) != MLS_OK)
                        return rc;
                out[1 + i] = (int)v;
        }
        out[0] = count;
        return MLS_OK;
}

static mls_rc parse_bool(struct parser *p, const yaml_node_t *n, const char *what, int *out)
{
        if (is_plain_scalar(n) && (!strcmp(scalar(n), "true") || !strcmp(scalar(n), "false"))) {
                *out = !strcmp(scalar(n), "true");
                return MLS_OK;
        }
        return FAIL(p, n, "%s: expected true or false, got %s", what,
                    n->type == YAML_SCALAR_NODE ? scalar(n) : node_kind(n));
}

static const char *const learn_names[] = {"likelihood", "observables"};

static const char *learn_name(int i)
{
        return learn_names[i];
}

static const char *const mode_names[] = {"async", "sync"};

static const char *mode_name(int i)
{
        return mode_names[i];
}

static const char *const prior_names[] = {"linear", "log"};

static const char *prior_name(int i)
{
        return prior_names[i];
}

static mls_rc parse_enum(struct parser *p, const yaml_node_t *n, const char *what, int count,
                         const char *(*name)(int), const char *noun, int *out)
{
        char names[512];

        if (n->type != YAML_SCALAR_NODE)
                return FAIL(p, n, "%s: expected a name, got %s", what, node_kind(n));
        for (int i = 0; i < count; i++) {
                if (strcmp(scalar(n), name(i)) == 0) {
                        *out = i;
                        return MLS_OK;
                }
        }
        list_names(names, sizeof(names), count, name);
        return FAIL(p, n, "%s: unknown %s '%s' (expected one of: %s)", what, noun, scalar(n), names);
}

static mls_rc parse_range(struct parser *p, const yaml_node_t *n, const char *what, double *out)
{
        yaml_node_item_t *items;
        char sub[300];
        int count;
        mls_rc rc;

        if (n->type != YAML_SEQUENCE_NODE)
                return FAIL(p, n, "%s: expected a list [low, high], got %s", what, node_kind(n));
        items = n->data.sequence.items.start;
        count = (int)(n->data.sequence.items.top - items);
        if (count != 2)
                return FAIL(p, n, "%s: expected a list of two numbers [low, high], got %d item%s", what,
                            count, count == 1 ? "" : "s");
        for (int i = 0; i < 2; i++) {
                snprintf(sub, sizeof(sub), "%s[%d]", what, i);
                if ((rc = parse_real(p, node_at(p, items[i]), sub, "a number", &out[i])) != MLS_OK)
                        return rc;
        }
        /* Quote the card's own text: %g would print 1.0000001 and 1.0000002 both as 1. */
        if (!(out[0] < out[1]))
                return FAIL(p, n, "%s: the low end %s must be below the high end %s", what,
                            scalar(node_at(p, items[0])), scalar(node_at(p, items[1])));
        return MLS_OK;
}

static mls_rc parse_value(struct parser *p, const yaml_node_t *n, const char *what, const struct key *k,
                          char *base)
{
        void *field = base + k->off;
        int64_t i64 = 0;
        double v = 0.0;
        mls_rc rc = MLS_OK;

        switch (k->type) {
        case KEY_STRING:
                if (n->type != YAML_SCALAR_NODE || is_null(n))
                        return FAIL(p, n, "%s: expected a string, got %s", what, node_kind(n));
                /* An empty name or output would make the output file ".h5" or "". */
                if (n->data.scalar.length == 0)
                        return FAIL(p, n, "%s: expected a string, got an empty one", what);
                mls_free((char **)field);
                *(char **)field = mls_strdup(scalar(n));
                return MLS_OK;
        case KEY_INT:
        case KEY_SEED:
                rc = parse_int(p, n, what, k, &i64);
                if (rc == MLS_OK && k->type == KEY_INT)
                        *(int64_t *)field = i64;
                else if (rc == MLS_OK)
                        *(uint64_t *)field = (uint64_t)i64;
                return rc;
        case KEY_REAL:
                if ((rc = parse_real(p, n, what, "a number", &v)) == MLS_OK)
                        rc = check_range(p, n, what, k, v);
                if (rc == MLS_OK)
                        *(double *)field = v;
                return rc;
        case KEY_RANGE: return parse_range(p, n, what, (double *)field);
        case KEY_PRIOR: return parse_enum(p, n, what, 2, prior_name, "prior", (int *)field);
        case KEY_METHOD:
                return parse_enum(p, n, what, mls_method_count(), method_name, "method", (int *)field);
        case KEY_BUILTIN:
                return parse_enum(p, n, what, mls_builtin_count(), builtin_name, "built-in model",
                                  (int *)field);
        case KEY_WIDTHS: return parse_widths(p, n, what, k, (int *)field);
        case KEY_ACT: return parse_enum(p, n, what, 3, act_name, "activation", (int *)field);
        case KEY_OPTIM: return parse_enum(p, n, what, 2, optim_name, "optimizer", (int *)field);
        case KEY_BOOL: return parse_bool(p, n, what, (int *)field);
        case KEY_AUTO:
                if (is_plain_scalar(n) && strcmp(scalar(n), "auto") == 0) {
                        *(double *)field = -1.0;
                        return MLS_OK;
                }
                if (n->type == YAML_SCALAR_NODE && is_plain_scalar(n) && !is_null(n)) {
                        char *end;

                        strtod(scalar(n), &end);
                        if (end == scalar(n) || *end)
                                return FAIL(p, n, "%s: expected a number or auto, got '%s'", what, scalar(n));
                }
                if ((rc = parse_real(p, n, what, "a number or auto", &v)) == MLS_OK)
                        rc = check_range(p, n, what, k, v);
                if (rc == MLS_OK)
                        *(double *)field = v;
                return rc;
        case KEY_LEARN: return parse_enum(p, n, what, 2, learn_name, "learning target", (int *)field);
        case KEY_MODE: return parse_enum(p, n, what, 2, mode_name, "mode", (int *)field);
        case KEY_NODE: return MLS_OK;
        }
        return MLS_ERR_INTERNAL;
}

/*
 * parse_mapping - parse the mapping @n of section @sect with the key table @keys into @base.
 * @where[i] receives the value node of keys[i] (NULL when absent), for later cross-checks.
 */
static mls_rc parse_mapping(struct parser *p, const yaml_node_t *n, const char *sect, const struct key *keys,
                            int nkeys, void *base, const yaml_node_t **where)
{
        char what[256], names[512];
        size_t keyline[MAX_KEYS];

        join_names(names, sizeof(names), nkeys, key_name, keys);
        for (int i = 0; i < nkeys; i++)
                where[i] = NULL;
        if (n->type != YAML_MAPPING_NODE)
                return FAIL(p, n, "%s: expected a mapping of keys (%s), got %s", sect, names, node_kind(n));
        for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
                yaml_node_t *kn = node_at(p, pair->key), *vn = node_at(p, pair->value);
                int i;
                mls_rc rc;

                if (kn->type != YAML_SCALAR_NODE)
                        return FAIL(p, kn, "%s: a key must be a plain name, got %s", sect, node_kind(kn));
                for (i = 0; i < nkeys; i++)
                        if (strcmp(scalar(kn), keys[i].name) == 0)
                                break;
                if (i == nkeys)
                        return FAIL(p, kn, "%s: unknown key '%s' (expected one of: %s)", sect, scalar(kn),
                                    names);
                if (where[i])
                        return FAIL(p, kn, "%s: duplicate key '%s' (first given at line %zu)", sect,
                                    scalar(kn), keyline[i]);
                where[i] = vn;
                keyline[i] = kn->start_mark.line + 1;
                snprintf(what, sizeof(what), "%s.%s", sect, keys[i].name);
                if ((rc = parse_value(p, vn, what, &keys[i], base)) != MLS_OK)
                        return rc;
        }
        for (int i = 0; i < nkeys; i++)
                if (keys[i].required && !where[i])
                        return FAIL(p, n, "%s: missing required key '%s'", sect, keys[i].name);
        return MLS_OK;
}

/* ------------------------------------------------------------------ sections */

#define CARD_KEY(name, type, field, min, max, req)                                                           \
        {                                                                                                    \
                name, type, offsetof(struct mls_card, field), min, max, req                                  \
        }

static const struct key run_keys[] = {
        CARD_KEY("name", KEY_STRING, name, 0, 0, false),
        CARD_KEY("output", KEY_STRING, output, 0, 0, false),
        CARD_KEY("seed", KEY_SEED, seed, 0, 9.0e15, false),
        CARD_KEY("method", KEY_METHOD, method, 0, 0, false),
        CARD_KEY("mode", KEY_MODE, mode, 0, 0, false),
        CARD_KEY("checkpoint_seconds", KEY_REAL, checkpoint_seconds, 0.01, 1.0e7, false),
        CARD_KEY("checkpoint_generations", KEY_INT, checkpoint_generations, 0, 1.0e9, false),
        CARD_KEY("checkpoint_max_share", KEY_REAL, checkpoint_max_share, 0, 0.5, false),
        CARD_KEY("start_from", KEY_STRING, start_from, 0, 0, false),
};

static const struct key stop_keys[] = {
        CARD_KEY("evaluations", KEY_INT, max_evaluations, 1, 9.0e15, false),
        CARD_KEY("good_points", KEY_INT, max_good, 1, 9.0e15, false),
        CARD_KEY("generations", KEY_INT, max_generations, 1, 1.0e9, false),
        CARD_KEY("walltime", KEY_REAL, walltime, 1.0, 1.0e9, false),
};

enum {
        PK_BUILTIN,
        PK_PROGRAMS,
        PK_TEMPLATES,
        PK_FILES,
        PK_SCRATCH,
        PK_KEEP_SCRATCH,
        PK_KILL_GRACE,
        PK_SLHA,
        PK_OBSERVABLES,
        PK_VALID,
        PK_KEEP,
};
static const struct key physics_keys[] = {
        [PK_BUILTIN] = CARD_KEY("builtin", KEY_BUILTIN, builtin, 0, 0, false),
        [PK_PROGRAMS] = CARD_KEY("programs", KEY_NODE, builtin, 0, 0, false),
        [PK_TEMPLATES] = CARD_KEY("templates", KEY_NODE, builtin, 0, 0, false),
        [PK_FILES] = CARD_KEY("files", KEY_NODE, builtin, 0, 0, false),
        [PK_SCRATCH] = CARD_KEY("scratch", KEY_STRING, phys.scratch, 0, 0, false),
        [PK_KEEP_SCRATCH] = CARD_KEY("keep_scratch", KEY_BOOL, phys.keep_scratch, 0, 0, false),
        [PK_KILL_GRACE] = CARD_KEY("kill_grace", KEY_REAL, phys.kill_grace, 0.0, 3600.0, false),
        [PK_SLHA] = CARD_KEY("slha", KEY_STRING, phys.slha, 0, 0, false),
        [PK_OBSERVABLES] = CARD_KEY("observables", KEY_NODE, builtin, 0, 0, false),
        [PK_VALID] = CARD_KEY("valid", KEY_NODE, builtin, 0, 0, false),
        [PK_KEEP] = CARD_KEY("keep", KEY_NODE, builtin, 0, 0, false),
};

static const struct key model_keys[] = {
        CARD_KEY("hidden", KEY_WIDTHS, model.nhidden, 1, 65536, false),
        CARD_KEY("activation", KEY_ACT, model.activation, 0, 0, false),
        CARD_KEY("optimizer", KEY_OPTIM, model.optimizer, 0, 0, false),
        CARD_KEY("learning_rate", KEY_REAL, model.learning_rate, 1e-12, 10.0, false),
        CARD_KEY("lr_decay", KEY_REAL, model.lr_decay, 0.5, 1.0, false),
        CARD_KEY("weight_decay", KEY_REAL, model.weight_decay, 0.0, 1.0, false),
        CARD_KEY("epochs", KEY_INT, model.epochs, 1, 1e6, false),
        CARD_KEY("batch", KEY_INT, model.batch, 1, 1e6, false),
        CARD_KEY("val_fraction", KEY_REAL, model.val_fraction, 0.0, 0.9, false),
        CARD_KEY("patience", KEY_INT, model.patience, 0, 1e6, false),
        CARD_KEY("min_delta", KEY_REAL, model.min_delta, 0.0, 1e300, false),
        CARD_KEY("threads", KEY_INT, model.threads, 1, 1024, false),
        CARD_KEY("warm_start", KEY_BOOL, model.warm_start, 0, 0, false),
};

static const struct key search_keys[] = {
        CARD_KEY("initial_points", KEY_INT, search.initial_points, 0, 1e9, false),
        CARD_KEY("points_per_generation", KEY_INT, search.points_per_generation, 1, 1e9, false),
        CARD_KEY("growth", KEY_REAL, search.growth, 0.0, 10.0, false),
        CARD_KEY("candidates", KEY_INT, search.candidates, 1, 1e8, false),
        CARD_KEY("random_fraction", KEY_AUTO, search.random_fraction, 0.0, 1.0, false),
        CARD_KEY("local_fraction", KEY_REAL, search.local_fraction, 0.0, 1.0, false),
        CARD_KEY("local_scale", KEY_REAL, search.local_scale, 1e-9, 1.0, false),
        CARD_KEY("overlap", KEY_BOOL, search.overlap, 0, 0, false),
        CARD_KEY("select_below", KEY_REAL, search.select_below, -1.0e300, 1.0e300, false),
        CARD_KEY("smote_k", KEY_INT, search.smote_k, 1, 1000, false),
        CARD_KEY("smote_below", KEY_INT, search.smote_below, 0, 1e15, false),
        CARD_KEY("smote_fraction", KEY_REAL, search.smote_fraction, 0.0, 1.0, false),
        CARD_KEY("learn", KEY_LEARN, search.learn, 0, 0, false),
        CARD_KEY("density_power", KEY_REAL, search.density_power, 0.0, 100.0, false),
        CARD_KEY("validity_classifier", KEY_BOOL, search.validity_classifier, 0, 0, false),
};

static const struct key target_keys[] = {
        CARD_KEY("nll_below", KEY_REAL, nll_below, -1.0e300, 1.0e300, true),
};

#define PARAM_KEY(name, type, field, req)                                                                    \
        {                                                                                                    \
                name, type, offsetof(struct mls_param, field), 0, 0, req                                     \
        }

static const struct key param_keys[] = {
        PARAM_KEY("range", KEY_RANGE, lo, true),
        PARAM_KEY("prior", KEY_PRIOR, prior, false),
};

#define TERM_KEY(name, field, min, max)                                                                      \
        {                                                                                                    \
                name, KEY_REAL, offsetof(struct mls_term, field), min, max, true                             \
        }

static const struct key gauss_keys[] = {
        TERM_KEY("mean", mean, -1.0e300, 1.0e300),
        TERM_KEY("sigma", sigma, 1.0e-300, 1.0e300),
};

static const struct key limit_keys[] = {
        TERM_KEY("limit", mean, -1.0e300, 1.0e300),
        TERM_KEY("sigma", sigma, 1.0e-300, 1.0e300),
};

struct term_kind {
        const char *name;
        enum mls_term_kind kind;
        const struct key *keys;
        int nkeys;
};

static const struct term_kind term_kinds[] = {
        {"gauss", MLS_TERM_GAUSS, gauss_keys, 2}, {"upper", MLS_TERM_UPPER, limit_keys, 2},
        {"lower", MLS_TERM_LOWER, limit_keys, 2}, {"loglike", MLS_TERM_LOGLIKE, NULL, 0},
        {"nll", MLS_TERM_NLL, NULL, 0},
};
#define NTERM_KINDS ((int)(sizeof(term_kinds) / sizeof(term_kinds[0])))

static const char *term_kind_name(int i)
{
        return term_kinds[i].name;
}

#define NKEYS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static bool is_identifier(const char *s)
{
        if (!(isalpha((unsigned char)*s) || *s == '_'))
                return false;
        for (s++; *s; s++)
                if (!(isalnum((unsigned char)*s) || *s == '_'))
                        return false;
        return true;
}

/* The earlier key of mapping @n equal to the scalar key of @pair, or NULL. */
static const yaml_node_t *earlier_key(struct parser *p, const yaml_node_t *n, const yaml_node_pair_t *pair)
{
        const char *name = scalar(node_at(p, pair->key));

        for (const yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pair; q++) {
                const yaml_node_t *kn = node_at(p, q->key);

                if (kn->type == YAML_SCALAR_NODE && strcmp(scalar(kn), name) == 0)
                        return kn;
        }
        return NULL;
}

static mls_rc parse_parameters(struct parser *p, const yaml_node_t *n, struct mls_card *c)
{
        const yaml_node_t *where[MAX_KEYS];
        char sect[320];
        mls_rc rc;

        if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.top == n->data.mapping.pairs.start)
                return FAIL(
                        p, n,
                        "parameters: expected a mapping of parameter names to {range: [low, high]}, got %s",
                        n->type == YAML_MAPPING_NODE ? "an empty mapping" : node_kind(n));
        /* the duplicate check below is quadratic; no model has this many parameters */
        if (n->data.mapping.pairs.top - n->data.mapping.pairs.start > MAX_PARAMS)
                return FAIL(p, n, "parameters: at most %d parameters, got %lld", MAX_PARAMS,
                            (long long)(n->data.mapping.pairs.top - n->data.mapping.pairs.start));
        c->params = mls_calloc((size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start),
                               sizeof(*c->params));
        for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
                yaml_node_t *kn = node_at(p, pair->key), *vn = node_at(p, pair->value);
                struct mls_param *par = &c->params[c->nparams];
                const yaml_node_t *first;

                if (kn->type != YAML_SCALAR_NODE || !is_identifier(scalar(kn)))
                        return FAIL(
                                p, kn,
                                "parameters: a parameter name must start with a letter or '_' and hold only letters, digits and '_', got %s%s%s",
                                kn->type == YAML_SCALAR_NODE ? "'" : "",
                                kn->type == YAML_SCALAR_NODE ? scalar(kn) : node_kind(kn),
                                kn->type == YAML_SCALAR_NODE ? "'" : "");
                if ((first = earlier_key(p, n, pair)))
                        return FAIL(p, kn, "parameters: duplicate parameter '%s' (first given at line %zu)",
                                    scalar(kn), first->start_mark.line + 1);
                par->name = mls_strdup(scalar(kn));
                par->prior = MLS_PRIOR_LINEAR;
                c->nparams++;
                snprintf(sect, sizeof(sect), "parameters.%s", par->name);
                if ((rc = parse_mapping(p, vn, sect, param_keys, NKEYS(param_keys), par, where)) != MLS_OK)
                        return rc;
                if (par->prior == MLS_PRIOR_LOG && par->lo <= 0.0)
                        return FAIL(p, where[1],
                                    "%s.prior: a log prior needs a positive range, got low end %g", sect,
                                    par->lo);
        }
        return MLS_OK;
}

/* ------------------------------------------------------------------ physics: external programs */

static const char *obs_name_at(const void *obs, int i)
{
        return ((const struct mls_obs *)obs)[i].name;
}

static int item_count(const yaml_node_t *n)
{
        return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *item_at(struct parser *p, const yaml_node_t *n, int i)
{
        return node_at(p, n->data.sequence.items.start[i]);
}

static mls_rc parse_nonempty_string(struct parser *p, const yaml_node_t *n, const char *what,
                                    const char **out)
{
        if (n->type != YAML_SCALAR_NODE || is_null(n) || n->data.scalar.length == 0)
                return FAIL(p, n, "%s: expected a non-empty string, got %s", what,
                            n->type == YAML_SCALAR_NODE && !is_null(n) ? "an empty one" : node_kind(n));
        if (strlen(scalar(n)) != n->data.scalar.length)
                return FAIL(p, n, "%s: the string holds a NUL byte", what);
        *out = scalar(n);
        return MLS_OK;
}

/* A file name inside the scratch directory: relative, no "..", no empty parts. */
static mls_rc check_scratch_name(struct parser *p, const yaml_node_t *n, const char *what, const char *s,
                                 bool plain)
{
        if (s[0] == '/')
                return FAIL(p, n,
                            "%s: '%s' must be a file name in the scratch directory, not an absolute path",
                            what, s);
        if (plain && strchr(s, '/'))
                return FAIL(p, n, "%s: '%s' must be a plain file name (no '/')", what, s);
        if (!strcmp(s, ".") || (strlen(s) >= 2 && !strcmp(s + strlen(s) - 2, "/.")) ||
            s[strlen(s) - 1] == '/')
                return FAIL(p, n, "%s: '%s' names a directory, not a file", what, s);
        for (const char *c = s; *c; c++)
                if (c[0] == '.' && c[1] == '.' && (c == s || c[-1] == '/') && (c[2] == '/' || !c[2]))
                        return FAIL(p, n, "%s: '%s' must stay inside the scratch directory (no '..')", what,
                                    s);
        return MLS_OK;
}

/*
 * expand_path - @raw with $NAME and ${NAME} replaced from the environment, made absolute
 * relative to the run card's directory when it holds a '/' (or @always_relative).
 * Owned by caller; NULL after FAIL.
 */
static mls_rc expand_path(struct parser *p, const yaml_node_t *n, const char *what, const char *raw,
                          bool always_relative, char **out)
{
        size_t cap = strlen(raw) + 256, len = 0;
        char *buf = mls_calloc(cap, 1), *res;

        *out = NULL;
        for (const char *c = raw; *c;) {
                const char *val = NULL;
                char name[128];
                size_t nl = 0, vl;

                if (c[0] == '$' && (c[1] == '{' || isalpha((unsigned char)c[1]) || c[1] == '_')) {
                        const char *b = c + 1 + (c[1] == '{');

                        while ((isalnum((unsigned char)b[nl]) || b[nl] == '_') && nl + 1 < sizeof(name))
                                nl++;
                        memcpy(name, b, nl);
                        name[nl] = '\0';
                        if (c[1] == '{' && b[nl] != '}') {
                                free(buf);
                                return FAIL(p, n, "%s: unclosed '${' in '%s'", what, raw);
                        }
                        if (!(val = getenv(name))) {
                                free(buf);
                                return FAIL(p, n, "%s: environment variable '%s' is not set (in '%s')", what,
                                            name, raw);
                        }
                        c = b + nl + (c[1] == '{');
                        vl = strlen(val);
                        if (len + vl + 1 > cap) {
                                cap = 2 * (len + vl + 1);
                                buf = mls_realloc(buf, cap, 1);
                        }
                        memcpy(buf + len, val, vl);
                        len += vl;
                } else {
                        if (len + 2 > cap) {
                                cap *= 2;
                                buf = mls_realloc(buf, cap, 1);
                        }
                        buf[len++] = *c++;
                }
        }
        buf[len] = '\0';
        if (buf[0] != '/' && (always_relative || strchr(buf, '/'))) {
                /* Programs run in the scratch directory: the path must be absolute. */
                const char *slash = strrchr(p->path, '/');
                size_t dl = slash ? (size_t)(slash - p->path) : 0;
                char cwd[4096] = "";

                if ((!slash || p->path[0] != '/') && !getcwd(cwd, sizeof(cwd))) {
                        free(buf);
                        return FAIL(p, n, "%s: cannot resolve '%s': the working directory is unknown", what,
                                    raw);
                }
                res = mls_calloc(strlen(cwd) + dl + len + 3, 1);
                strcpy(res, cwd);
                if (slash) {
                        if (cwd[0])
                                strcat(res, "/");
                        strncat(res, p->path, dl);
                }
                strcat(res, "/");
                strcat(res, buf);
                free(buf);
                buf = res;
        }
        *out = buf;
        return MLS_OK;
}

/* find_program - @name resolved: a path (relative to the card) or a command on PATH. */
static mls_rc find_program(struct parser *p, const yaml_node_t *n, const char *what, char **path)
{
        struct stat st;
        const char *env;
        char *raw = *path;

        errno = 0;
        if (strchr(raw, '/')) {
                if (stat(raw, &st) != 0 || !S_ISREG(st.st_mode) || access(raw, X_OK) != 0)
                        return FAIL(p, n, "%s: '%s' is not an executable file%s%s", what, raw,
                                    errno ? ": " : "", errno ? strerror(errno) : "");
                return MLS_OK;
        }
        env = getenv("PATH");
        for (const char *d = env ? env : "/usr/bin:/bin"; *d;) {
                const char *e = strchr(d, ':');
                size_t dl = e ? (size_t)(e - d) : strlen(d);
                char *cand = mls_calloc(dl + strlen(raw) + 3, 1);

                if (dl == 0)
                        strcpy(cand, ".");
                else
                        memcpy(cand, d, dl);
                strcat(cand, "/");
                strcat(cand, raw);
                if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
                        free(*path);
                        *path = cand;
                        return MLS_OK;
                }
                free(cand);
                d += dl + (e != NULL);
        }
        return FAIL(p, n,
                    "%s: program '%s' not found on PATH (give a path, relative to the run card or absolute)",
                    what, raw);
}

static const char *param_name_at(const void *params, int i)
{
        return ((const struct mls_param *)params)[i].name;
}

/* Placeholders in an argument are checked as a one-line template. */
static mls_rc check_placeholders(struct parser *p, const yaml_node_t *n, const char *what, const char *s,
                                 const struct mls_card *c)
{
        const char **names = mls_calloc((size_t)c->nparams, sizeof(char *));
        char err[512];
        mls_tmpl *t;

        for (int i = 0; i < c->nparams; i++)
                names[i] = c->params[i].name;
        t = mls_tmpl_text(s, strlen(s), names, c->nparams, "", err, sizeof(err));
        free(names);
        /* the message is ":1:col: reason": the argument is named instead */
        if (!t)
                return FAIL(p, n, "%s: %s", what, strstr(err, ": ") ? strstr(err, ": ") + 2 : err);
        mls_tmpl_destroy(&t);
        return MLS_OK;
}

static mls_rc parse_program(struct parser *p, const yaml_node_t *n, int i, struct mls_card *c)
{
        struct mls_program *pg = &c->phys.programs[i];
        char sect[64], what[96];
        const yaml_node_t *run = NULL, *env = NULL, *name = NULL, *timeout = NULL, *output = NULL;
        const char *s;
        mls_rc rc;

        snprintf(sect, sizeof(sect), "physics.programs[%d]", i);
        pg->timeout = 3600.0;
        if (n->type != YAML_MAPPING_NODE)
                return FAIL(
                        p, n,
                        "%s: expected a mapping such as {name: spheno, run: [SPheno, LesHouches.in]}, got %s",
                        sect, node_kind(n));
        for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
                yaml_node_t *kn = node_at(p, pair->key), *vn = node_at(p, pair->value);
                const yaml_node_t **slot = NULL;

                if (kn->type == YAML_SCALAR_NODE) {
                        if (!strcmp(scalar(kn), "run"))
                                slot = &run;
                        else if (!strcmp(scalar(kn), "env"))
                                slot = &env;
                        else if (!strcmp(scalar(kn), "name"))
                                slot = &name;
                        else if (!strcmp(scalar(kn), "timeout"))
                                slot = &timeout;
                        else if (!strcmp(scalar(kn), "output"))
                                slot = &output;
                }
                if (!slot)
                        return FAIL(p, kn,
                                    "%s: unknown key '%s' (expected one of: name, run, env, timeout, output)",
                                    sect, kn->type == YAML_SCALAR_NODE ? scalar(kn) : node_kind(kn));
                if (*slot)
                        return FAIL(p, kn, "%s: duplicate key '%s'", sect, scalar(kn));
                *slot = vn;
        }
        if (!run)
                return FAIL(p, n, "%s: missing required key 'run' (the program and its arguments)", sect);
        snprintf(what, sizeof(what), "%s.run", sect);
        if (run->type == YAML_SCALAR_NODE && !is_null(run))
                return FAIL(
                        p, run,
                        "%s: expected a list [program, arg, ...] (no shell: each argument is one item), got '%s'",
                        what, scalar(run));
        if (run->type != YAML_SEQUENCE_NODE || item_count(run) == 0)
                return FAIL(p, run, "%s: expected a list [program, arg, ...], got %s", what,
                            run->type == YAML_SEQUENCE_NODE ? "an empty list" : node_kind(run));
        pg->argv = mls_calloc((size_t)item_count(run) + 1, sizeof(char *));
        for (int a = 0; a < item_count(run); a++) {
                yaml_node_t *an = item_at(p, run, a);

                snprintf(what, sizeof(what), "%s.run[%d]", sect, a);
                if ((rc = parse_nonempty_string(p, an, what, &s)) != MLS_OK)
                        return rc;
                if (a == 0) {
                        if ((rc = expand_path(p, an, what, s, false, &pg->argv[0])) != MLS_OK)
                                return rc;
                        pg->argc = 1;
                        if ((rc = find_program(p, an, what, &pg->argv[0])) != MLS_OK)
                                return rc;
                } else {
                        if ((rc = check_placeholders(p, an, what, s, c)) != MLS_OK)
                                return rc;
                        pg->argv[pg->argc++] = mls_strdup(s);
                }
        }
        if (name) {
                snprintf(what, sizeof(what), "%s.name", sect);
                if ((rc = parse_nonempty_string(p, name, what, &s)) != MLS_OK)
                        return rc;
                if (!is_identifier(s) && !strchr(s, '-'))
                        return FAIL(p, name, "%s: '%s' must be a name of letters, digits, '_' or '-'", what,
                                    s);
                pg->name = mls_strdup(s);
        } else {
                const char *base = strrchr(pg->argv[0], '/');

                pg->name = mls_strdup(base ? base + 1 : pg->argv[0]);
        }
        for (int j = 0; j < i; j++)
                if (!strcmp(c->phys.programs[j].name, pg->name))
                        return FAIL(p, name ? name : run,
                                    "%s: a program named '%s' is already in the chain; give it another name",
                                    sect, pg->name);
        if (timeout) {
                static const struct key tk = {"timeout", KEY_REAL, 0, 0.001, 1.0e7, false};

                snprintf(what, sizeof(what), "%s.timeout", sect);
                if ((rc = parse_real(p, timeout, what, "a number of seconds", &pg->timeout)) != MLS_OK ||
                    (rc = check_range(p, timeout, what, &tk, pg->timeout)) != MLS_OK)
                        return rc;
        }
        if (output) {
                snprintf(what, sizeof(what), "%s.output", sect);
                if ((rc = parse_nonempty_string(p, output, what, &s)) != MLS_OK ||
                    (rc = check_scratch_name(p, output, what, s, false)) != MLS_OK)
                        return rc;
                pg->output = mls_strdup(s);
        }
        if (env) {
                snprintf(what, sizeof(what), "%s.env", sect);
                if (env->type != YAML_MAPPING_NODE)
                        return FAIL(p, env, "%s: expected a mapping of variable names to values, got %s",
                                    what, node_kind(env));
                pg->env =
                        mls_calloc((size_t)(env->data.mapping.pairs.top - env->data.mapping.pairs.start) + 1,
                                   sizeof(char *));
                for (yaml_node_pair_t *pair = env->data.mapping.pairs.start;
                     pair < env->data.mapping.pairs.top; pair++) {
                        yaml_node_t *kn = node_at(p, pair->key), *vn = node_at(p, pair->value);
                        const char *v = "";
                        size_t len;

                        if (kn->type != YAML_SCALAR_NODE || !is_identifier(scalar(kn)))
                                return FAIL(p, kn, "%s: a variable name holds letters, digits and '_'", what);
                        if (earlier_key(p, env, pair))
                                return FAIL(p, kn, "%s: duplicate variable '%s'", what, scalar(kn));
                        if (vn->type != YAML_SCALAR_NODE)
                                return FAIL(p, vn, "%s.%s: expected a string, got %s", what, scalar(kn),
                                            node_kind(vn));
                        if (!is_null(vn))
                                v = scalar(vn);
                        len = strlen(scalar(kn)) + strlen(v) + 2;
                        pg->env[pg->nenv] = mls_calloc(len, 1);
                        snprintf(pg->env[pg->nenv++], len, "%s=%s", scalar(kn), v);
                }
        }
        return MLS_OK;
}

/* set: {param: [BLOCK, i, ...]} of an SLHA template */
static mls_rc parse_slha_set(struct parser *p, const yaml_node_t *n, const char *sect, struct mls_template *t,
                             const struct mls_card *c)
{
        char what[128];

        if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.top == n->data.mapping.pairs.start)
                return FAIL(
                        p, n,
                        "%s.set: expected a mapping of parameters to SLHA entries, such as {tanb: [MINPAR, 3]}",
                        sect);
        t->set = mls_calloc((size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start),
                            sizeof(*t->set));
        for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
                yaml_node_t *kn = node_at(p, pair->key), *vn = node_at(p, pair->value);
                struct mls_slha_set *st = &t->set[t->nset];
                const char *bn;
                mls_rc rc;

                st->param = -1;
                if (kn->type == YAML_SCALAR_NODE)
                        for (int i = 0; i < c->nparams; i++)
                                if (!strcmp(c->params[i].name, scalar(kn)))
                                        st->param = i;
                if (st->param < 0) {
                        char names[512];

                        join_names(names, sizeof(names), c->nparams, param_name_at, c->params);
                        return FAIL(p, kn, "%s.set: unknown parameter '%s' (parameters: %s)", sect,
                                    kn->type == YAML_SCALAR_NODE ? scalar(kn) : node_kind(kn), names);
                }
                snprintf(what, sizeof(what), "%s.set.%s", sect, scalar(kn));
                if (vn->type != YAML_SEQUENCE_NODE || item_count(vn) < 2 ||
                    item_count(vn) > MLS_CARD_MAX_INDICES + 1)
                        return FAIL(
                                p, vn,
                                "%s: expected [BLOCK, index, ...] with 1 to %d indices, such as [MINPAR, 3]",
                                what, MLS_CARD_MAX_INDICES);
                if ((rc = parse_nonempty_string(p, item_at(p, vn, 0), what, &bn)) != MLS_OK)
                        return rc;
                if (!is_identifier(bn))
                        return FAIL(p, item_at(p, vn, 0), "%s: '%s' is not an SLHA block name", what, bn);
                st->block = mls_strdup(bn);
                t->nset++;
                for (int i = 1; i < item_count(vn); i++) {
                        static const struct key ik = {"index",       KEY_INT,      0,
                                                      -2147483647.0, 2147483647.0, false};
                        int64_t v;

                        if ((rc = parse_int(p, item_at(p, vn, i), what, &ik, &v)) != MLS_OK)
                                return rc;
                        st->idx[st->nidx++] = (int)v;
                }
                for (int j = 0; j < t->nset - 1; j++)
                        if (!strcasecmp(t->set[j].block, st->block) && t->set[j].nidx == st->nidx &&
                            !memcmp(t->set[j].idx, st->idx, sizeof(int) * (size_t)st->nidx))
                                return FAIL(p, vn, "%s: the entry is already set by parameter '%s'", what,
                                            c->params[t->set[j].param].name);
        }
        return MLS_OK;
}

static mls_rc parse_template(struct parser *p, const yaml_node_t *n, int i, struct mls_card *c)
{
        struct mls_template *t = &c->phys.templates[i];
        const yaml_node_t *from = NULL, *slha = NULL, *to = NULL, *set = NULL, *src;
        char sect[64], what[96], err[1024];
        const char *s;
        mls_tmpl *tm;
        mls_rc rc;

        snprintf(sect, sizeof(sect), "physics.templates[%d]", i);
        if (n->type != YAML_MAPPING_NODE)
                return FAIL(
                        p, n,
                        "%s: expected {from: file, to: name} or {slha: file, to: name, set: {...}}, got %s",
                        sect, node_kind(n));
        for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
                yaml_node_t *kn = node_at(p, pair->key), *vn = node_at(p, pair->value);
                const yaml_node_t **slot = NULL;

                if (kn->type == YAML_SCALAR_NODE) {
                        if (!strcmp(scalar(kn), "from"))
                                slot = &from;
                        else if (!strcmp(scalar(kn), "slha"))
                                slot = &slha;
                        else if (!strcmp(scalar(kn), "to"))
                                slot = &to;
                        else if (!strcmp(scalar(kn), "set"))
                                slot = &set;
                }
                if (!slot)
                        return FAIL(p, kn, "%s: unknown key '%s' (expected one of: from, slha, to, set)",
                                    sect, kn->type == YAML_SCALAR_NODE ? scalar(kn) : node_kind(kn));
                if (*slot)
                        return FAIL(p, kn, "%s: duplicate key '%s'", sect, scalar(kn));
                *slot = vn;
        }
        if (!!from == !!slha)
                return FAIL(
                        p, n,
                        "%s: give either from (a text template with {name} placeholders) or slha (an SLHA file and set)",
                        sect);
        if (slha && !set)
                return FAIL(p, n, "%s: an slha template needs set: {parameter: [BLOCK, index], ...}", sect);
        if (from && set)
                return FAIL(
                        p, set,
                        "%s.set: only an slha template takes set (a text template uses {name} placeholders)",
                        sect);
        if (!to)
                return FAIL(p, n, "%s: missing required key 'to' (the file name in the scratch directory)",
                            sect);
        src = from ? from : slha;
        snprintf(what, sizeof(what), "%s.%s", sect, from ? "from" : "slha");
        if ((rc = parse_nonempty_string(p, src, what, &s)) != MLS_OK ||
            (rc = expand_path(p, src, what, s, true, &t->from)) != MLS_OK)
                return rc;
        snprintf(what, sizeof(what), "%s.to", sect);
        if ((rc = parse_nonempty_string(p, to, what, &s)) != MLS_OK ||
            (rc = check_scratch_name(p, to, what, s, false)) != MLS_OK)
                return rc;
        t->to = mls_strdup(s);
        for (int j = 0; j < i; j++)
                if (!strcmp(c->phys.templates[j].to, t->to))
                        return FAIL(p, to, "%s: templates[%d] already writes '%s'", what, j, t->to);
        t->slha = slha != NULL;
        if (set && (rc = parse_slha_set(p, set, sect, t, c)) != MLS_OK)
                return rc;
        snprintf(what, sizeof(what), "%s.%s", sect, from ? "from" : "slha");
        {
                struct stat st;

                /* /dev/zero, a FIFO or a terminal would be read for ever */
                if (stat(t->from, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
                        return FAIL(p, src, "%s: the template %s is not a regular file", what, scalar(src));
        }
        if (mls_read_file(t->from, &t->text, &t->len, err, sizeof(err)) != 0)
                return FAIL(p, src, "%s: cannot read the template %s: %s", what, scalar(src),
                            strchr(err, ':') ? strchr(err, ':') + 2 : err);
        /* messages name the template as the card does (the resolved path depends on the machine) */
        if (t->slha) {
                tm = mls_tmpl_slha(t->text, t->len, t->set, t->nset, scalar(src), err, sizeof(err));
        } else {
                const char **names = mls_calloc((size_t)c->nparams, sizeof(char *));

                for (int k = 0; k < c->nparams; k++)
                        names[k] = c->params[k].name;
                tm = mls_tmpl_text(t->text, t->len, names, c->nparams, scalar(src), err, sizeof(err));
                free(names);
        }
        if (!tm)
                return FAIL(p, src, "%s: %s", sect, err);
        mls_tmpl_destroy(&tm);
        return MLS_OK;
}

static mls_rc parse_files(struct parser *p, const yaml_node_t *n, const char *sect, bool paths, char ***out,
                          int *count)
{
        char what[96];
        mls_rc rc;

        if (n->type != YAML_SEQUENCE_NODE)
                return FAIL(p, n, "%s: expected a list of file names, got %s", sect, node_kind(n));
        *out = mls_calloc((size_t)item_count(n) + 1, sizeof(char *));
        for (int i = 0; i < item_count(n); i++) {
                yaml_node_t *fn = item_at(p, n, i);
                const char *s;

                snprintf(what, sizeof(what), "%s[%d]", sect, i);
                if ((rc = parse_nonempty_string(p, fn, what, &s)) != MLS_OK)
                        return rc;
                if (paths) {
                        struct stat st;

                        if ((rc = expand_path(p, fn, what, s, true, &(*out)[*count])) != MLS_OK)
                                return rc;
                        (*count)++;
                        if (stat((*out)[*count - 1], &st) != 0)
                                return FAIL(p, fn, "%s: cannot use '%s': %s", what, (*out)[*count - 1],
                                            strerror(errno));
                } else {
                        if ((rc = check_scratch_name(p, fn, what, s, true)) != MLS_OK)
                                return rc;
                        for (int j = 0; j < *count; j++)
                                if (!strcmp((*out)[j], s))
                                        return FAIL(p, fn, "%s: '%s' is listed twice", what, s);
                        (*out)[(*count)++] = mls_strdup(s);
                }
        }
        return MLS_OK;
}

static int find_obs(const struct mls_card *c, const char *name)
{
        for (int i = 0; i < c->nobs; i++)
                if (!strcmp(c->obs[i].name, name))
                        return i;
        return -1;
}

/* {slha: [BLOCK, i, ...], file:, q:} | {table: [file, column], row:} | {text: [file, name]} | {expr: "..."} */
static mls_rc parse_observable(struct parser *p, const yaml_node_t *kn, const yaml_node_t *vn,
                               struct mls_card *c)
{
        static const char *const kinds = "slha, table, text, expr";
        struct mls_obs *o = &c->obs[c->nobs];
        const yaml_node_t *kindn = NULL, *args = NULL, *file = NULL, *q = NULL, *row = NULL;
        char sect[192], what[224], err[512];
        mls_rc rc;

        if (kn->type != YAML_SCALAR_NODE || !is_identifier(scalar(kn)))
                return FAIL(
                        p, kn,
                        "physics.observables: an observable name must start with a letter or '_' and hold only letters, digits and '_'");
        snprintf(sect, sizeof(sect), "physics.observables.%s", scalar(kn));
        if (find_obs(c, scalar(kn)) >= 0)
                return FAIL(p, kn, "%s: an observable of that name is already defined", sect);
        for (int i = 0; i < c->nparams; i++)
                if (!strcmp(c->params[i].name, scalar(kn)))
                        return FAIL(p, kn, "%s: '%s' is already a parameter's name", sect, scalar(kn));
        if (vn->type != YAML_MAPPING_NODE)
                return FAIL(p, vn, "%s: expected a mapping such as {slha: [MASS, 25]} (kinds: %s), got %s",
                            sect, kinds, node_kind(vn));
        for (yaml_node_pair_t *pair = vn->data.mapping.pairs.start; pair < vn->data.mapping.pairs.top;
             pair++) {
                yaml_node_t *k = node_at(p, pair->key), *v = node_at(p, pair->value);
                const char *ks = k->type == YAML_SCALAR_NODE ? scalar(k) : "";
                const yaml_node_t **slot = NULL;

                if (!strcmp(ks, "slha") || !strcmp(ks, "table") || !strcmp(ks, "text") ||
                    !strcmp(ks, "expr")) {
                        if (kindn)
                                return FAIL(p, k, "%s: give one of %s, not both %s and %s", sect, kinds,
                                            scalar(kindn), ks);
                        kindn = k;
                        args = v;
                        continue;
                }
                if (!strcmp(ks, "file"))
                        slot = &file;
                else if (!strcmp(ks, "q"))
                        slot = &q;
                else if (!strcmp(ks, "row"))
                        slot = &row;
                if (!slot)
                        return FAIL(p, k, "%s: unknown key '%s' (expected one of: %s, file, q, row)", sect,
                                    k->type == YAML_SCALAR_NODE ? ks : node_kind(k), kinds);
                if (*slot)
                        return FAIL(p, k, "%s: duplicate key '%s'", sect, ks);
                *slot = v;
        }
        if (!kindn)
                return FAIL(p, vn, "%s: say where the value comes from: one of %s", sect, kinds);
        o->name = mls_strdup(scalar(kn));
        o->q = NAN;
        c->nobs++;
        snprintf(what, sizeof(what), "%s.%s", sect, scalar(kindn));
        if (!strcmp(scalar(kindn), "expr")) {
                const char **names;
                const char *s;
                mls_expr *e;
                int nn = 0;

                o->kind = MLS_OBS_EXPR;
                if ((rc = parse_nonempty_string(p, args, what, &s)) != MLS_OK)
                        return rc;
                if (file || q || row)
                        return FAIL(p,
                                    file ? file
                                    : q  ? q
                                         : row,
                                    "%s: an expression takes no file, q or row", sect);
                o->expr = mls_strdup(s);
                names = mls_calloc((size_t)(c->nparams + c->nobs), sizeof(char *));
                for (int i = 0; i < c->nparams; i++)
                        names[nn++] = c->params[i].name;
                for (int i = 0; i < c->nobs - 1; i++)
                        names[nn++] = c->obs[i].name;
                {
                        int depth = 0, deepest = 0;

                        for (const char *ch = s; *ch; ch++) {
                                depth += *ch == '(' ? 1 : *ch == ')' ? -1 : 0;
                                deepest = depth > deepest ? depth : deepest;
                        }
                        if (strlen(s) > MAX_EXPR || deepest > 100) {
                                free(names);
                                return FAIL(
                                        p, args,
                                        "%s: the expression is too %s (at most %d characters, 100 nested parentheses)",
                                        what, deepest > 100 ? "deeply nested" : "long", MAX_EXPR);
                        }
                }
                e = mls_expr_create(s, names, nn, err, sizeof(err));
                free(names);
                if (!e)
                        return FAIL(p, args, "%s: %s", what, err);
                mls_expr_destroy(&e);
                return MLS_OK;
        }
        if (c->builtin >= 0)
                return FAIL(p, kindn, "%s: a built-in model's card may add only expr observables", sect);
        if (args->type != YAML_SEQUENCE_NODE || item_count(args) == 0)
                return FAIL(p, args, "%s: expected a list, such as %s", what,
                            !strcmp(scalar(kindn), "slha")    ? "[MASS, 25] or [DECAY, 25, 5, -5]"
                            : !strcmp(scalar(kindn), "table") ? "[HiggsSignals_results.dat, csq(tot)]"
                                                              : "[omega.txt, Omega]");
        if (!strcmp(scalar(kindn), "slha")) {
                const char *bn;

                o->kind = MLS_OBS_SLHA;
                if (row)
                        return FAIL(p, row, "%s: row is for table observables", sect);
                if (item_count(args) > MLS_CARD_MAX_INDICES + 1)
                        return FAIL(p, args, "%s: at most %d indices", what, MLS_CARD_MAX_INDICES);
                if ((rc = parse_nonempty_string(p, item_at(p, args, 0), what, &bn)) != MLS_OK)
                        return rc;
                if (!is_identifier(bn))
                        return FAIL(p, item_at(p, args, 0), "%s: '%s' is not an SLHA block name", what, bn);
                o->key = mls_strdup(bn);
                for (int i = 1; i < item_count(args); i++) {
                        static const struct key ik = {"index",       KEY_INT,      0,
                                                      -2147483647.0, 2147483647.0, false};
                        int64_t v;

                        if ((rc = parse_int(p, item_at(p, args, i), what, &ik, &v)) != MLS_OK)
                                return rc;
                        o->idx[o->nidx++] = (int)v;
                }
                if ((!strcasecmp(bn, "DECAY") || !strcasecmp(bn, "DECAY1L")) && o->nidx == 0)
                        return FAIL(
                                p, args,
                                "%s: a decay needs the parent's PDG code: [DECAY, 25] (width) or [DECAY, 25, 5, -5] (branching ratio)",
                                what);
                if ((!strcasecmp(bn, "DECAY") || !strcasecmp(bn, "DECAY1L")) && o->nidx == 2)
                        return FAIL(p, args, "%s: a branching ratio needs two or more daughters", what);
                if (q) {
                        snprintf(what, sizeof(what), "%s.q", sect);
                        if ((rc = parse_real(p, q, what, "a number (the block's scale Q)", &o->q)) != MLS_OK)
                                return rc;
                }
                if (file) {
                        const char *s;

                        snprintf(what, sizeof(what), "%s.file", sect);
                        if ((rc = parse_nonempty_string(p, file, what, &s)) != MLS_OK ||
                            (rc = check_scratch_name(p, file, what, s, false)) != MLS_OK)
                                return rc;
                        o->file = mls_strdup(s);
                }
                return MLS_OK;
        }
        if (file || q)
                return FAIL(p, file ? file : q, "%s: %s is for slha observables (a %s names its file first)",
                            sect, file ? "file" : "q", scalar(kindn));
        if (item_count(args) != 2)
                return FAIL(p, args, "%s: expected a list of two items [file, %s]", what,
                            !strcmp(scalar(kindn), "table") ? "column" : "name");
        {
                const char *s;
                yaml_node_t *cn = item_at(p, args, 1);

                if ((rc = parse_nonempty_string(p, item_at(p, args, 0), what, &s)) != MLS_OK ||
                    (rc = check_scratch_name(p, item_at(p, args, 0), what, s, false)) != MLS_OK)
                        return rc;
                o->file = mls_strdup(s);
                if ((rc = parse_nonempty_string(p, cn, what, &s)) != MLS_OK)
                        return rc;
                if (!strcmp(scalar(kindn), "text")) {
                        o->kind = MLS_OBS_TEXT;
                        if (row)
                                return FAIL(p, row, "%s: row is for table observables", sect);
                        o->key = mls_strdup(s);
                        return MLS_OK;
                }
                o->kind = MLS_OBS_TABLE;
                if (is_plain_scalar(cn) && isdigit((unsigned char)s[0])) {
                        static const struct key ck = {"column", KEY_INT, 0, 1, 100000, false};
                        int64_t v;

                        if ((rc = parse_int(p, cn, what, &ck, &v)) != MLS_OK)
                                return rc;
                        o->idx[0] = (int)v - 1;
                        o->nidx = 1;
                } else {
                        o->key = mls_strdup(s);
                }
                if (row) {
                        static const struct key rk = {"row", KEY_INT, 0, -1, 1.0e9, false};
                        int64_t v;

                        snprintf(what, sizeof(what), "%s.row", sect);
                        if ((rc = parse_int(p, row, what, &rk, &v)) != MLS_OK)
                                return rc;
                        if (v == 0)
                                return FAIL(p, row, "%s: rows count from 1 (-1: the last row)", what);
                        o->row = v > 0 ? (int)v - 1 : -1;
                }
        }
        return MLS_OK;
}

static mls_rc parse_valid(struct parser *p, const yaml_node_t *n, struct mls_card *c)
{
        char what[192], names[512];
        mls_rc rc;

        if (n->type != YAML_MAPPING_NODE)
                return FAIL(p, n, "physics.valid: expected a mapping of observables to [low, high], got %s",
                            node_kind(n));
        for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
                yaml_node_t *kn = node_at(p, pair->key), *vn = node_at(p, pair->value);
                int i = kn->type == YAML_SCALAR_NODE ? find_obs(c, scalar(kn)) : -1;
                double r[2];

                if (i < 0) {
                        join_names(names, sizeof(names), c->nobs, obs_name_at, c->obs);
                        return FAIL(p, kn, "physics.valid: unknown observable '%s' (observables: %s)",
                                    kn->type == YAML_SCALAR_NODE ? scalar(kn) : node_kind(kn), names);
                }
                if (earlier_key(p, n, pair))
                        return FAIL(p, kn, "physics.valid: duplicate observable '%s'", scalar(kn));
                snprintf(what, sizeof(what), "physics.valid.%s", scalar(kn));
                if (vn->type == YAML_SEQUENCE_NODE && item_count(vn) == 2) {
                        /* a cut may be one-sided: [~, 1] or [0, ~] */
                        for (int k = 0; k < 2; k++) {
                                yaml_node_t *e = item_at(p, vn, k);
                                char sub[224];

                                snprintf(sub, sizeof(sub), "%s[%d]", what, k);
                                if (is_null(e))
                                        r[k] = k == 0 ? -INFINITY : INFINITY;
                                else if ((rc = parse_real(p, e, sub, "a number (or ~ for no limit)",
                                                          &r[k])) != MLS_OK)
                                        return rc;
                        }
                        if (!(r[0] <= r[1]))
                                return FAIL(p, vn, "%s: the low end must not be above the high end", what);
                } else {
                        return FAIL(p, vn, "%s: expected [low, high] (~ for no limit), got %s", what,
                                    node_kind(vn));
                }
                c->obs[i].has_valid = 1;
                c->obs[i].lo = r[0];
                c->obs[i].hi = r[1];
        }
        return MLS_OK;
}

static mls_rc parse_physics(struct parser *p, const yaml_node_t *n, struct mls_card *c)
{
        const yaml_node_t *where[MAX_KEYS];
        const struct mls_builtin *model = NULL;
        struct mls_physics_card *ph = &c->phys;
        int nextra = 0;
        mls_rc rc;

        c->builtin = -1;
        if ((rc = parse_mapping(p, n, "physics", physics_keys, NKEYS(physics_keys), c, where)) != MLS_OK)
                return rc;
        if (!where[PK_BUILTIN] && !where[PK_PROGRAMS])
                return FAIL(
                        p, n,
                        "physics: give builtin (a toy model) or programs (the chain of physics codes run per point)");
        if (where[PK_BUILTIN]) {
                static const int external_only[] = {PK_PROGRAMS,     PK_TEMPLATES,  PK_FILES, PK_SCRATCH,
                                                    PK_KEEP_SCRATCH, PK_KILL_GRACE, PK_SLHA,  PK_KEEP};

                for (size_t k = 0; k < sizeof(external_only) / sizeof(external_only[0]); k++)
                        if (where[external_only[k]])
                                return FAIL(
                                        p, where[external_only[k]],
                                        "physics.%s: is for external programs; a built-in model takes builtin, observables (expr only) and valid",
                                        physics_keys[external_only[k]].name);
                model = mls_builtin_get(c->builtin);
                if (model->dim && model->dim != c->nparams)
                        return FAIL(p, where[PK_BUILTIN],
                                    "physics.builtin: model '%s' takes %d parameters, the card defines %d",
                                    model->name, model->dim, c->nparams);
                if (c->nparams < model->min_dim)
                        return FAIL(
                                p, where[PK_BUILTIN],
                                "physics.builtin: model '%s' takes at least %d parameters, the card defines %d",
                                model->name, model->min_dim, c->nparams);
        }
        if (where[PK_OBSERVABLES]) {
                const yaml_node_t *on = where[PK_OBSERVABLES];

                if (on->type != YAML_MAPPING_NODE ||
                    on->data.mapping.pairs.top == on->data.mapping.pairs.start)
                        return FAIL(
                                p, on,
                                "physics.observables: expected a mapping of names to sources, such as mh: {slha: [MASS, 25]}, got %s",
                                on->type == YAML_MAPPING_NODE ? "an empty mapping" : node_kind(on));
                nextra = (int)(on->data.mapping.pairs.top - on->data.mapping.pairs.start);
        }
        c->obs = mls_calloc((size_t)(nextra + (model ? model->nobs : 0)) + 1, sizeof(*c->obs));
        for (int i = 0; model && i < model->nobs; i++) {
                c->obs[c->nobs].name = mls_strdup(model->obs_names[i]);
                c->obs[c->nobs].kind = MLS_OBS_BUILTIN;
                c->obs[c->nobs].builtin_index = i;
                c->obs[c->nobs].q = NAN;
                c->nobs++;
        }
        if (!model) {
                const yaml_node_t *pn = where[PK_PROGRAMS];

                if (pn->type != YAML_SEQUENCE_NODE || item_count(pn) == 0)
                        return FAIL(
                                p, pn,
                                "physics.programs: expected a list of programs run in order for each point, got %s",
                                pn->type == YAML_SEQUENCE_NODE ? "an empty list" : node_kind(pn));
                ph->programs = mls_calloc((size_t)item_count(pn), sizeof(*ph->programs));
                for (int i = 0; i < item_count(pn); i++) {
                        ph->nprograms = i + 1;
                        if ((rc = parse_program(p, item_at(p, pn, i), i, c)) != MLS_OK)
                                return rc;
                }
                if (where[PK_TEMPLATES]) {
                        const yaml_node_t *tn = where[PK_TEMPLATES];

                        if (tn->type != YAML_SEQUENCE_NODE)
                                return FAIL(p, tn, "physics.templates: expected a list, got %s",
                                            node_kind(tn));
                        ph->templates = mls_calloc((size_t)item_count(tn) + 1, sizeof(*ph->templates));
                        for (int i = 0; i < item_count(tn); i++) {
                                ph->ntemplates = i + 1;
                                if ((rc = parse_template(p, item_at(p, tn, i), i, c)) != MLS_OK)
                                        return rc;
                        }
                }
                if (where[PK_FILES] && (rc = parse_files(p, where[PK_FILES], "physics.files", true,
                                                         &ph->files, &ph->nfiles)) != MLS_OK)
                        return rc;
                if (where[PK_KEEP] && (rc = parse_files(p, where[PK_KEEP], "physics.keep", false, &ph->keep,
                                                        &ph->nkeep)) != MLS_OK)
                        return rc;
                if (where[PK_SLHA] &&
                    (rc = check_scratch_name(p, where[PK_SLHA], "physics.slha", ph->slha, false)) != MLS_OK)
                        return rc;
                if (where[PK_SCRATCH]) {
                        char *raw = ph->scratch;

                        rc = expand_path(p, where[PK_SCRATCH], "physics.scratch", raw, false, &ph->scratch);
                        free(raw);
                        if (rc != MLS_OK)
                                return rc;
                }
                if (!where[PK_OBSERVABLES])
                        return FAIL(
                                p, n,
                                "physics: missing required key 'observables' (what to read from the programs' outputs)");
        }
        if (where[PK_OBSERVABLES]) {
                const yaml_node_t *on = where[PK_OBSERVABLES];

                for (yaml_node_pair_t *pair = on->data.mapping.pairs.start; pair < on->data.mapping.pairs.top;
                     pair++)
                        if ((rc = parse_observable(p, node_at(p, pair->key), node_at(p, pair->value), c)) !=
                            MLS_OK)
                                return rc;
        }
        for (int i = 0; i < c->nobs && !model; i++) {
                struct mls_obs *o = &c->obs[i];

                if (o->kind == MLS_OBS_SLHA && !o->file) {
                        const char *def = ph->slha ? ph->slha : ph->programs[0].output;

                        if (!def)
                                return FAIL(
                                        p, where[PK_OBSERVABLES],
                                        "physics.observables.%s: which SLHA file? Set physics.slha, give the first program an output, or add file: to the observable",
                                        o->name);
                        o->file = mls_strdup(def);
                }
        }
        if (where[PK_VALID] && (rc = parse_valid(p, where[PK_VALID], c)) != MLS_OK)
                return rc;
        return MLS_OK;
}

static mls_rc parse_term(struct parser *p, const yaml_node_t *kn, const yaml_node_t *vn,
                         const struct mls_card *c, struct mls_term *t)
{
        const yaml_node_t *where[MAX_KEYS], *kind_node, *args;
        char sect[320], names[256];
        int kind = -1, obs = find_obs(c, scalar(kn));
        mls_rc rc;

        if (obs < 0) {
                join_names(names, sizeof(names), c->nobs, obs_name_at, c->obs);
                if (c->builtin >= 0)
                        return FAIL(p, kn, "likelihood: unknown observable '%s' (model %s provides: %s)",
                                    scalar(kn), mls_builtin_get(c->builtin)->name, names);
                return FAIL(p, kn, "likelihood: unknown observable '%s' (physics.observables defines: %s)",
                            scalar(kn), names);
        }
        t->obs = mls_strdup(scalar(kn));
        t->obs_index = obs;
        snprintf(sect, sizeof(sect), "likelihood.%s", t->obs);
        list_names(names, sizeof(names), NTERM_KINDS, term_kind_name);
        /* Either {kind: {arguments}} or a bare kind name for kinds without arguments. */
        if (vn->type == YAML_MAPPING_NODE && vn->data.mapping.pairs.top - vn->data.mapping.pairs.start == 1) {
                kind_node = node_at(p, vn->data.mapping.pairs.start->key);
                args = node_at(p, vn->data.mapping.pairs.start->value);
        } else if (vn->type == YAML_SCALAR_NODE && !is_null(vn)) {
                kind_node = vn;
                args = NULL;
        } else {
                return FAIL(p, vn,
                            "%s: expected one term, such as {gauss: {mean: 125, sigma: 3}} (kinds: %s)", sect,
                            names);
        }
        if ((rc = parse_enum(p, kind_node, sect, NTERM_KINDS, term_kind_name, "term kind", &kind)) != MLS_OK)
                return rc;
        t->kind = term_kinds[kind].kind;
        snprintf(sect + strlen(sect), sizeof(sect) - strlen(sect), ".%s", term_kinds[kind].name);
        if (term_kinds[kind].nkeys == 0) {
                if (args && !is_null(args) &&
                    !(args->type == YAML_MAPPING_NODE &&
                      args->data.mapping.pairs.top == args->data.mapping.pairs.start))
                        return FAIL(p, args, "%s: takes no arguments", sect);
                return MLS_OK;
        }
        if (!args)
                return FAIL(p, kind_node, "%s: needs arguments, such as {%s: {%s: ..., %s: ...}}", sect,
                            term_kinds[kind].name, term_kinds[kind].keys[0].name,
                            term_kinds[kind].keys[1].name);
        return parse_mapping(p, args, sect, term_kinds[kind].keys, term_kinds[kind].nkeys, t, where);
}

static mls_rc parse_likelihood(struct parser *p, const yaml_node_t *n, struct mls_card *c)
{
        mls_rc rc;

        if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.top == n->data.mapping.pairs.start)
                return FAIL(p, n, "likelihood: expected a mapping of observables to terms, got %s",
                            n->type == YAML_MAPPING_NODE ? "an empty mapping" : node_kind(n));
        c->terms = mls_calloc((size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start),
                              sizeof(*c->terms));
        for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
                yaml_node_t *kn = node_at(p, pair->key), *vn = node_at(p, pair->value);
                const yaml_node_t *first;

                if (kn->type != YAML_SCALAR_NODE)
                        return FAIL(p, kn, "likelihood: expected an observable name, got %s", node_kind(kn));
                if ((first = earlier_key(p, n, pair)))
                        return FAIL(p, kn, "likelihood: duplicate observable '%s' (first given at line %zu)",
                                    scalar(kn), first->start_mark.line + 1);
                rc = parse_term(p, kn, vn, c, &c->terms[c->nterms]);
                if (c->terms[c->nterms].obs)
                        c->nterms++;
                if (rc != MLS_OK)
                        return rc;
        }
        return MLS_OK;
}

/* The top level: each section once, parsed in dependency order. */
enum {
        SEC_RUN,
        SEC_STOP,
        SEC_PARAMETERS,
        SEC_PHYSICS,
        SEC_LIKELIHOOD,
        SEC_TARGET,
        SEC_MODEL,
        SEC_SEARCH,
        NSECTIONS
};
static const char *const section_names[NSECTIONS] = {
        "run", "stop", "parameters", "physics", "likelihood", "target", "model", "search",
};
static const bool section_required[NSECTIONS] = {false, true, true, true, true, true, false, false};

static const char *section_name(int i)
{
        return section_names[i];
}

static mls_rc parse_root(struct parser *p, const yaml_node_t *root, struct mls_card *c)
{
        const yaml_node_t *sec[NSECTIONS] = {NULL}, *seckey[NSECTIONS] = {NULL}, *where[MAX_KEYS];
        char names[256];
        mls_rc rc;

        list_names(names, sizeof(names), NSECTIONS, section_name);
        if (root->type != YAML_MAPPING_NODE)
                return FAIL(p, root, "a run card is a mapping of sections (%s), got %s", names,
                            node_kind(root));
        for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top;
             pair++) {
                yaml_node_t *kn = node_at(p, pair->key);
                int i;

                if (kn->type != YAML_SCALAR_NODE)
                        return FAIL(p, kn, "a section name must be a plain name, got %s", node_kind(kn));
                for (i = 0; i < NSECTIONS; i++)
                        if (strcmp(scalar(kn), section_names[i]) == 0)
                                break;
                if (i == NSECTIONS)
                        return FAIL(p, kn, "unknown section '%s' (expected one of: %s)", scalar(kn), names);
                if (seckey[i])
                        return FAIL(p, kn, "duplicate section '%s' (first given at line %zu)", scalar(kn),
                                    seckey[i]->start_mark.line + 1);
                seckey[i] = kn;
                sec[i] = node_at(p, pair->value);
        }
        for (int i = 0; i < NSECTIONS; i++)
                if (!sec[i] && section_required[i])
                        return FAIL(p, root, "missing required section '%s'", section_names[i]);
        if (sec[SEC_RUN] &&
            (rc = parse_mapping(p, sec[SEC_RUN], "run", run_keys, NKEYS(run_keys), c, where)) != MLS_OK)
                return rc;
        if ((rc = parse_mapping(p, sec[SEC_STOP], "stop", stop_keys, NKEYS(stop_keys), c, where)) != MLS_OK)
                return rc;
        if (where[2] && !where[0] && !where[1] && !where[3] && !mls_method_get(c->method)->learns)
                return FAIL(
                        p, where[2],
                        "stop.generations: method %s works in no generations; give evaluations, good_points or walltime",
                        mls_method_get(c->method)->name);
        if (!where[0] && !where[1] && !where[2] && !where[3])
                return FAIL(p, sec[SEC_STOP],
                            "stop: give at least one of evaluations, good_points, generations, walltime");
        if ((rc = parse_parameters(p, sec[SEC_PARAMETERS], c)) != MLS_OK ||
            (rc = parse_physics(p, sec[SEC_PHYSICS], c)) != MLS_OK ||
            (rc = parse_likelihood(p, sec[SEC_LIKELIHOOD], c)) != MLS_OK)
                return rc;
        if ((rc = parse_mapping(p, sec[SEC_TARGET], "target", target_keys, NKEYS(target_keys), c, where)) !=
            MLS_OK)
                return rc;
        c->has_model = sec[SEC_MODEL] != NULL;
        if (sec[SEC_MODEL] && (rc = parse_mapping(p, sec[SEC_MODEL], "model", model_keys, NKEYS(model_keys),
                                                  c, where)) != MLS_OK)
                return rc;
        c->has_search = sec[SEC_SEARCH] != NULL;
        if (sec[SEC_SEARCH]) {
                if ((rc = parse_mapping(p, sec[SEC_SEARCH], "search", search_keys, NKEYS(search_keys), c,
                                        where)) != MLS_OK)
                        return rc;
                c->search.has_select_below = where[8] != NULL;
        }
        if (!c->search.has_select_below)
                c->search.select_below = c->nll_below;
        return rc;
}

/* The default run name is the card's file name without directory and extension. */
static char *default_name(const char *path)
{
        const char *base = strrchr(path, '/');
        char *name, *dot;

        name = mls_strdup(base ? base + 1 : path);
        if ((dot = strrchr(name, '.')) && dot != name)
                *dot = '\0';
        if (!*name) {
                free(name);
                name = mls_strdup("mlscan");
        }
        return name;
}

static void set_defaults(struct mls_card *c)
{
        c->seed = 1;
        c->method = mls_method_find("random");
        c->checkpoint_seconds = 60.0;
        c->checkpoint_generations = 0;
        c->checkpoint_max_share = 0.01;
        c->mode = MLS_MODE_ASYNC;
        c->builtin = -1;
        c->phys.kill_grace = 2.0;
        /* The network MLscanner and BSMArt use, trained as BSMArt's DNN defaults; 1 thread (see README). */
        c->model.nhidden = 4;
        for (int i = 0; i < 4; i++)
                c->model.hidden[i] = 100;
        c->model.activation = 0;
        c->model.optimizer = 0;
        c->model.learning_rate = 1e-3;
        c->model.lr_decay = 1.0;
        c->model.weight_decay = 0.0;
        c->model.epochs = 250;
        c->model.batch = 128;
        c->model.val_fraction = 0.2;
        c->model.patience = 10;
        c->model.min_delta = 1e-5;
        c->model.threads = 1;
        c->model.warm_start = 1;
        /* The learning methods' search (README and the man page list the same values). */
        c->search.initial_points = 500;
        c->search.points_per_generation = 500;
        c->search.growth = 0.1;
        c->search.candidates = 100000;
        c->search.random_fraction = -1.0;
        c->search.local_fraction = 0.5;
        c->search.local_scale = 0.1;
        c->search.overlap = 0;
        c->search.smote_k = 5;
        c->search.smote_below = 500;
        c->search.smote_fraction = 0.5;
        c->search.learn = MLS_LEARN_OBSERVABLES;
        c->search.density_power = 2.0;
        c->search.validity_classifier = 1;
}

static void finish_defaults(struct mls_card *c)
{
        if (!c->name)
                c->name = default_name(c->path);
        if (!c->output) {
                size_t len = strlen(c->name) + 4;

                c->output = mls_calloc(len, 1);
                snprintf(c->output, len, "%s.h5", c->name);
        }
}

/*
 * mark_at - the mark of byte @off of @text, counted as libyaml counts: a line break is
 * LF, CRLF or CR, and a column is a character, not a byte.
 */
static yaml_mark_t mark_at(const char *text, size_t len, size_t off)
{
        yaml_mark_t mark = {0, 0, 0};

        for (size_t i = 0; i < off && i < len; i++) {
                if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n'))) {
                        mark.line++;
                        mark.column = 0;
                } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
                        mark.column++;
                }
        }
        return mark;
}

static mls_rc syntax_error(struct parser *p, const yaml_parser_t *yp, const char *text, size_t len)
{
        /* Reader (encoding) errors carry a byte offset; the problem mark stays at 1:1. */
        yaml_mark_t mark =
                yp->error == YAML_READER_ERROR ? mark_at(text, len, yp->problem_offset) : yp->problem_mark;
        const char *problem = yp->problem ? yp->problem : "unknown problem";

        if (yp->error == YAML_MEMORY_ERROR)
                MLS_ABORT("out of memory parsing %s", p->path);
        if (yp->context)
                return fail_at(p, &mark, "YAML syntax error: %s (%s that starts at line %zu, column %zu)",
                               problem, yp->context, yp->context_mark.line + 1, yp->context_mark.column + 1);
        return fail_at(p, &mark, "YAML syntax error: %s", problem);
}

/*
 * check_depth - refuse flow nesting ([ and {, outside quotes and comments) deeper than
 * MAX_DEPTH before libyaml sees the text: its scanner takes time quadratic in the depth
 * (80,000 levels, 160 kB: 13 s on every rank).
 */
static mls_rc check_depth(struct parser *p, const char *text, size_t len)
{
        int depth = 0, line = 1, col = 0;
        char quote = 0;
        bool comment = false;

        for (size_t i = 0; i < len; i++) {
                char ch = text[i];

                col++;
                if (ch == '\n') {
                        line++;
                        col = 0;
                        comment = false;
                        continue;
                }
                if (comment)
                        continue;
                if (quote) {
                        if (ch == quote)
                                quote = 0;
                        else if (ch == '\\' && quote == '"' && i + 1 < len)
                                i++, col++;
                        continue;
                }
                if (ch == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n'))
                        comment = true;
                else if (ch == '"' || ch == '\'')
                        quote = ch;
                else if (ch == '[' || ch == '{')
                        depth++;
                else if ((ch == ']' || ch == '}') && depth > 0)
                        depth--;
                if (depth > MAX_DEPTH) {
                        snprintf(p->err, p->errlen,
                                 "%s:%d:%d: lists and mappings nested deeper than %d levels", p->path, line,
                                 col, MAX_DEPTH);
                        return MLS_ERR_CONFIG;
                }
        }
        return MLS_OK;
}

static mls_rc load_document(struct parser *p, const char *text, size_t len)
{
        yaml_parser_t yp;
        yaml_document_t extra;
        yaml_node_t *root;
        mls_rc rc = MLS_OK;

        if ((rc = check_depth(p, text, len)) != MLS_OK)
                return rc;
        if (!yaml_parser_initialize(&yp))
                MLS_ABORT("out of memory parsing %s", p->path);
        yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
        if (!yaml_parser_load(&yp, &p->doc)) {
                rc = syntax_error(p, &yp, text, len);
                yaml_parser_delete(&yp);
                memset(&p->doc, 0, sizeof(p->doc));
                return rc;
        }
        root = yaml_document_get_root_node(&p->doc);
        if (!root || is_null(root)) {
                snprintf(p->err, p->errlen, "%s:1:1: the run card is empty", p->path);
                rc = MLS_ERR_CONFIG;
        } else if (yaml_parser_load(&yp, &extra)) {
                yaml_node_t *r2 = yaml_document_get_root_node(&extra);

                /* Point at the document, not at "the second '---'": the card need not start with one. */
                if (r2)
                        rc = FAIL(p, r2, "a run card holds one YAML document, but a second one starts here");
                yaml_document_delete(&extra);
        } else {
                rc = syntax_error(p, &yp, text, len);
        }
        yaml_parser_delete(&yp);
        return rc;
}

mls_rc mls_card_parse(const char *text, size_t len, const char *path, struct mls_card *card, char *err,
                      size_t errlen)
{
        struct parser p = {.path = path, .err = err, .errlen = errlen};
        const char *nul;
        mls_rc rc;

        memset(card, 0, sizeof(*card));
        err[0] = '\0';
        card->path = mls_strdup(path);
        card->text = mls_calloc(len + 1, 1);
        memcpy(card->text, text, len);
        card->text_len = len;
        set_defaults(card);
        if ((nul = memchr(text, '\0', len))) {
                yaml_mark_t mark = mark_at(text, len, (size_t)(nul - text));

                rc = fail_at(&p, &mark, "the run card holds a NUL byte; it must be a YAML text file");
        } else if ((rc = load_document(&p, text, len)) == MLS_OK) {
                rc = parse_root(&p, yaml_document_get_root_node(&p.doc), card);
        }
        if (p.doc.nodes.start)
                yaml_document_delete(&p.doc);
        if (rc == MLS_OK)
                finish_defaults(card);
        else
                mls_card_fini(card);
        return rc;
}

static void free_strings(char ***v, int n)
{
        for (int i = 0; *v && i < n; i++)
                free((*v)[i]);
        mls_free(v);
}

static void phys_fini(struct mls_physics_card *ph)
{
        for (int i = 0; i < ph->nprograms; i++) {
                struct mls_program *pg = &ph->programs[i];

                mls_free(&pg->name);
                free_strings(&pg->argv, pg->argc);
                free_strings(&pg->env, pg->nenv);
                mls_free(&pg->output);
        }
        mls_free(&ph->programs);
        for (int i = 0; i < ph->ntemplates; i++) {
                struct mls_template *t = &ph->templates[i];

                mls_free(&t->from);
                mls_free(&t->to);
                mls_free(&t->text);
                for (int k = 0; k < t->nset; k++)
                        mls_free(&t->set[k].block);
                mls_free(&t->set);
        }
        mls_free(&ph->templates);
        free_strings(&ph->files, ph->nfiles);
        free_strings(&ph->keep, ph->nkeep);
        mls_free(&ph->scratch);
        mls_free(&ph->slha);
}

void mls_card_fini(struct mls_card *card)
{
        if (!card)
                return;
        mls_free(&card->path);
        mls_free(&card->text);
        mls_free(&card->name);
        mls_free(&card->output);
        mls_free(&card->start_from);
        for (int i = 0; i < card->nparams; i++)
                mls_free(&card->params[i].name);
        mls_free(&card->params);
        for (int i = 0; i < card->nterms; i++)
                mls_free(&card->terms[i].obs);
        mls_free(&card->terms);
        for (int i = 0; i < card->nobs; i++) {
                mls_free(&card->obs[i].name);
                mls_free(&card->obs[i].file);
                mls_free(&card->obs[i].key);
                mls_free(&card->obs[i].expr);
        }
        mls_free(&card->obs);
        phys_fini(&card->phys);
        memset(card, 0, sizeof(*card));
}

/* ------------------------------------------------------------------ canonical description */

struct lines {
        char **v;
        int n, cap;
};

static void line_add(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line_add(struct lines *l, const char *fmt, ...)
{
        char buf[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (l->n + 2 > l->cap) {
                l->cap = l->cap ? 2 * l->cap : 64;
                l->v = mls_realloc(l->v, (size_t)l->cap, sizeof(char *));
        }
        l->v[l->n++] = mls_strdup(buf);
        l->v[l->n] = NULL;
}

/* FNV-1a of @len bytes: a template's content in the description. */
static uint64_t fnv1a(const void *p, size_t len)
{
        const unsigned char *b = p;
        uint64_t h = 14695981039346656037ULL;

        for (size_t i = 0; i < len; i++) {
                h ^= b[i];
                h *= 1099511628211ULL;
        }
        return h;
}

/* real - the shortest "%.Ng" (N = 15, 16, 17) that reads back as @v, in a ring of 8 buffers */
static const char *real(double v)
{
        static char ring[8][40];
        static int next;
        char *b = ring[next++ % 8];

        for (int prec = 15; prec <= 17; prec++) {
                snprintf(b, 40, "%.*g", prec, v);
                if (strtod(b, NULL) == v || v != v)
                        break;
        }
        return b;
}

static void describe_keys(struct lines *l, const char *sect, const struct key *keys, int n, const void *base)
{
        for (int i = 0; i < n; i++) {
                const struct key *k = &keys[i];
                const char *f = (const char *)base + k->off;
                int iv;

                switch (k->type) {
                case KEY_STRING: {
                        const char *sv = *(char *const *)(const void *)f;

                        line_add(l, "%s.%s = %s", sect, k->name, sv ? sv : "~");
                        break;
                }
                case KEY_REAL:
                        line_add(l, "%s.%s = %s", sect, k->name, real(*(const double *)(const void *)f));
                        break;
                case KEY_AUTO: {
                        double v = *(const double *)(const void *)f;

                        if (v < 0)
                                line_add(l, "%s.%s = auto", sect, k->name);
                        else
                                line_add(l, "%s.%s = %s", sect, k->name, real(v));
                        break;
                }
                case KEY_INT:
                        line_add(l, "%s.%s = %lld", sect, k->name,
                                 (long long)*(const int64_t *)(const void *)f);
                        break;
                case KEY_SEED:
                        line_add(l, "%s.%s = %llu", sect, k->name,
                                 (unsigned long long)*(const uint64_t *)(const void *)f);
                        break;
                case KEY_WIDTHS: {
                        const int *w = (const int *)(const void *)f;
                        char buf[512];
                        int used = 0;

                        for (int j = 0; j < w[0] && used < (int)sizeof(buf) - 16; j++)
                                used += snprintf(buf + used, sizeof(buf) - (size_t)used, "%s%d",
                                                 j ? ", " : "", w[1 + j]);
                        buf[used] = '\0';
                        line_add(l, "%s.%s = [%s]", sect, k->name, buf);
                        break;
                }
                default:
                        memcpy(&iv, f, sizeof(iv));
                        if (k->type == KEY_METHOD)
                                line_add(l, "%s.%s = %s", sect, k->name, method_name(iv));
                        else if (k->type == KEY_ACT)
                                line_add(l, "%s.%s = %s", sect, k->name, act_name(iv));
                        else if (k->type == KEY_OPTIM)
                                line_add(l, "%s.%s = %s", sect, k->name, optim_name(iv));
                        else if (k->type == KEY_LEARN)
                                line_add(l, "%s.%s = %s", sect, k->name, learn_name(iv));
                        else if (k->type == KEY_MODE)
                                line_add(l, "%s.%s = %s", sect, k->name, mode_name(iv));
                        else if (k->type == KEY_BOOL)
                                line_add(l, "%s.%s = %s", sect, k->name, iv ? "true" : "false");
                        else if (k->type == KEY_BUILTIN)
                                line_add(l, "%s.%s = %s", sect, k->name,
                                         iv >= 0 ? mls_builtin_get(iv)->name : "~");
                        break;
                }
        }
}

static void describe_physics(struct lines *l, const struct mls_card *c)
{
        const struct mls_physics_card *ph = &c->phys;

        if (c->builtin >= 0) {
                line_add(l, "physics.builtin = %s", mls_builtin_get(c->builtin)->name);
                return;
        }
        line_add(l, "physics.scratch = %s", ph->scratch ? ph->scratch : "~");
        line_add(l, "physics.keep_scratch = %s", ph->keep_scratch ? "true" : "false");
        line_add(l, "physics.kill_grace = %s", real(ph->kill_grace));
        for (int i = 0; i < ph->nfiles; i++)
                line_add(l, "physics.files[%d] = %s", i, ph->files[i]);
        for (int i = 0; i < ph->ntemplates; i++) {
                const struct mls_template *t = &ph->templates[i];

                line_add(l, "physics.templates[%d] = %s %s -> %s (content %016llx)", i,
                         t->slha ? "slha" : "text", t->from, t->to,
                         (unsigned long long)fnv1a(t->text, t->len));
                for (int j = 0; j < t->nset; j++) {
                        char idx[128] = "";
                        int used = 0;

                        for (int k = 0; k < t->set[j].nidx; k++)
                                used += snprintf(idx + used, sizeof(idx) - (size_t)used, ", %d",
                                                 t->set[j].idx[k]);
                        line_add(l, "physics.templates[%d].set.%s = [%s%s]", i,
                                 c->params[t->set[j].param].name, t->set[j].block, idx);
                }
        }
        for (int i = 0; i < ph->nprograms; i++) {
                const struct mls_program *pg = &ph->programs[i];

                line_add(l, "physics.programs[%d].name = %s", i, pg->name);
                for (int a = 0; a < pg->argc; a++)
                        line_add(l, "physics.programs[%d].run[%d] = %s", i, a, pg->argv[a]);
                for (int e = 0; e < pg->nenv; e++)
                        line_add(l, "physics.programs[%d].env[%d] = %s", i, e, pg->env[e]);
                line_add(l, "physics.programs[%d].timeout = %s", i, real(pg->timeout));
                line_add(l, "physics.programs[%d].output = %s", i, pg->output ? pg->output : "~");
        }
        line_add(l, "physics.slha = %s", ph->slha ? ph->slha : "~");
        for (int i = 0; i < ph->nkeep; i++)
                line_add(l, "physics.keep[%d] = %s", i, ph->keep[i]);
}

static void describe_obs(struct lines *l, const struct mls_card *c)
{
        static const char *const kinds[] = {"builtin", "slha", "table", "text", "expr"};

        for (int i = 0; i < c->nobs; i++) {
                const struct mls_obs *o = &c->obs[i];
                char idx[160] = "";
                int used = 0;

                for (int k = 0; k < o->nidx; k++)
                        used += snprintf(idx + used, sizeof(idx) - (size_t)used, " %d", o->idx[k]);
                line_add(l, "observables.%s = %s file=%s key=%s idx=[%s] q=%s row=%d expr=%s", o->name,
                         kinds[o->kind], o->file ? o->file : "~", o->key ? o->key : "~", idx, real(o->q),
                         o->row, o->expr ? o->expr : "~");
                if (o->has_valid)
                        line_add(l, "observables.%s.valid = [%s, %s]", o->name, real(o->lo), real(o->hi));
        }
}

char **mls_card_describe(const struct mls_card *c)
{
        struct lines l = {0};

        describe_keys(&l, "run", run_keys, NKEYS(run_keys), c);
        describe_keys(&l, "stop", stop_keys, NKEYS(stop_keys), c);
        for (int i = 0; i < c->nparams; i++)
                line_add(&l, "parameters.%s = [%s, %s] %s", c->params[i].name, real(c->params[i].lo),
                         real(c->params[i].hi), prior_names[c->params[i].prior]);
        describe_physics(&l, c);
        describe_obs(&l, c);
        for (int i = 0; i < c->nterms; i++)
                line_add(&l, "likelihood.%s = %s mean=%s sigma=%s", c->terms[i].obs,
                         mls_term_kind_name(c->terms[i].kind), real(c->terms[i].mean),
                         real(c->terms[i].sigma));
        describe_keys(&l, "target", target_keys, NKEYS(target_keys), c);
        describe_keys(&l, "model", model_keys, NKEYS(model_keys), c);
        describe_keys(&l, "search", search_keys, NKEYS(search_keys), c);
        return l.v;
}

void mls_card_describe_free(char ***lines)
{
        for (char **p = *lines; p && *p; p++)
                free(*p);
        free(*lines);
        *lines = NULL;
}

/*
 * What a resumed run may change: how long it runs and how it checkpoints, where its output
 * and scratch go, how long a program may take, how many threads rank 0 trains with.
 */
static bool resume_may_change(const char *line)
{
        static const char *const ok[] = {
                "stop.",
                "run.checkpoint_seconds ",
                "run.checkpoint_generations ",
                "run.output ",
                "run.name ",
                "physics.scratch ",
                "physics.keep_scratch ",
                "physics.kill_grace ",
                "model.threads ",
        };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                if (!strncmp(line, ok[i], strlen(ok[i])))
                        return true;
        return strstr(line, "physics.programs[") == line && strstr(line, "].timeout = ") != NULL;
}

/* the key of a description line: up to " = " */
static size_t line_key_len(const char *line)
{
        const char *e = strstr(line, " = ");

        return e ? (size_t)(e - line) : strlen(line);
}

static const char *find_key(char *const *lines, const char *line)
{
        size_t k = line_key_len(line);

        for (char *const *p = lines; p && *p; p++)
                if (line_key_len(*p) == k && !strncmp(*p, line, k))
                        return *p;
        return NULL;
}

bool mls_card_resume_diff(char *const *old, char *const *now, char *msg, size_t len)
{
        for (int pass = 0; pass < 2; pass++) {
                char *const *a = pass ? now : old, *const *b = pass ? old : now;

                for (char *const *p = a; p && *p; p++) {
                        const char *q = find_key(b, *p);

                        if ((q && !strcmp(q, *p)) || resume_may_change(*p))
                                continue;
                        if (!q)
                                snprintf(msg, len, "%.*s is only in the %s", (int)line_key_len(*p), *p,
                                         pass ? "new card" : "card the file was made with");
                        else
                                snprintf(msg, len, "%.*s: '%s' in the file, '%s' now", (int)line_key_len(*p),
                                         *p, (*p)[line_key_len(*p)] ? *p + line_key_len(*p) + 3 : "",
                                         q[line_key_len(q)] ? q + line_key_len(q) + 3 : "");
                        return true;
                }
        }
        return false;
}
