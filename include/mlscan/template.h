/*
 * template.h - input files and arguments rendered per point.
 * A template compiles once into literal text and parameter slots; rendering a point is
 * then a copy and one printf per slot. Two ways to make one:
 *   text: "{name}" or "{name:fmt}" is replaced by the parameter's value (fmt is a printf
 *         conversion without '%': ".6e", "12.4f", "g"; default ".17g", exact); "{{" and "}}"
 *         are literal braces;
 *   slha: a LesHouches file whose BLOCK entries are set to parameters (an entry that is
 *         missing is added to its block, a block that is missing is appended).
 */
#ifndef MLSCAN_TEMPLATE_H
#define MLSCAN_TEMPLATE_H

#include <stddef.h>
#include "mlscan/card.h"

typedef struct mls_tmpl mls_tmpl;

/*
 * mls_tmpl_text - compile @len bytes of @text with placeholders naming @names[n].
 * @path names the text in messages. NULL on error, with @err holding one line
 * "path:line:col: message". On success owned by caller (release with mls_tmpl_destroy()).
 */
mls_tmpl *mls_tmpl_text(const char *text, size_t len, const char *const *names, int n, const char *path,
                        char *err, size_t errlen);

/* mls_tmpl_slha - compile the SLHA file @text so that each @set[i] takes parameter set[i].param. */
mls_tmpl *mls_tmpl_slha(const char *text, size_t len, const struct mls_slha_set *set, int nset,
                        const char *path, char *err, size_t errlen);

/*
 * mls_tmpl_render - the text for parameter values @x into *@buf (grown as needed, owned by
 * caller; NUL-terminated); returns its length.
 */
size_t mls_tmpl_render(const mls_tmpl *t, const double *x, char **buf, size_t *cap);

/* mls_tmpl_slots - how many parameter slots @t has (0: a constant text). */
int mls_tmpl_slots(const mls_tmpl *t);

void mls_tmpl_destroy(mls_tmpl **t);

#endif /* MLSCAN_TEMPLATE_H */
