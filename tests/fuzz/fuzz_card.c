/*
 * fuzz_card.c - libFuzzer harness of the run-card parser (src/card.c, and through it libyaml,
 * the method and built-in model tables, expr.c / libmatheval and template.c).
 *
 * Each input is a run card, handed to mls_card_parse() as the @len bytes libFuzzer gives (not
 * NUL-terminated, so that AddressSanitizer sees any read past the end). The card is named
 * CARD_PATH, in a directory that should not exist (or be empty): relative templates, files and
 * programs are then missing and such cards fail cleanly. Absolute paths (/bin/sh, /etc/passwd)
 * are found and read. Besides memory errors, leaks and undefined behaviour, the harness aborts
 * when the parser breaks its documented contract:
 *   - the return code is MLS_OK or MLS_ERR_CONFIG;
 *   - a refused card leaves an all-zero struct and one line "CARD_PATH:line:col: message";
 *   - an accepted card holds its text, a name and an output, at least one parameter, one
 *     observable and one likelihood term, every term naming an observable; its description
 *     (mls_card_describe) is complete and mls_card_resume_diff() finds no difference between
 *     the description and itself.
 * With MLS_FUZZ_PRINT set in the environment, each input's outcome is printed to stdout
 * ("mls_card_parse: ok" or "mls_card_parse: <message>"): tests/fuzz/fuzz.sh compares the
 * regression cards' messages with that.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/card.h"

#define CARD_PATH "/tmp/fuzz/card.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, const char *err)
{
        fprintf(stderr, "fuzz_card: contract broken: %s (message '%s')\n", what, err);
        abort();
}

static bool all_zero(const void *p, size_t n)
{
        const unsigned char *b = p;

        for (size_t i = 0; i < n; i++)
                if (b[i])
                        return false;
        return true;
}

static void check_refused(const struct mls_card *card, const char *err)
{
        size_t pl = strlen(CARD_PATH);

        if (!all_zero(card, sizeof(*card)))
                broken("a refused card is not all zero", err);
        if (strncmp(err, CARD_PATH ":", pl + 1) != 0)
                broken("the message does not start with the path", err);
        if (err[pl + 1] < '1' || err[pl + 1] > '9')
                broken("the message has no line number", err);
        for (const char *c = err; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        broken("the message is not one printable line", err);
}

static void check_accepted(const struct mls_card *card, const uint8_t *data, size_t size)
{
        char **lines, msg[512] = "";
        int n = 0;

        if (card->text_len != size || (size && memcmp(card->text, data, size) != 0))
                broken("the card does not hold its text", "");
        if (!card->path || strcmp(card->path, CARD_PATH) != 0 || !card->name || !card->output)
                broken("path, name or output missing", "");
        if (card->nparams < 1 || card->nobs < 1 || card->nterms < 1)
                broken("no parameter, observable or likelihood term", "");
        for (int i = 0; i < card->nterms; i++)
                if (card->terms[i].obs_index < 0 || card->terms[i].obs_index >= card->nobs ||
                    strcmp(card->terms[i].obs, card->obs[card->terms[i].obs_index].name) != 0)
                        broken("a likelihood term names no observable", card->terms[i].obs);
        lines = mls_card_describe(card);
        for (char **p = lines; p && *p; p++)
                n++;
        if (n < card->nparams + card->nobs + card->nterms)
                broken("the description misses lines", "");
        if (mls_card_resume_diff(lines, lines, msg, sizeof(msg)))
                broken("a description differs from itself", msg);
        mls_card_describe_free(&lines);
        if (lines)
                broken("mls_card_describe_free left the pointer", "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct mls_card card;
        char err[1024];
        mls_rc rc;

        memset(err, 'x', sizeof(err));
        rc = mls_card_parse((const char *)data, size, CARD_PATH, &card, err, sizeof(err));
        if (getenv("MLS_FUZZ_PRINT"))
                printf("mls_card_parse: %s\n", rc == MLS_OK ? "ok" : err);
        if (rc == MLS_OK) {
                check_accepted(&card, data, size);
        } else if (rc == MLS_ERR_CONFIG) {
                check_refused(&card, err);
        } else {
                fprintf(stderr, "fuzz_card: unexpected return code %d\n", (int)rc);
                abort();
        }
        mls_card_fini(&card);
        if (!all_zero(&card, sizeof(card)))
                broken("mls_card_fini left the card non-zero", "");
        mls_card_fini(NULL);
        return 0;
}
