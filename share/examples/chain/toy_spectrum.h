/*
 * toy_spectrum.h - reading the entries toy_higgsbounds and toy_higgssignals take from a
 * toy_spheno spectrum: MASS 25/35/36/37, ALPHA, tan(beta) (HMIX 2, else MINPAR 10) and SPINFO 4.
 * Static functions: each program includes it once, with PROG (its name, for messages) defined.
 */
#ifndef TOY_SPECTRUM_H
#define TOY_SPECTRUM_H

#include <stdio.h>
#include <strings.h>

#include "toy_util.h"

#ifndef PROG
#error "define PROG (the program name for messages) before including toy_spectrum.h"
#endif

enum blk { BLK_NONE, BLK_MASS, BLK_ALPHA, BLK_HMIX, BLK_MINPAR, BLK_SPINFO };

/* What HiggsBounds and HiggsSignals take from the spectrum. */
struct spec {
        double mass[4]; /* h, H, A, H+ */
        double alpha, tanb_hmix, tanb_minpar;
        int have_mass[4], have_alpha, have_hmix, have_minpar;
        int nerror; /* SPINFO 4 entries */
};

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

#endif
