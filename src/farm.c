/*
 * farm.c - rank 0 coordinates, the other ranks evaluate. The only file that sends
 * point-to-point MPI messages. Protocol (all payloads are doubles):
 *   MLS_TAG_POINT       0 -> worker   [id, generation, origin, u[d]]
 *   MLS_TAG_RESULT      worker -> 0   [id, status, nll, good, seconds, obs[m]]
 *   MLS_TAG_CHECKPOINT  0 -> worker   [last]   then every rank appends its rows (collective)
 * A worker gets its next point as soon as it returns one (dynamic dispatch), with
 * opts->inflight points queued per worker so it never waits for a round trip.
 * Before a checkpoint rank 0 stops dispatching and collects every point in flight, so
 * the file always holds exactly the points dispatched so far.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/dataset.h"
#include "mlscan/eval.h"
#include "mlscan/farm.h"
#include "mlscan/gens.h"
#include "mlscan/log.h"
#include "mlscan/method.h"
#include "mlscan/physics.h"
#include "mlscan/rows.h"
#include "mlscan/seed.h"
#include "mlscan/space.h"
#include "mlscan/likelihood.h"
#include "mlscan/util.h"

enum mls_tag { MLS_TAG_POINT = 100, MLS_TAG_RESULT, MLS_TAG_CHECKPOINT };

#define HEAD_POINT  3
#define HEAD_RESULT 5
#define QUEUE       256

/* Rank 0's state. */
struct lead {
        const struct mls_card *card;
        MPI_Comm comm;
        int size, inflight_max;
        int *inflight; /* per rank */
        int64_t busy;  /* points in flight in total */
        const struct mls_method_ops *ops;
        void *state;
        struct mls_rng rng;
        struct mls_dataset ds;
        struct mls_evaluator *ev; /* rank 0 evaluates when it is alone */
        struct mls_rows rows;     /* rows rank 0 evaluated itself */
        mls_store *store;
        double *queue_u; /* proposals not yet dispatched */
        int8_t *queue_origin;
        int32_t *queue_gen;
        int64_t queue_n, queue_next;
        double *msg;
        double t0, last_checkpoint;
        int64_t rows_committed;
        struct mls_gens gens;
        bool generation_cut; /* the method moved past stop.generations */
        int64_t by_status[MLS_ST_COUNT];
};

/* ------------------------------------------------------------------ rank 0 */

/* Points proposed and good in this run (start_from points are not counted). */
static int64_t run_points(const struct lead *l)
{
        return l->ds.n - l->ds.n_seed;
}

static int64_t run_good(const struct lead *l)
{
        return l->ds.n_good - l->ds.n_seed_good;
}

static bool out_of_time(const struct lead *l)
{
        return l->card->walltime > 0 && mls_now() - l->t0 >= l->card->walltime;
}

static bool budget_spent(const struct lead *l)
{
        const struct mls_card *c = l->card;

        return (c->max_evaluations > 0 && run_points(l) >= c->max_evaluations) ||
               (c->max_good > 0 && run_good(l) >= c->max_good) || l->generation_cut || out_of_time(l);
}

/* next_point - the next proposal, recorded in the dataset; false when the method has none. */
static bool next_point(struct lead *l, int64_t *id, const double **u)
{
        int d = l->card->nparams;

        if (l->queue_next == l->queue_n) {
                int64_t want = QUEUE, got = 0;
                struct mls_gen_info info;
                mls_rc rc;

                if (l->card->max_evaluations > 0 && l->card->max_evaluations - run_points(l) < want)
                        want = l->card->max_evaluations - run_points(l);
                /* A method may start an empty generation: ask again at once. */
                do {
                        rc = l->ops->propose(l->state, &l->ds, &l->rng, want, l->queue_u, l->queue_origin,
                                             l->queue_gen, &got, &info);
                        if (rc != MLS_OK)
                                MLS_ABORT("method %s failed to propose points: %s", l->ops->name,
                                          mls_rc_str(rc));
                        if (got == 0 && info.generation >= 0)
                                mls_gens_start(&l->gens, &info);
                } while (got == 0 && info.generation >= 0);
                /* A generation past stop.generations is dropped whole, before any point leaves. */
                if (l->card->max_generations > 0 && got > 0 && l->queue_gen[0] >= l->card->max_generations) {
                        l->generation_cut = true;
                        l->queue_n = l->queue_next = 0;
                        return false;
                }
                if (got > 0 && info.generation >= 0)
                        mls_gens_start(&l->gens, &info);
                mls_gens_close(&l->gens, &l->ds, mls_now() - l->t0, false);
                l->queue_n = got;
                l->queue_next = 0;
                if (got == 0)
                        return false;
        }
        *id = mls_dataset_propose(&l->ds, l->queue_u + l->queue_next * d, l->queue_origin[l->queue_next],
                                  l->queue_gen[l->queue_next]);
        *u = l->ds.u + *id * d;
        if (l->gens.n > 0)
                mls_gens_dispatched(&l->gens, l->queue_gen[l->queue_next]);
        l->queue_next++;
        return true;
}

static bool dispatch(struct lead *l, int worker)
{
        int d = l->card->nparams, mrc;
        const double *u;
        int64_t id;

        if (budget_spent(l) || !next_point(l, &id, &u))
                return false;
        l->msg[0] = (double)id;
        l->msg[1] = (double)l->ds.generation[id];
        l->msg[2] = (double)l->ds.origin[id];
        memcpy(l->msg + HEAD_POINT, u, (size_t)d * sizeof(double));
        mrc = MPI_Send(l->msg, HEAD_POINT + d, MPI_DOUBLE, worker, MLS_TAG_POINT, l->comm);
        if (mrc != MPI_SUCCESS)
                MLS_ABORT("sending point %lld to rank %d failed", (long long)id, worker);
        l->inflight[worker]++;
        l->busy++;
        return true;
}

static void fill_workers(struct lead *l)
{
        for (int slot = 0; slot < l->inflight_max; slot++)
                for (int w = 1; w < l->size; w++)
                        if (l->inflight[w] <= slot && !dispatch(l, w))
                                return;
}

static void on_result(struct lead *l, const double *msg, int worker)
{
        int64_t id = (int64_t)msg[0];

        if (!mls_dataset_record(&l->ds, id, (int)msg[1], msg[2], msg[3] != 0.0, msg + HEAD_RESULT))
                MLS_ABORT("rank %d returned a result for point %lld, which is not in flight", worker,
                          (long long)id);
        if (l->gens.n > 0)
                mls_gens_result(&l->gens, l->ds.generation[id], msg[3] != 0.0);
        if ((int)msg[1] >= 0 && (int)msg[1] < MLS_ST_COUNT)
                l->by_status[(int)msg[1]]++;
        l->inflight[worker]--;
        l->busy--;
}

/* receive_one - wait for one result, record it, return the rank that sent it. */
static int receive_one(struct lead *l)
{
        int m = l->card->nobs, mrc;
        MPI_Status st;

        mrc = MPI_Recv(l->msg, HEAD_RESULT + m, MPI_DOUBLE, MPI_ANY_SOURCE, MLS_TAG_RESULT, l->comm, &st);
        if (mrc != MPI_SUCCESS)
                MLS_ABORT("receiving a result failed");
        on_result(l, l->msg, st.MPI_SOURCE);
        return st.MPI_SOURCE;
}

static void progress(struct lead *l, const char *what)
{
        double el = mls_now() - l->t0;
        double eff = l->ds.n_done ? (double)l->ds.n_good / (double)l->ds.n_done : 0.0;

        MLS_LOG_ROOT(
                MLS_LOG_INFO,
                "%s: evaluated %lld, good %lld, efficiency %.4f, %.1f points/s, elapsed %.1f s, rows in file %lld",
                what, (long long)l->ds.n_done, (long long)l->ds.n_good, eff,
                el > 0 ? (double)l->ds.n_done / el : 0.0, el, (long long)l->rows_committed);
}

/* The checkpoint request's flags: the run ends; /model follows the rows. */
#define CKPT_LAST  1
#define CKPT_MODEL 2

static mls_rc checkpoint(struct lead *l, bool last)
{
        int32_t gen = 0;
        mls_nn *net = l->ops->network ? l->ops->network(l->state, &gen) : NULL;
        double flag = (last ? CKPT_LAST : 0) + (net ? CKPT_MODEL : 0);
        mls_rc rc;

        while (l->busy > 0)
                receive_one(l);
        for (int w = 1; w < l->size; w++)
                if (MPI_Send(&flag, 1, MPI_DOUBLE, w, MLS_TAG_CHECKPOINT, l->comm) != MPI_SUCCESS)
                        MLS_ABORT("sending a checkpoint request to rank %d failed", w);
        mls_gens_close(&l->gens, &l->ds, mls_now() - l->t0, last);
        rc = mls_store_append_generations(l->store, l->gens.row + l->gens.written,
                                          l->gens.complete - l->gens.written);
        if (rc == MLS_OK)
                l->gens.written = l->gens.complete;
        if (rc == MLS_OK)
                rc = mls_store_append(l->store, &l->rows, &l->rows_committed);
        if (rc == MLS_OK && net) {
                struct mls_nn_state st;

                mls_nn_state_get(net, &st);
                rc = mls_store_write_model(l->store, &st, gen);
        }
        mls_rows_clear(&l->rows);
        l->last_checkpoint = mls_now();
        progress(l, last ? "done" : "checkpoint");
        return rc;
}

static bool checkpoint_due(const struct lead *l)
{
        return mls_now() - l->last_checkpoint >= l->card->checkpoint_seconds;
}

/* report_failure - the first failures of a rank are logged with their point id and reason. */
#define REPORT_FIRST 5
static void report_failure(const struct mls_row *row, int rank)
{
        static int reported;

        if (row->status == MLS_ST_OK || reported > REPORT_FIRST)
                return;
        if (++reported <= REPORT_FIRST)
                MLS_LOG(MLS_LOG_WARN, "point %lld: %s: %s", (long long)row->id, mls_status_name(row->status),
                        row->error && row->error[0] ? row->error : "no reason given");
        else
                MLS_LOG(MLS_LOG_WARN, "rank %d: more points failed; every reason is in /points/error", rank);
}

/* Alone, rank 0 evaluates every point itself. */
static mls_rc lead_alone(struct lead *l)
{
        struct mls_row row;
        const double *u;
        int64_t id;
        mls_rc rc = MLS_OK;

        while (rc == MLS_OK && !budget_spent(l) && next_point(l, &id, &u)) {
                mls_evaluate(l->ev, id, u, &row);
                report_failure(&row, 0);
                l->by_status[row.status]++;
                row.generation = l->ds.generation[id];
                row.origin = l->ds.origin[id];
                row.worker = 0;
                mls_rows_append(&l->rows, &row);
                mls_dataset_record(&l->ds, id, row.status, row.nll, row.good, row.obs);
                if (l->gens.n > 0)
                        mls_gens_result(&l->gens, row.generation, row.good);
                if (checkpoint_due(l))
                        rc = checkpoint(l, false);
        }
        return rc;
}

static mls_rc lead_workers(struct lead *l)
{
        mls_rc rc = MLS_OK;

        fill_workers(l);
        while (rc == MLS_OK && l->busy > 0) {
                /* The returning rank first; then every idle one (the method may have been waiting). */
                dispatch(l, receive_one(l));
                fill_workers(l);
                if (checkpoint_due(l) && (rc = checkpoint(l, false)) == MLS_OK)
                        fill_workers(l);
        }
        return rc;
}

static const char *stop_reason(const struct lead *l)
{
        const struct mls_card *c = l->card;

        if (c->max_good > 0 && run_good(l) >= c->max_good)
                return "the target number of good points was reached";
        if (c->max_evaluations > 0 && run_points(l) >= c->max_evaluations)
                return "the evaluation budget was spent";
        if (l->generation_cut)
                return "the generation limit was reached";
        if (out_of_time(l))
                return "the wall-time limit was reached";
        return "the method had no more points to propose";
}

/*
 * add_seeds - the start_from points: into the dataset (done, generation -1) and into rank 0's
 * rows (origin seed, worker -1), with NLL and good from this card's likelihood and target.
 */
static void add_seeds(struct lead *l, const struct mls_seed *seed)
{
        const struct mls_card *c = l->card;
        double *x = mls_calloc((size_t)c->nparams, sizeof(double));
        double *terms = mls_calloc((size_t)(c->nterms > 0 ? c->nterms : 1), sizeof(double));

        for (int64_t i = 0; seed && i < seed->n; i++) {
                const double *u = seed->u + i * seed->d, *obs = seed->obs + i * seed->m;
                struct mls_row row = {.generation = -1, .origin = MLS_ORIGIN_SEED, .worker = -1};
                double nll;
                bool good = mls_likelihood_eval(c, seed->status[i], obs, terms, &nll);

                mls_space_to_x(c->params, c->nparams, u, x);
                row.id = mls_dataset_seed(&l->ds, u, seed->status[i], nll, good, obs);
                row.status = seed->status[i];
                row.u = u;
                row.x = x;
                row.obs = obs;
                row.terms = terms;
                row.nll = nll;
                row.good = good;
                mls_rows_append(&l->rows, &row);
        }
        if (seed && seed->n > 0)
                MLS_LOG_ROOT(MLS_LOG_INFO,
                             "start_from: %lld points, %lld good, join the data (not evaluated again)",
                             (long long)l->ds.n_seed, (long long)l->ds.n_seed_good);
        free(terms);
        free(x);
}

static mls_rc lead(MPI_Comm comm, const struct mls_card *card, mls_store *store,
                   const struct mls_farm_opts *opts)
{
        struct lead l = {.card = card, .comm = comm, .store = store};
        int d = card->nparams, m = card->nobs;
        mls_rc rc;

        MPI_Comm_size(comm, &l.size);
        l.inflight_max = opts->inflight > 0 ? opts->inflight : 2;
        l.inflight = mls_calloc((size_t)l.size, sizeof(int));
        l.ops = mls_method_get(card->method);
        mls_rng_init(&l.rng, card->seed, 0);
        mls_dataset_init(&l.ds, d, m);
        mls_rows_init(&l.rows, d, m, card->nterms, card->phys.nkeep);
        l.ev = opts->ev;
        l.queue_u = mls_calloc((size_t)QUEUE * (size_t)d, sizeof(double));
        l.queue_origin = mls_calloc(QUEUE, sizeof(int8_t));
        l.queue_gen = mls_calloc(QUEUE, sizeof(int32_t));
        l.msg = mls_calloc((size_t)(HEAD_POINT + d + HEAD_RESULT + m), sizeof(double));
        l.t0 = l.last_checkpoint = mls_now();
        mls_gens_init(&l.gens);
        if (card->has_model && !l.ops->learns)
                MLS_LOG_ROOT(MLS_LOG_WARN, "the run card's model section is not used by method %s",
                             l.ops->name);
        if (card->has_search && !l.ops->learns)
                MLS_LOG_ROOT(MLS_LOG_WARN, "the run card's search section is not used by method %s",
                             l.ops->name);
        if (l.ops->learns && l.size > 1 && card->search.points_per_generation < 2 * (l.size - 1))
                MLS_LOG_ROOT(MLS_LOG_WARN,
                             "search.points_per_generation %lld is below twice the %d evaluating ranks: "
                             "some ranks will idle in every generation",
                             (long long)card->search.points_per_generation, l.size - 1);
        add_seeds(&l, opts->seed);
        if ((rc = l.ops->create(card, &l.state)) != MLS_OK)
                MLS_ABORT("method %s could not start: %s", l.ops->name, mls_rc_str(rc));
        MLS_LOG_ROOT(MLS_LOG_INFO, "run '%s': method %s, %d parameters, %d rank%s (%d evaluating), output %s",
                     card->name, l.ops->name, d, l.size, l.size > 1 ? "s" : "", l.size > 1 ? l.size - 1 : 1,
                     card->output);
        rc = l.size == 1 ? lead_alone(&l) : lead_workers(&l);
        if (rc == MLS_OK)
                MLS_LOG_ROOT(MLS_LOG_INFO, "stopping: %s", stop_reason(&l));
        if (rc == MLS_OK && l.by_status[MLS_ST_OK] < run_points(&l)) {
                char line[512];
                int w = 0;

                for (int st = 0; st < MLS_ST_COUNT; st++)
                        if (l.by_status[st] > 0)
                                w += snprintf(line + w, sizeof(line) - (size_t)w, "%s%s %lld", w ? ", " : "",
                                              mls_status_name(st), (long long)l.by_status[st]);
                MLS_LOG_ROOT(MLS_LOG_INFO, "points by status: %s (reasons in /points/error)", line);
        }
        /* The last checkpoint also releases the workers, even after a failure. */
        if (rc == MLS_OK)
                rc = checkpoint(&l, true);
        l.ops->destroy(&l.state);
        mls_gens_fini(&l.gens);
        free(l.msg);
        free(l.queue_gen);
        free(l.queue_origin);
        free(l.queue_u);
        mls_rows_fini(&l.rows);
        mls_dataset_fini(&l.ds);
        free(l.inflight);
        return rc;
}

/* ------------------------------------------------------------------ workers */

static mls_rc work(MPI_Comm comm, const struct mls_card *card, mls_store *store, struct mls_evaluator *ev)
{
        struct mls_rows rows;
        struct mls_row row;
        int d = card->nparams, m, rank, last = 0;
        double *in, *out;
        int64_t committed;
        mls_rc rc = MLS_OK;

        MPI_Comm_rank(comm, &rank);
        m = ev->m;
        mls_rows_init(&rows, d, m, card->nterms, card->phys.nkeep);
        in = mls_calloc((size_t)(HEAD_POINT + d), sizeof(double));
        out = mls_calloc((size_t)(HEAD_RESULT + m), sizeof(double));
        while (!last && rc == MLS_OK) {
                MPI_Status st;

                if (MPI_Probe(0, MPI_ANY_TAG, comm, &st) != MPI_SUCCESS)
                        MLS_ABORT("waiting for rank 0 failed");
                switch (st.MPI_TAG) {
                case MLS_TAG_POINT:
                        if (MPI_Recv(in, HEAD_POINT + d, MPI_DOUBLE, 0, MLS_TAG_POINT, comm,
                                     MPI_STATUS_IGNORE) != MPI_SUCCESS)
                                MLS_ABORT("receiving a point failed");
                        mls_evaluate(ev, (int64_t)in[0], in + HEAD_POINT, &row);
                        report_failure(&row, rank);
                        row.generation = (int32_t)in[1];
                        row.origin = (int8_t)in[2];
                        row.worker = rank;
                        mls_rows_append(&rows, &row);
                        out[0] = in[0];
                        out[1] = row.status;
                        out[2] = row.nll;
                        out[3] = row.good;
                        out[4] = row.seconds;
                        memcpy(out + HEAD_RESULT, row.obs, (size_t)m * sizeof(double));
                        if (MPI_Send(out, HEAD_RESULT + m, MPI_DOUBLE, 0, MLS_TAG_RESULT, comm) !=
                            MPI_SUCCESS)
                                MLS_ABORT("sending the result of point %lld failed", (long long)row.id);
                        break;
                case MLS_TAG_CHECKPOINT: {
                        double flag;

                        if (MPI_Recv(&flag, 1, MPI_DOUBLE, 0, MLS_TAG_CHECKPOINT, comm, MPI_STATUS_IGNORE) !=
                            MPI_SUCCESS)
                                MLS_ABORT("receiving a checkpoint request failed");
                        last = ((int)flag & CKPT_LAST) != 0;
                        rc = mls_store_append_generations(store, NULL, 0);
                        if (rc == MLS_OK)
                                rc = mls_store_append(store, &rows, &committed);
                        if (rc == MLS_OK && ((int)flag & CKPT_MODEL))
                                rc = mls_store_write_model(store, NULL, 0);
                        mls_rows_clear(&rows);
                        break;
                }
                default: MLS_ABORT("unexpected message tag %d from rank 0", st.MPI_TAG);
                }
        }
        free(out);
        free(in);
        mls_rows_fini(&rows);
        return rc;
}

mls_rc mls_farm_run(MPI_Comm comm, const struct mls_card *card, mls_store *store,
                    const struct mls_farm_opts *opts)
{
        int rank;

        MPI_Comm_rank(comm, &rank);
        return rank == 0 ? lead(comm, card, store, opts) : work(comm, card, store, opts->ev);
}
