/* gens.c - rank 0's table of generations (see gens.h). */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlscan/gens.h"
#include "mlscan/log.h"
#include "mlscan/util.h"

void mls_gens_init(struct mls_gens *g)
{
        memset(g, 0, sizeof(*g));
}

void mls_gens_fini(struct mls_gens *g)
{
        mls_free(&g->row);
        memset(g, 0, sizeof(*g));
}

void mls_gens_start(struct mls_gens *g, const struct mls_gen_info *info)
{
        struct mls_gen_row *r;

        if (info->generation != g->n)
                MLS_ABORT("generation %d started after %lld generations", info->generation, (long long)g->n);
        if (g->n == g->cap) {
                g->cap = g->cap ? 2 * g->cap : 64;
                g->row = mls_realloc(g->row, (size_t)g->cap, sizeof(*g->row));
        }
        r = &g->row[g->n++];
        memset(r, 0, sizeof(*r));
        r->generation = info->generation;
        r->ntrain = info->ntrain;
        r->nmodel = info->nmodel;
        r->nrandom = info->nrandom;
        r->nsmote = info->nsmote;
        r->npass = info->npass;
        r->random_fraction = info->random_fraction;
        r->train_loss = info->ntrain ? info->train_loss : NAN;
        r->val_loss = info->ntrain ? info->val_loss : NAN;
        r->epochs = info->epochs;
        r->train_seconds = info->train_seconds;
        r->propose_seconds = info->propose_seconds;
}

static struct mls_gen_row *row_of(struct mls_gens *g, int32_t gen)
{
        if (gen < 0 || gen >= g->n)
                MLS_ABORT("a point of generation %d, which was never started", gen);
        return &g->row[gen];
}

void mls_gens_dispatched(struct mls_gens *g, int32_t gen)
{
        row_of(g, gen)->proposed++;
}

void mls_gens_fill(struct mls_gens *g, int32_t gen)
{
        struct mls_gen_row *r = row_of(g, gen);

        r->proposed++;
        r->nrandom++;
        r->nfill++;
}

void mls_gens_result(struct mls_gens *g, int32_t gen, bool good, double seconds)
{
        struct mls_gen_row *r = row_of(g, gen);

        r->evaluated++;
        r->good += good;
        r->physics_seconds += seconds;
}

static const char *fill_note(const struct mls_gen_row *r)
{
        static char note[64];

        note[0] = '\0';
        if (r->nfill > 0)
                snprintf(note, sizeof(note), " (%lld random fill-ins)", (long long)r->nfill);
        return note;
}

int64_t mls_gens_close(struct mls_gens *g, const struct mls_dataset *ds, double elapsed, bool all)
{
        int64_t closed = 0;

        while (g->complete < g->n) {
                struct mls_gen_row *r = &g->row[g->complete];

                if (!all && (g->complete == g->n - 1 || r->evaluated < r->proposed || r->queued > 0))
                        break;
                r->efficiency = r->evaluated ? (double)r->good / (double)r->evaluated : 0.0;
                r->total_evaluated = ds->n_done - ds->n_seed;
                r->total_good = ds->n_good - ds->n_seed_good;
                r->total_efficiency =
                        r->total_evaluated ? (double)r->total_good / (double)r->total_evaluated : 0.0;
                r->elapsed = elapsed;
                MLS_LOG(MLS_LOG_INFO,
                        "generation %d: %lld evaluated, %lld good (%.3f); run %lld evaluated, %lld good (%.3f); "
                        "trained on %lld, loss %.4g / val %.4g, %d epochs, %.2f s training, %.2f s proposing, "
                        "random %.3f%s",
                        r->generation, (long long)r->evaluated, (long long)r->good, r->efficiency,
                        (long long)r->total_evaluated, (long long)r->total_good, r->total_efficiency,
                        (long long)r->ntrain, r->train_loss, r->val_loss, r->epochs, r->train_seconds,
                        r->propose_seconds, r->random_fraction, fill_note(r));
                g->complete++;
                closed++;
        }
        return closed;
}
