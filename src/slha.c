/*
 * slha.c - SUSY Les Houches Accord files: one pass over the text into flat arrays of blocks,
 * entries, integer indices and characters, then linear searches of one block per lookup.
 */
#include <config.h>

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mlscan/slha.h"
#include "mlscan/util.h"

/* Tokens kept per line: a BR line may name up to MAX_TOKENS - 2 daughters. */
#define MAX_TOKENS 32
/* Longer tokens are not numbers: Fortran writes at most 24 characters or so. */
#define MAX_NUMBER 128
/* Relative tolerance of a scale given to the getters against the Q= of a block. */
#define Q_TOL 1e-6
#define NONE  ((size_t)-1)

enum kind { KIND_BLOCK, KIND_DECAY, KIND_DECAY1L };

struct blk {
        enum kind kind;
        size_t name;         /* BLOCK: offset of its NUL-terminated name in ->chars */
        int pdg;             /* DECAY: the parent */
        bool has_q;          /* BLOCK: Q= given */
        double q;            /* BLOCK: the scale; DECAY: the total width */
        size_t first, count; /* its entries, ->ent[first .. first + count) */
};

struct ent {
        int nidx;    /* BLOCK: integer indices; DECAY: daughters, sorted */
        size_t idx;  /* offset of them in ->ints */
        bool number; /* false: a string entry, whose value lookups give MLS_SLHA_NOT_NUMBER */
        double v;    /* the value, or the branching ratio */
        size_t str;  /* offset of the text after the first index in ->chars, or NONE */
};

struct mls_slha {
        struct blk *blk;
        struct ent *ent;
        int *ints;
        char *chars;
        size_t nblk, nent, nints, nchars;
        size_t capblk, capent, capints, capchars;
};

struct tok {
        const char *s;
        size_t n;
};

/* The parse in progress; the current line's tokens point into the caller's text. */
struct parser {
        struct mls_slha *s;
        const char *next, *end; /* the text not yet split into lines */
        long line;              /* 1-based number of the current line */
        char *err;
        size_t errlen;
        size_t cur;        /* the block that data lines belong to, or NONE */
        bool skip;         /* inside an XSECTION: data lines are ignored */
        bool seen_keyword; /* a BLOCK, DECAY or XSECTION line was read */
        const char *le;    /* end of the current line's content (a '#' or the line end) */
        struct tok tok[MAX_TOKENS];
        int ntok;  /* tokens kept in tok[] */
        bool more; /* the line has more than MAX_TOKENS tokens */
};

static bool fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "line N: message" into the caller's buffer (if any); returns false. */
static bool fail(struct parser *ps, const char *fmt, ...)
{
        char what[256];
        va_list ap;

        if (!ps->err || ps->errlen == 0)
                return false;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        snprintf(ps->err, ps->errlen, "line %ld: %s", ps->line > 0 ? ps->line : 1, what);
        return false;
}

static bool is_blank(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bool is_digit(char ch)
{
        return ch >= '0' && ch <= '9';
}

/* grow - @p with room for at least @need elements of @size, doubling *@cap as needed. */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
        if (need <= *cap)
                return p;
        while (*cap < need)
                *cap = *cap ? 2 * *cap : 64;
        return mls_realloc(p, *cap, size);
}

/* tok_is - @t is @word, in any case. */
static bool tok_is(const struct tok *t, const char *word)
{
        return t->n == strlen(word) && strncasecmp(t->s, word, t->n) == 0;
}

/* parse_int - the whole of @t as a decimal int with an optional sign. */
static bool parse_int(const struct tok *t, int *v)
{
        size_t i = 0;
        long long x = 0;
        bool neg = false;

        if (t->n > 0 && (t->s[0] == '+' || t->s[0] == '-')) {
                neg = t->s[0] == '-';
                i = 1;
        }
        if (i == t->n)
                return false;
        for (; i < t->n; i++) {
                if (!is_digit(t->s[i]))
                        return false;
                x = 10 * x + (t->s[i] - '0');
                if (x > (long long)INT_MAX + 1)
                        return false;
        }
        x = neg ? -x : x;
        if (x > INT_MAX)
                return false;
        *v = (int)x;
        return true;
}

/* fortran_exponent - @buf is a mantissa, then a sign and digits: Fortran's `1.0-100`, no E. */
static bool fortran_exponent(const char *buf, const char *at, double *v)
{
        char fixed[MAX_NUMBER + 4], *end;
        size_t k = (size_t)(at - buf);

        /* Fortran's E and F formats always write the point: "2019-08" stays a string. */
        if (k == 0 || !(is_digit(at[-1]) || at[-1] == '.') || !memchr(buf, '.', k) || strpbrk(buf, "eEnNiI"))
                return false;
        if (!is_digit(at[1]) || strspn(at + 1, "0123456789") != strlen(at + 1))
                return false;
        memcpy(fixed, buf, k);
        fixed[k] = 'E';
        strcpy(fixed + k + 1, at);
        *v = strtod(fixed, &end);
        return *end == '\0';
}

int mls_slha_number(const char *tok, size_t n, double *v)
{
        char buf[MAX_NUMBER + 1], *end;
        double x;

        if (!tok || n == 0 || n > MAX_NUMBER)
                return 0;
        memcpy(buf, tok, n);
        buf[n] = '\0';
        for (size_t i = 0; i < n; i++) {
                /* strtod would take hexadecimal, which no physics program writes. */
                if (buf[i] == 'x' || buf[i] == 'X' || buf[i] == '\0')
                        return 0;
                if ((buf[i] == 'd' || buf[i] == 'D') && i > 0 && (is_digit(buf[i - 1]) || buf[i - 1] == '.'))
                        buf[i] = 'E';
        }
        if (is_blank(buf[0]) || buf[0] == '\n')
                return 0;
        x = strtod(buf, &end);
        if (end == buf)
                return 0;
        if (*end != '\0' && !((*end == '+' || *end == '-') && fortran_exponent(buf, end, &x)))
                return 0;
        if (v)
                *v = x;
        return 1;
}

/* ------------------------------------------------------------------ building */

static size_t add_chars(struct mls_slha *s, const char *p, size_t n)
{
        size_t at = s->nchars;

        s->chars = grow(s->chars, &s->capchars, s->nchars + n + 1, 1);
        memcpy(s->chars + at, p, n);
        s->chars[at + n] = '\0';
        s->nchars += n + 1;
        return at;
}

static struct blk *add_block(struct parser *ps, enum kind kind)
{
        struct mls_slha *s = ps->s;
        struct blk *b;

        s->blk = grow(s->blk, &s->capblk, s->nblk + 1, sizeof(*s->blk));
        b = &s->blk[s->nblk];
        memset(b, 0, sizeof(*b));
        b->kind = kind;
        b->name = NONE;
        b->first = s->nent;
        ps->cur = s->nblk++;
        ps->skip = false;
        ps->seen_keyword = true;
        return b;
}

/* add_entry - an entry of the current block; @str is NONE or an offset in ->chars. */
static void add_entry(struct parser *ps, const int *idx, int n, bool number, double v, size_t str)
{
        struct mls_slha *s = ps->s;
        struct ent *e;

        s->ent = grow(s->ent, &s->capent, s->nent + 1, sizeof(*s->ent));
        s->ints = grow(s->ints, &s->capints, s->nints + (size_t)n, sizeof(*s->ints));
        e = &s->ent[s->nent++];
        e->nidx = n;
        e->idx = s->nints;
        e->number = number;
        e->v = v;
        e->str = str;
        if (n > 0)
                memcpy(s->ints + s->nints, idx, (size_t)n * sizeof(int));
        s->nints += (size_t)n;
        s->blk[ps->cur].count++;
}

/* ------------------------------------------------------------------ lines */

/*
 * next_line - split the next line into ps->tok (the comment cut off): 1 when a line was read,
 * 0 at the end of the text, -1 (message written) for a control byte, the sign of binary data.
 */
static int next_line(struct parser *ps)
{
        const char *s = ps->next, *nl, *e, *q;
        size_t n, content;

        if (s >= ps->end)
                return 0;
        nl = memchr(s, '\n', (size_t)(ps->end - s));
        n = nl ? (size_t)(nl - s) : (size_t)(ps->end - s);
        ps->next = s + n + (nl ? 1 : 0);
        ps->line++;
        content = n;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '#' && content == n)
                        content = i;
                if ((c < 0x20 && !is_blank(s[i])) || c == 0x7f) {
                        fail(ps, "binary data (byte 0x%02x), not an SLHA file", c);
                        return -1;
                }
        }
        e = s + content;
        ps->le = e;
        ps->ntok = 0;
        ps->more = false;
        for (q = s;;) {
                const char *t;

                while (q < e && is_blank(*q))
                        q++;
                if (q >= e)
                        break;
                for (t = q; q < e && !is_blank(*q);)
                        q++;
                if (ps->ntok == MAX_TOKENS) {
                        ps->more = true;
                        break;
                }
                ps->tok[ps->ntok++] = (struct tok){t, (size_t)(q - t)};
        }
        return 1;
}

/* rest - the current line after its first token, trimmed, copied into ->chars. */
static size_t rest(struct parser *ps)
{
        const char *p = ps->tok[0].s + ps->tok[0].n, *e = ps->le;

        while (p < e && is_blank(*p))
                p++;
        while (e > p && is_blank(e[-1]))
                e--;
        return add_chars(ps->s, p, (size_t)(e - p));
}

/*
 * scale_at - is token @i a scale (`Q= 1e3`, `Q=1e3`, `q =1e3`, `Q = 1e3`)? 0 no, 1 yes and
 * *@q filled, -1 a Q= without a number after it.
 */
static int scale_at(const struct parser *ps, int i, double *q)
{
        const struct tok *t = &ps->tok[i];
        struct tok num;

        if (t->n >= 2 && (t->s[0] | 0x20) == 'q' && t->s[1] == '=') {
                num = (struct tok){t->s + 2, t->n - 2};
        } else if (t->n == 1 && (t->s[0] | 0x20) == 'q' && i + 1 < ps->ntok && ps->tok[i + 1].s[0] == '=') {
                i++;
                num = (struct tok){ps->tok[i].s + 1, ps->tok[i].n - 1};
        } else {
                return 0;
        }
        if (num.n == 0) {
                if (++i >= ps->ntok)
                        return -1;
                num = ps->tok[i];
        }
        return mls_slha_number(num.s, num.n, q) ? 1 : -1;
}

/* on_block - `BLOCK NAME [Q= scale] [anything else]`. */
static bool on_block(struct parser *ps)
{
        const struct tok *name = &ps->tok[1];
        struct blk *b;
        double q = NAN;
        bool has_q = false;

        if (ps->ntok < 2 || scale_at(ps, 1, &q) != 0)
                return fail(ps, "BLOCK without a name");
        for (int i = 2; i < ps->ntok && !has_q; i++) {
                int r = scale_at(ps, i, &q);

                if (r < 0)
                        return fail(ps, "BLOCK %.*s: Q= is not followed by a number",
                                    (int)(name->n > 64 ? 64 : name->n), name->s);
                has_q = r > 0;
        }
        b = add_block(ps, KIND_BLOCK);
        b->name = add_chars(ps->s, name->s, name->n);
        b->has_q = has_q;
        b->q = has_q ? q : NAN;
        return true;
}

/* on_decay - `DECAY pdg width`, or DECAY1L. */
static bool on_decay(struct parser *ps, enum kind kind)
{
        struct blk *b;
        double width;
        int pdg;

        if (ps->ntok < 3 || !parse_int(&ps->tok[1], &pdg) ||
            !mls_slha_number(ps->tok[2].s, ps->tok[2].n, &width))
                return fail(ps, "%s without a pdg code and a width",
                            kind == KIND_DECAY ? "DECAY" : "DECAY1L");
        b = add_block(ps, kind);
        b->pdg = pdg;
        b->q = width;
        return true;
}

/*
 * on_entry - a data line of a BLOCK: `i j ... value` (all but the last token integers) is
 * numeric; otherwise a line starting with an integer is a string entry; anything else is not
 * addressable and ignored.
 */
static void on_entry(struct parser *ps)
{
        int idx[MLS_SLHA_MAX_INDICES], n = ps->ntok - 1, first;
        const struct tok *last = &ps->tok[n];
        bool numeric = !ps->more && n <= MLS_SLHA_MAX_INDICES;
        double v = NAN;

        for (int i = 0; i < n && numeric; i++)
                numeric = parse_int(&ps->tok[i], &idx[i]);
        if (numeric && mls_slha_number(last->s, last->n, &v)) {
                add_entry(ps, idx, n, true, v, n > 0 ? rest(ps) : NONE);
                return;
        }
        if (ps->ntok >= 2 && parse_int(&ps->tok[0], &first))
                add_entry(ps, &first, 1, false, NAN, rest(ps));
}

static void sort_ints(int *a, int n)
{
        for (int i = 1; i < n; i++) {
                int x = a[i], j = i;

                for (; j > 0 && a[j - 1] > x; j--)
                        a[j] = a[j - 1];
                a[j] = x;
        }
}

/* on_br - a data line of a DECAY block: `BR NDA id1 ... idNDA`, else ignored. */
static void on_br(struct parser *ps)
{
        int ids[MAX_TOKENS], nda;
        double br;

        if (ps->more || ps->ntok < 3 || !mls_slha_number(ps->tok[0].s, ps->tok[0].n, &br) ||
            !parse_int(&ps->tok[1], &nda) || nda != ps->ntok - 2)
                return;
        for (int i = 0; i < nda; i++)
                if (!parse_int(&ps->tok[2 + i], &ids[i]))
                        return;
        sort_ints(ids, nda);
        add_entry(ps, ids, nda, true, br, NONE);
}

static bool on_line(struct parser *ps)
{
        const struct tok *t = &ps->tok[0];

        if (tok_is(t, "BLOCK"))
                return on_block(ps);
        if (tok_is(t, "DECAY"))
                return on_decay(ps, KIND_DECAY);
        if (tok_is(t, "DECAY1L"))
                return on_decay(ps, KIND_DECAY1L);
        if (tok_is(t, "XSECTION")) {
                /* SLHA3 cross sections have their own layout; no getter reads them yet. */
                ps->cur = NONE;
                ps->skip = true;
                ps->seen_keyword = true;
                return true;
        }
        if (ps->skip)
                return true;
        if (ps->cur == NONE)
                return fail(ps, "data before any BLOCK or DECAY, not an SLHA file");
        if (ps->s->blk[ps->cur].kind == KIND_BLOCK)
                on_entry(ps);
        else
                on_br(ps);
        return true;
}

struct mls_slha *mls_slha_parse(const char *text, size_t len, char *err, size_t errlen)
{
        struct parser ps = {.err = err, .errlen = errlen, .cur = NONE};
        int r;

        if (err && errlen)
                err[0] = '\0';
        if (!text)
                len = 0;
        ps.s = mls_calloc(1, sizeof(*ps.s));
        ps.next = text;
        ps.end = text + len;
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* a UTF-8 byte order mark */
                ps.next += 3;
        while ((r = next_line(&ps)) > 0)
                if (ps.ntok > 0 && !on_line(&ps))
                        break;
        if (r == 0 && !ps.seen_keyword) {
                fail(&ps, "no BLOCK, DECAY or XSECTION line, not an SLHA file");
                r = -1;
        }
        if (r != 0) {
                mls_slha_free(ps.s);
                return NULL;
        }
        return ps.s;
}

void mls_slha_free(struct mls_slha *s)
{
        if (!s)
                return;
        mls_free(&s->blk);
        mls_free(&s->ent);
        mls_free(&s->ints);
        mls_free(&s->chars);
        free(s);
}

/* ------------------------------------------------------------------ getters */

static bool same_scale(double a, double b)
{
        return fabs(a - b) <= Q_TOL * fmax(fabs(a), fabs(b));
}

/* find_block - the last BLOCK @name (at scale @q unless NaN), or NULL. */
static const struct blk *find_block(const struct mls_slha *s, const char *name, double q)
{
        if (!s || !name)
                return NULL;
        for (size_t i = s->nblk; i-- > 0;) {
                const struct blk *b = &s->blk[i];

                if (b->kind == KIND_BLOCK && strcasecmp(s->chars + b->name, name) == 0 &&
                    (isnan(q) || (b->has_q && same_scale(b->q, q))))
                        return b;
        }
        return NULL;
}

/* find_decay - the last `@keyword @pdg` block, or NULL. */
static const struct blk *find_decay(const struct mls_slha *s, const char *keyword, int pdg)
{
        enum kind kind;

        if (!s || !keyword)
                return NULL;
        if (strcasecmp(keyword, "DECAY") == 0)
                kind = KIND_DECAY;
        else if (strcasecmp(keyword, "DECAY1L") == 0)
                kind = KIND_DECAY1L;
        else
                return NULL;
        for (size_t i = s->nblk; i-- > 0;)
                if (s->blk[i].kind == kind && s->blk[i].pdg == pdg)
                        return &s->blk[i];
        return NULL;
}

/* find_entry - the first entry of @b with the indices @idx[0 .. @n - 1], or NULL. */
static const struct ent *find_entry(const struct mls_slha *s, const struct blk *b, const int *idx, int n)
{
        for (size_t i = b->first; i < b->first + b->count; i++) {
                const struct ent *e = &s->ent[i];

                if (e->nidx == n && (n == 0 || memcmp(s->ints + e->idx, idx, (size_t)n * sizeof(int)) == 0))
                        return e;
        }
        return NULL;
}

int mls_slha_value(const struct mls_slha *s, const char *block, double q, const int *idx, int n, double *v)
{
        const struct blk *b = find_block(s, block, q);
        const struct ent *e;

        if (!b)
                return MLS_SLHA_NO_BLOCK;
        if (n < 0 || n > MLS_SLHA_MAX_INDICES || (n > 0 && !idx) || !(e = find_entry(s, b, idx, n)))
                return MLS_SLHA_NO_ENTRY;
        if (!e->number)
                return MLS_SLHA_NOT_NUMBER;
        if (v)
                *v = e->v;
        return MLS_SLHA_FOUND;
}

int mls_slha_width(const struct mls_slha *s, const char *keyword, int pdg, double *v)
{
        const struct blk *b = find_decay(s, keyword, pdg);

        if (!b)
                return MLS_SLHA_NO_BLOCK;
        if (v)
                *v = b->q;
        return MLS_SLHA_FOUND;
}

int mls_slha_br(const struct mls_slha *s, const char *keyword, int parent, const int *daughters, int n,
                double *v)
{
        const struct blk *b = find_decay(s, keyword, parent);
        const struct ent *e = NULL;
        int ids[MAX_TOKENS];

        if (!b)
                return MLS_SLHA_NO_BLOCK;
        if (n < 1 || !daughters)
                return MLS_SLHA_NO_ENTRY;
        /* No line with more daughters than a line can hold was kept: such a channel is not listed. */
        if (n <= MAX_TOKENS - 2) {
                memcpy(ids, daughters, (size_t)n * sizeof(int));
                sort_ints(ids, n);
                e = find_entry(s, b, ids, n);
        }
        if (v)
                *v = e ? e->v : 0.0;
        return MLS_SLHA_FOUND;
}

const char *mls_slha_string_at(const struct mls_slha *s, const char *block, int index, int k)
{
        const struct blk *b = find_block(s, block, NAN);

        if (!b || k < 0)
                return NULL;
        for (size_t i = b->first; i < b->first + b->count; i++) {
                const struct ent *e = &s->ent[i];

                if (e->str != NONE && s->ints[e->idx] == index && k-- == 0)
                        return s->chars + e->str;
        }
        return NULL;
}

const char *mls_slha_string(const struct mls_slha *s, const char *block, int index)
{
        return mls_slha_string_at(s, block, index, 0);
}

int mls_slha_blocks(const struct mls_slha *s, const char *block)
{
        int n = 0;

        if (!s || !block)
                return 0;
        for (size_t i = 0; i < s->nblk; i++)
                if (s->blk[i].kind == KIND_BLOCK && strcasecmp(s->chars + s->blk[i].name, block) == 0)
                        n++;
        return n;
}

int mls_slha_block_q(const struct mls_slha *s, const char *block, int i, double *q)
{
        if (!s || !block || i < 0)
                return -1;
        for (size_t j = 0; j < s->nblk; j++) {
                const struct blk *b = &s->blk[j];

                if (b->kind != KIND_BLOCK || strcasecmp(s->chars + b->name, block) != 0 || i-- > 0)
                        continue;
                if (b->has_q && q)
                        *q = b->q;
                return b->has_q ? 1 : 0;
        }
        return -1;
}
