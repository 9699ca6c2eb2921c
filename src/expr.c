/* expr.c - derived observables through libmatheval. */
#include <config.h>

#include <matheval.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/expr.h"
#include "mlscan/util.h"

struct mls_expr {
        void *f;
        int nvars;
        char **vars;  /* the expression's variables (borrowed from libmatheval) */
        int *slot;    /* their index into the caller's values */
        double *vals; /* scratch */
};

mls_expr *mls_expr_create(const char *text, const char *const *names, int n, char *err, size_t errlen)
{
        char *copy = mls_strdup(text);
        void *f = evaluator_create(copy);
        mls_expr *e;
        char **vars = NULL;
        int nvars = 0;

        free(copy);
        if (!f) {
                snprintf(err, errlen, "cannot parse the expression '%s'", text);
                return NULL;
        }
        evaluator_get_variables(f, &vars, &nvars);
        e = mls_calloc(1, sizeof(*e));
        e->f = f;
        e->nvars = nvars;
        e->vars = vars;
        e->slot = mls_calloc((size_t)(nvars > 0 ? nvars : 1), sizeof(int));
        e->vals = mls_calloc((size_t)(nvars > 0 ? nvars : 1), sizeof(double));
        for (int i = 0; i < nvars; i++) {
                e->slot[i] = -1;
                for (int j = 0; j < n; j++)
                        if (strcmp(vars[i], names[j]) == 0)
                                e->slot[i] = j;
                if (e->slot[i] < 0) {
                        snprintf(
                                err, errlen,
                                "'%s' in the expression '%s' is neither a parameter nor an observable defined before it",
                                vars[i], text);
                        mls_expr_destroy(&e);
                        return NULL;
                }
        }
        return e;
}

double mls_expr_eval(const mls_expr *e, const double *values)
{
        for (int i = 0; i < e->nvars; i++)
                e->vals[i] = values[e->slot[i]];
        return evaluator_evaluate(e->f, e->nvars, e->vars, e->vals);
}

void mls_expr_destroy(mls_expr **e)
{
        if (!e || !*e)
                return;
        evaluator_destroy((*e)->f);
        free((*e)->slot);
        free((*e)->vals);
        mls_free(e);
}
