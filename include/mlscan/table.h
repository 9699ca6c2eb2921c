/*
 * table.h - reading the results of physics programs that are not SLHA: whitespace-separated
 * tables with a `#cols:` header (HiggsBounds_results.dat, HiggsSignals_results.dat) and plain
 * `name value` text. Numbers are read as mls_slha_number() reads them (Fortran D exponents,
 * NaN/Inf). Not collective; no process-wide state.
 */
#ifndef MLSCAN_TABLE_H
#define MLSCAN_TABLE_H

#include <stddef.h>

struct mls_table; /* opaque, a parsed results table; defined in src/table.c */

/*
 * mls_table_parse - parse @len bytes of @text (need not be NUL-terminated; borrowed, may be
 * released once this returns), a whitespace-separated table: lines whose first non-blank
 * character is '#' are comments, and the first comment whose first word is `cols:` or `cols`
 * (`#cols: a b`, `# cols: a b`, `# COLS a b`; case-insensitive) names the columns; the data rows
 * are the other non-blank lines ('#' also ends a data row). Rows may differ in length.
 * Returns the table, owned by caller (release with mls_table_free()), or NULL with one line
 * "line N: reason" in @err (@err may be NULL) when there is no data row or a data row holds a
 * token that is not a number.
 */
struct mls_table *mls_table_parse(const char *text, size_t len, char *err, size_t errlen);

/* mls_table_free - release @t and all it owns. NULL-safe. */
void mls_table_free(struct mls_table *t);

/*
 * mls_table_column - the 0-based index of the column named @name in the `cols` header (exact,
 * case-sensitive, e.g. "csq(tot)"; the first if named twice), -1 if none or there is no header.
 */
int mls_table_column(const struct mls_table *t, const char *name);

/*
 * mls_table_value - the value in data row @row (0-based; -1 = the last row) and 0-based column
 * @col into *@v: 0, or -1 if there is no such row or that row has no such column. The value may
 * be NaN or infinite as written; the caller judges it.
 */
int mls_table_value(const struct mls_table *t, int row, int col, double *v);

/* mls_table_rows - the number of data rows of @t (0 for NULL). */
int mls_table_rows(const struct mls_table *t);

/*
 * mls_text_value - in the @len bytes of plain @text (borrowed, need not be NUL-terminated), the
 * first line `name value`, `name = value` or `name: value` (blanks around the separator
 * optional; '#' starts a comment) whose name is @name (case-sensitive; a name ends at a blank,
 * '=' or ':'). The value is the first token after the separator; the rest of the line (a unit)
 * is ignored. Returns 0 and *@v (maybe non-finite) when found, -1 when no line has that name,
 * -2 when the first such line has no value or its value is not a number.
 */
int mls_text_value(const char *text, size_t len, const char *name, double *v);

#endif /* MLSCAN_TABLE_H */
