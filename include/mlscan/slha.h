/*
 * slha.h - reading SUSY Les Houches Accord files (SLHA1/SLHA2, as SPheno, SOFTSUSY, NMSSMTools and
 * FlexibleSUSY write them): BLOCK entries, DECAY widths and branching ratios, SPINFO strings.
 *
 * The text is parsed once into flat arrays; the getters search them. Keywords and block names
 * are case-insensitive, '#' starts a comment anywhere, CRLF line endings and data lines with or
 * without a leading space are accepted. Several blocks of one name (running parameters at
 * different Q=) are all kept. XSECTION sub-blocks (SLHA3) are skipped. Not collective; no
 * process-wide state, so any number of files may be open at once.
 */
#ifndef MLSCAN_SLHA_H
#define MLSCAN_SLHA_H

#include <stddef.h>

/* Most integer indices of an addressable BLOCK entry (`i j k ... value`). */
#define MLS_SLHA_MAX_INDICES 8

struct mls_slha; /* opaque, a parsed file; defined in src/slha.c */

/*
 * mls_slha_parse - parse @len bytes of @text in one pass (the text need not be NUL-terminated
 * and is never read past @len). @text is borrowed and may be released once this returns.
 * Returns the parsed file, owned by caller (release with mls_slha_free()), or NULL with one line
 * "line N: reason" in @err (@err may be NULL) when the text is not SLHA: a control byte other
 * than tab/CR/LF/FF/VT (binary data), a data line before any BLOCK/DECAY, a BLOCK line with no
 * name, `Q=` not followed by a number, a DECAY line without an integer pdg code and a width, or
 * no BLOCK, DECAY or XSECTION line at all.
 * Lines that belong to a block but cannot be addressed (a coupling line `Re Im N pdgs`, more
 * than MLS_SLHA_MAX_INDICES indices, a BR line whose NDA does not match its ids) are ignored.
 */
struct mls_slha *mls_slha_parse(const char *text, size_t len, char *err, size_t errlen);

/* mls_slha_free - release @s and all it owns. NULL-safe. */
void mls_slha_free(struct mls_slha *s);

/* Return codes of the getters. */
enum { MLS_SLHA_FOUND = 0, MLS_SLHA_NO_BLOCK = -1, MLS_SLHA_NO_ENTRY = -2, MLS_SLHA_NOT_NUMBER = -3 };

/*
 * mls_slha_value - the value of the entry of BLOCK @block (case-insensitive) whose integer
 * indices are @idx[0 .. @n - 1] (@n = 0: the bare-value line of a block such as ALPHA) into *@v.
 * @q: NAN for the last block of that name in the file; otherwise the last block whose Q= equals
 * @q within a relative 1e-6 (blocks without Q= never match a given @q).
 * If an entry is listed twice in one block, the first one counts.
 * MLS_SLHA_NOT_NUMBER when the entry with these indices holds a string (e.g. SPINFO 1).
 * The value may be NaN or infinite as written in the file; the caller judges it.
 */
int mls_slha_value(const struct mls_slha *s, const char *block, double q, const int *idx, int n, double *v);

/*
 * mls_slha_width - the total width of `@keyword pdg width` into *@v; @keyword is "DECAY" or
 * "DECAY1L" (case-insensitive). The last DECAY block of @pdg counts if there are several.
 */
int mls_slha_width(const struct mls_slha *s, const char *keyword, int pdg, double *v);

/*
 * mls_slha_br - the branching ratio of @parent into @daughters[0 .. @n - 1] into *@v, whatever
 * the order of the daughters (a multiset match; signs matter: -5 is the anti-b). When the DECAY
 * block exists but does not list the channel, *@v = 0 and MLS_SLHA_FOUND (not listed means
 * negligible). MLS_SLHA_NO_BLOCK when there is no such DECAY block, MLS_SLHA_NO_ENTRY when
 * @n < 1. A channel listed twice counts once (the first line).
 */
int mls_slha_br(const struct mls_slha *s, const char *keyword, int parent, const int *daughters, int n,
                double *v);

/*
 * mls_slha_string - the text of the first line of BLOCK @block (the last block of that name)
 * whose first token is the integer @index: the rest of the line after the index, comment
 * stripped, trimmed (e.g. SPINFO 4, the error message of a failed spectrum). NULL when absent.
 * Numeric entries have their text too (SPINFO 2 `4.0` gives "4.0").
 * The string is borrowed from @s: valid until mls_slha_free(s).
 */
const char *mls_slha_string(const struct mls_slha *s, const char *block, int index);

/*
 * mls_slha_string_at - as mls_slha_string(), but the @k-th (0-based) such line, for entries
 * given several times (SPheno writes one SPINFO 3 line per warning). NULL past the last.
 */
const char *mls_slha_string_at(const struct mls_slha *s, const char *block, int index, int k);

/*
 * mls_slha_blocks - the number of BLOCKs named @block (case-insensitive) in the file, 0 if none.
 * mls_slha_block_q - the scale of the @i-th (0-based, file order) of them: 1 and *@q filled if
 * it has Q=, 0 if it has none, -1 if there is no @i-th block.
 */
int mls_slha_blocks(const struct mls_slha *s, const char *block);
int mls_slha_block_q(const struct mls_slha *s, const char *block, int i, double *q);

/*
 * mls_slha_number - the whole of the @n bytes at @tok as a double, as the readers take numbers:
 * C syntax, Fortran `1.0D+02`, Fortran's three-digit exponent without E (`1.0-100`), and
 * NaN/Inf/Infinity (non-finite). No hexadecimal. Returns 1 if it is a number, else 0.
 */
int mls_slha_number(const char *tok, size_t n, double *v);

#endif /* MLSCAN_SLHA_H */
