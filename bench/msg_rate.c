/*
 * msg_rate.c - the raw MPI message rate of mlscan's dispatch protocol, without mlscan
 * (bench/capacity.sh). Plain MPI, no mlscan code:
 *
 *   mpirun -n 64 msg_rate N [d m inflight poll]
 *
 * Rank 0 hands out N points and collects N results, as src/farm.c does: every worker keeps
 * `inflight` (default 2) points in flight; rank 0 waits for a result with
 * MPI_Iprobe(MPI_ANY_SOURCE) + MPI_Recv of 5 + m doubles and answers the rank that sent it with
 * the next point, one MPI_Send of 3 + d doubles, until N results are in. A worker takes a point
 * with MPI_Probe + MPI_Recv, computes the shell3d value of its first three coordinates (a
 * fraction of a microsecond) and sends back a result message. d = 3, m = 1 by default (the
 * built-in shell3d model). poll: `nap` (default) polls as src/farm.c does (200 empty probes,
 * then nanosleep from 50 us doubling to 1 ms); `spin` never sleeps.
 *
 * Prints one line: `msg_rate: ranks R, results N, seconds T, results/s X, us per result Y`.
 * T runs from the first point sent to the last result received (MPI start-up excluded).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_POINT = 100, TAG_RESULT, TAG_STOP };
#define HEAD_POINT  3
#define HEAD_RESULT 5
#define PI          3.14159265358979323846

static long arg(int argc, char **argv, int i, long dflt, long min)
{
        char *end;
        long v;

        if (argc <= i)
                return dflt;
        v = strtol(argv[i], &end, 10);
        if (*end || v < min) {
                fprintf(stderr, "msg_rate: argument %d '%s': want an integer >= %ld\n", i, argv[i], min);
                MPI_Abort(MPI_COMM_WORLD, 2);
        }
        return v;
}

static void send_point(double *msg, int d, long id, int worker)
{
        msg[0] = (double)id;
        msg[1] = 0;
        msg[2] = 0;
        for (int k = 0; k < d; k++) /* a cheap pseudo-random coordinate */
                msg[HEAD_POINT + k] = (double)((id * 2654435761L + k * 40503L) % 1000003L) / 1000003.0;
        MPI_Send(msg, HEAD_POINT + d, MPI_DOUBLE, worker, TAG_POINT, MPI_COMM_WORLD);
}

static void lead(int size, long n, int d, int m, int inflight, int nap_ok)
{
        double *pt = calloc((size_t)(HEAD_POINT + d), sizeof(double));
        double *res = calloc((size_t)(HEAD_RESULT + m), sizeof(double));
        double stop = 0, t0, t1;
        long sent = 0, got = 0;

        t0 = MPI_Wtime();
        for (int slot = 0; slot < inflight; slot++)
                for (int w = 1; w < size && sent < n; w++)
                        send_point(pt, d, sent++, w);
        while (got < n) {
                struct timespec nap = {0, 0};
                MPI_Status st;
                long spins = 0;
                int flag = 0;

                for (;;) {
                        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
                        if (flag)
                                break;
                        if (nap_ok && ++spins > 200) {
                                nap.tv_nsec = nap.tv_nsec ? nap.tv_nsec * 2 : 50000;
                                if (nap.tv_nsec > 1000000)
                                        nap.tv_nsec = 1000000;
                                nanosleep(&nap, NULL);
                        }
                }
                MPI_Recv(res, HEAD_RESULT + m, MPI_DOUBLE, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &st);
                got++;
                if (sent < n)
                        send_point(pt, d, sent++, st.MPI_SOURCE);
        }
        t1 = MPI_Wtime();
        for (int w = 1; w < size; w++)
                MPI_Send(&stop, 1, MPI_DOUBLE, w, TAG_STOP, MPI_COMM_WORLD);
        printf("msg_rate: ranks %d, results %ld, seconds %.4f, results/s %.1f, us per result %.3f\n", size, n,
               t1 - t0, (double)n / (t1 - t0), 1e6 * (t1 - t0) / (double)n);
        free(res);
        free(pt);
}

static void work(int d, int m)
{
        double *pt = calloc((size_t)(HEAD_POINT + d), sizeof(double));
        double *res = calloc((size_t)(HEAD_RESULT + m), sizeof(double));

        for (;;) {
                MPI_Status st;
                double c = 1, f, t0;

                MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
                if (st.MPI_TAG == TAG_STOP) {
                        MPI_Recv(pt, 1, MPI_DOUBLE, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                        break;
                }
                MPI_Recv(pt, HEAD_POINT + d, MPI_DOUBLE, 0, TAG_POINT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                t0 = MPI_Wtime();
                for (int k = 0; k < d && k < 3; k++)
                        c *= cos((-10 * PI + 20 * PI * pt[HEAD_POINT + k]) / 7);
                f = pow(2 + c, 5);
                res[0] = pt[0];
                res[1] = 0;
                res[2] = (f - 100) * (f - 100) / 800;
                res[3] = res[2] < 0.1053605156578263;
                for (int k = 0; k < m; k++)
                        res[HEAD_RESULT + k] = f;
                res[4] = MPI_Wtime() - t0;
                MPI_Send(res, HEAD_RESULT + m, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
        }
        free(res);
        free(pt);
}

int main(int argc, char **argv)
{
        int rank, size;
        long n, d, m, inflight;
        int nap_ok = 1;

        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (argc < 2 || size < 2) {
                if (rank == 0)
                        fprintf(stderr, "usage: mpirun -n R msg_rate N [d m inflight nap|spin]  (R >= 2)\n");
                MPI_Finalize();
                return 2;
        }
        n = arg(argc, argv, 1, 0, 1);
        d = arg(argc, argv, 2, 3, 1);
        m = arg(argc, argv, 3, 1, 0);
        inflight = arg(argc, argv, 4, 2, 1);
        if (argc > 5) {
                if (strcmp(argv[5], "spin") && strcmp(argv[5], "nap")) {
                        if (rank == 0)
                                fprintf(stderr, "msg_rate: poll must be nap or spin, not '%s'\n", argv[5]);
                        MPI_Abort(MPI_COMM_WORLD, 2);
                }
                nap_ok = strcmp(argv[5], "spin") != 0;
        }
        if (rank == 0)
                lead(size, n, (int)d, (int)m, (int)inflight, nap_ok);
        else
                work((int)d, (int)m);
        MPI_Finalize();
        return 0;
}
