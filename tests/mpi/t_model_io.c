/*
 * t_model_io - the network saved in the run's HDF5 file comes back exactly: written
 * collectively (rank 0 holds the data), overwritten at a later generation, read back
 * serially; predictions and one more epoch of training are bitwise identical.
 * usage: t_model_io OUT.h5 (run on any number of ranks). Exit 0 pass, 1 fail.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlscan/card.h"
#include "mlscan/log.h"
#include "mlscan/nn.h"
#include "mlscan/physics.h"
#include "mlscan/rng.h"
#include "mlscan/store.h"

static const char card_text[] = "stop: {evaluations: 10}\n"
                                "parameters: {a: {range: [0, 1]}, b: {range: [0, 1]}, c: {range: [0, 1]}}\n"
                                "physics: {builtin: shell3d}\n"
                                "likelihood: {F: {gauss: {mean: 100, sigma: 20}}}\n"
                                "target: {nll_below: 1}\n";

static int failures;

#define EXPECT(cond, ...)                                                                                    \
        do {                                                                                                 \
                if (!(cond)) {                                                                               \
                        failures++;                                                                          \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                 \
                        fprintf(stderr, __VA_ARGS__);                                                        \
                        fputc('\n', stderr);                                                                 \
                }                                                                                            \
        } while (0)

static void make_data(double *x, double *y, int n, uint64_t seed)
{
        struct mls_rng r;

        mls_rng_init(&r, seed, 0);
        for (int i = 0; i < n; i++) {
                double s = 0.0;

                for (int j = 0; j < 3; j++) {
                        x[i * 3 + j] = 4.0 * mls_rng_uniform(&r) - 2.0;
                        s += x[i * 3 + j] * x[i * 3 + j];
                }
                y[i] = s;
        }
}

/* Rank 0's side: read back, compare, predict and train both copies. */
static void check_readback(const char *path, mls_nn *nn, const double *x, const double *y, int n)
{
        struct mls_nn_train_opts o;
        struct mls_nn_state saved, now;
        struct mls_nn_report rep;
        mls_nn *back = NULL;
        double *p1 = calloc((size_t)n, sizeof(double)), *p2 = calloc((size_t)n, sizeof(double));
        int32_t gen = -1;

        EXPECT(mls_store_read_model(path, &saved, &gen) == MLS_OK, "reading the model back");
        if (failures)
                return;
        mls_nn_state_get(nn, &now);
        EXPECT(gen == 4, "generation %d, expected 4 (the second write)", gen);
        EXPECT(memcmp(&saved.arch, &now.arch, sizeof(now.arch)) == 0, "architecture differs");
        EXPECT(saved.nparams == now.nparams && saved.step == now.step && saved.scaled == now.scaled,
               "counts differ: %lld/%lld params, step %lld/%lld", (long long)saved.nparams,
               (long long)now.nparams, (long long)saved.step, (long long)now.step);
        EXPECT(!memcmp(saved.params, now.params, (size_t)now.nparams * sizeof(float)), "weights differ");
        EXPECT(!memcmp(saved.adam_m, now.adam_m, (size_t)now.nparams * sizeof(float)), "Adam m differs");
        EXPECT(!memcmp(saved.adam_v, now.adam_v, (size_t)now.nparams * sizeof(float)), "Adam v differs");
        EXPECT(!memcmp(saved.x_mean, now.x_mean, 3 * sizeof(double)) &&
                       !memcmp(saved.y_std, now.y_std, sizeof(double)),
               "scalers differ");
        EXPECT(mls_nn_state_load(&saved, 1, &back) == MLS_OK, "loading the saved state");
        mls_store_model_free(&saved);
        if (failures)
                goto out;
        mls_nn_predict(nn, x, n, p1);
        mls_nn_predict(back, x, n, p2);
        EXPECT(!memcmp(p1, p2, (size_t)n * sizeof(double)), "predictions of the reloaded model differ");
        /* Resuming training from the file continues exactly where the run was. */
        mls_nn_train_defaults(&o, MLS_OUT_LINEAR);
        o.epochs = 2;
        o.batch = 64;
        o.seed = 99;
        mls_nn_train(nn, x, y, n, &o, &rep);
        mls_nn_train(back, x, y, n, &o, &rep);
        EXPECT(!memcmp(mls_nn_params(nn), mls_nn_params(back), (size_t)mls_nn_nparams(nn) * sizeof(float)),
               "training the reloaded model diverges from the original");
out:
        mls_nn_destroy(&back);
        free(p1);
        free(p2);
}

int main(int argc, char **argv)
{
        struct mls_nn_arch arch = {.nin = 3, .nout = 1, .nhidden = 2, .width = {16, 8}, .act = MLS_ACT_TANH};
        struct mls_nn_train_opts o;
        struct mls_nn_report rep;
        struct mls_nn_state st;
        struct mls_card card;
        mls_store *store = NULL;
        mls_nn *nn = NULL;
        char err[512];
        int rank, n = 400, total;
        double *x = calloc(400 * 3, sizeof(double)), *y = calloc(400, sizeof(double));
        int32_t gen;

        MPI_Init(&argc, &argv);
        mls_log_init(MPI_COMM_WORLD, MLS_LOG_WARN);
        mls_store_quiet();
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        if (argc != 2 ||
            mls_card_parse(card_text, strlen(card_text), "t.yaml", &card, err, sizeof(err)) != MLS_OK)
                MLS_ABORT("usage: t_model_io OUT.h5 (%s)", err);
        EXPECT(mls_store_create(MPI_COMM_WORLD, argv[1], true, &card, 1,
                                mls_builtin_get(card.builtin)->obs_names, &store) == MLS_OK,
               "creating %s", argv[1]);
        if (rank == 0) {
                make_data(x, y, n, 5);
                mls_nn_train_defaults(&o, MLS_OUT_LINEAR);
                o.epochs = 5;
                o.batch = 64;
                EXPECT(mls_nn_create(&arch, 7, 1, &nn) == MLS_OK, "creating the network");
                EXPECT(mls_nn_train(nn, x, y, n, &o, &rep) == MLS_OK, "training");
                mls_nn_state_get(nn, &st);
        }
        EXPECT(mls_store_write_model(store, rank == 0 ? &st : NULL, 3) == MLS_OK, "first model write");
        if (rank == 0) {
                o.seed = 8;
                EXPECT(mls_nn_train(nn, x, y, n, &o, &rep) == MLS_OK, "training again");
                mls_nn_state_get(nn, &st);
        }
        /* The second write overwrites the first in place. */
        EXPECT(mls_store_write_model(store, rank == 0 ? &st : NULL, 4) == MLS_OK, "second model write");
        EXPECT(mls_store_close(&store) == MLS_OK, "closing");
        if (rank == 0 && !failures)
                check_readback(argv[1], nn, x, y, n);
        /* A file without a model says so. */
        if (rank == 0 && mls_store_read_model("/nonexistent.h5", &st, &gen) != MLS_ERR_IO) {
                failures++;
                fprintf(stderr, "FAIL: reading a missing file did not fail with MLS_ERR_IO\n");
        }
        mls_nn_destroy(&nn);
        mls_card_fini(&card);
        free(x);
        free(y);
        MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        if (rank == 0)
                printf("%s: %d failures\n", total ? "FAIL" : "PASS", total);
        MPI_Finalize();
        return total ? 1 : 0;
}
