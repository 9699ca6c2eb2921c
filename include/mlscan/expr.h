/*
 * expr.h - derived observables: arithmetic expressions of parameters and observables,
 * through libmatheval (the only file that knows it: src/expr.c). Functions: exp, log, sqrt,
 * sin, cos, tan, abs, ... and ^ for powers (libmatheval's set).
 */
#ifndef MLSCAN_EXPR_H
#define MLSCAN_EXPR_H

typedef struct mls_expr mls_expr;

/*
 * mls_expr_create - compile @text, whose variables must be among @names[n] (the values
 * later passed to mls_expr_eval() come in that order). NULL on error, with a one-line
 * reason in @err. Owned by caller (release with mls_expr_destroy()).
 */
mls_expr *mls_expr_create(const char *text, const char *const *names, int n, char *err, size_t errlen);

/* mls_expr_eval - the value for @values[n] (the names' values); may be NaN or infinite. */
double mls_expr_eval(const mls_expr *e, const double *values);

void mls_expr_destroy(mls_expr **e);

#endif /* MLSCAN_EXPR_H */
