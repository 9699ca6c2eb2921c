# nn_tables.awk - the tables of bench/nn_vs_torch.sh from its raw result lines
# ("nn_engine key=value ... rep=R" and "nn_torch key=value ... rep=R blas=B").
# Variables: mhz (cpu MHz), blas_set, cases, threads, wc_sizes (space-separated lists).

function median(list,    a, n, i, j, t) {
        n = split(list, a, " ")
        if (n == 0)
                return "nan"
        for (i = 2; i <= n; i++)
                for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
                        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
                }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function count(list,    a) { return split(list, a, " ") }
function add(arr, k, v) { arr[k] = arr[k] " " v }
function ratio(a, b) { return (a == "nan" || b == "nan" || b + 0 == 0) ? "n/a" : sprintf("%.2f", a / b) }
function pair(c, w) { return (c == "nan") ? "n/a" : sprintf("%.2f/%.2f", c, w) }
# reps - " (k of n)" when some repetitions are missing
function reps(list, n) { return count(list) < n ? sprintf(" (%d)", count(list)) : "" }

$1 !~ /^(nn_engine|nn_torch|failed)$/ { next }
{
        split("", f)
        for (i = 2; i <= NF; i++) {
                eq = index($i, "=")
                if (eq)
                        f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
        }
        if ($1 == "failed") {
                nfail++
                next
        }
        if (f["what"] == "train" && f["rep"] + 0 > nrep)
                nrep = f["rep"] + 0
        src = $1 == "nn_torch" ? f["blas"] : "engine"
        k = f["case"] SUBSEP f["threads"] SUBSEP src
        w = f["what"]
        if (w == "peak")
                add(peak, f["isa"], f["gflops"])
        else if (w == "init")
                init[k] = f["train_loss"]
        else if (w == "train") {
                add(tc, k, f["cpu_s"]); add(tw, k, f["wall_s"]); gflop_tr[k] = f["gflop"]
                ntrain = f["n"]; ep_tr[k] = f["epochs"]
        } else if (w == "test")
                add(tl, k, f["loss"])
        else if (w == "infer") {
                # torch tries several batch sizes per repetition: keep the fastest of each repetition
                kr = k SUBSEP f["rep"]
                if (!(kr in ic) || f["cpu_s"] + 0 < ic[kr] + 0) {
                        ic[kr] = f["cpu_s"]; iw[kr] = f["wall_s"]; ib[kr] = f["batch"]
                }
                if (src == "engine")
                        gflop_inf[k] = f["gflop"]
                ninfer = f["n"]
        } else if (w == "warmcold") {
                kw = f["n"] SUBSEP f["run"]
                add(wc_cpu, kw, f["cpu_s"]); add(wc_best, kw, f["cpu_best_s"]); add(wc_reach, kw, f["cpu_reach_s"])
                add(wc_near, kw, f["cpu_near_s"])
                wc_ep[kw] = f["epochs"]; wc_be[kw] = f["best_epoch"]; wc_re[kw] = f["reach_epoch"]
                wc_ne[kw] = f["near_epoch"]; wc_val[kw] = f["val"]; wc_test[kw] = f["test"]
                wc_first[kw] = f["first_val"]; wc_tgt[kw] = f["target"]
        }
}

END {
        nb = split(blas_set, B, " ")
        nc = split(cases, C, " ")
        nt = split(threads, T, " ")
        p2 = median(peak["avx2"]); p5 = median(peak["avx512"])
        nom = 2 * 8 * 2 * mhz / 1000
        printf "\nPeaks of one core (FP32): nominal AVX2 2 FMA x 8 x 2 x %d MHz (cpu MHz) = %.1f GFLOP/s; ", mhz, nom
        printf "measured FMA loop: AVX2 %s, AVX-512 %s GFLOP/s (medians of 3)\n", p2, p5

        printf "\nTRAINING: N = %s points, ep epochs, batch 500; medians of %d; times in CPU s / wall s;\n", ntrain, nrep
        printf "x = torch / engine (> 1: the engine is faster), on CPU time and on wall time\n"
        printf "%-6s %2s %3s | %-13s", "case", "T", "ep", "engine"
        for (b = 1; b <= nb; b++)
                printf " | %-13s %-11s", "torch[" B[b] "]", "x cpu/wall"
        printf " | %-8s %-9s %-9s %-9s\n", "eng GF/s", "%nomAVX2", "%measAVX2", "%meas512"
        for (c = 1; c <= nc; c++)
                for (t = 1; t <= nt; t++) {
                        ke = C[c] SUBSEP T[t] SUBSEP "engine"
                        ec = median(tc[ke]); ew = median(tw[ke])
                        printf "%-6s %2s %3s | %-13s", C[c], T[t], ep_tr[ke], pair(ec, ew) reps(tc[ke], nrep)
                        for (b = 1; b <= nb; b++) {
                                kt = C[c] SUBSEP T[t] SUBSEP B[b]
                                xc = median(tc[kt]); xw = median(tw[kt])
                                printf " | %-13s %-11s", pair(xc, xw) reps(tc[kt], nrep), ratio(xc, ec) "/" ratio(xw, ew)
                        }
                        gf = ec == "nan" ? 0 : gflop_tr[ke] / ec
                        printf " | %-8.1f %-9.0f %-9.0f %-9.0f\n", gf, 100 * gf / nom, p2 ? 100 * gf / p2 : 0,
                                p5 ? 100 * gf / p5 : 0
                }

        if (nt > 1) {
                printf "Threads: training wall time per epoch with T threads / with %s thread(s) (< 1: faster)\n", T[1]
                for (c = 1; c <= nc; c++)
                        for (t = 2; t <= nt; t++) {
                                printf "  %-6s T=%s:", C[c], T[t]
                                for (b = 0; b <= nb; b++) {
                                        src = b == 0 ? "engine" : B[b]
                                        k1 = C[c] SUBSEP T[1] SUBSEP src; kt = C[c] SUBSEP T[t] SUBSEP src
                                        w1 = median(tw[k1]); wt = median(tw[kt])
                                        printf "  %s %s", src, (w1 == "nan" || wt == "nan") ? "n/a" : \
                                                sprintf("%.2f", (wt / ep_tr[kt]) / (w1 / ep_tr[k1]))
                                }
                                printf "\n"
                        }
        }
        printf "\nINFERENCE of %s points (torch: the faster of batch 4096 and 65536 in each repetition) and TEST LOSS\n", ninfer
        printf "(10,000 held-out points; MSE of standardised targets, or BCE); medians; CPU s / wall s\n"
        printf "%-6s %2s | %-11s %-7s", "case", "T", "engine", "GF/s"
        for (b = 1; b <= nb; b++)
                printf " | %-11s %-6s %-9s", "torch[" B[b] "]", "batch", "x cpu/wall"
        printf " | %-9s", "loss eng"
        for (b = 1; b <= nb; b++)
                printf " %-9s", B[b]
        printf "\n"
        for (c = 1; c <= nc; c++)
                for (t = 1; t <= nt; t++) {
                        ke = C[c] SUBSEP T[t] SUBSEP "engine"
                        lc = ""; lw = ""
                        for (r = 1; r <= nrep; r++)
                                if ((ke SUBSEP r) in ic) {
                                        lc = lc " " ic[ke SUBSEP r]; lw = lw " " iw[ke SUBSEP r]
                                }
                        ec = median(lc); ew = median(lw)
                        printf "%-6s %2s | %-11s %-7.1f", C[c], T[t], pair(ec, ew), ec == "nan" ? 0 : gflop_inf[ke] / ec
                        for (b = 1; b <= nb; b++) {
                                kt = C[c] SUBSEP T[t] SUBSEP B[b]
                                lc = ""; lw = ""; bs = ""
                                for (r = 1; r <= nrep; r++)
                                        if ((kt SUBSEP r) in ic) {
                                                lc = lc " " ic[kt SUBSEP r]; lw = lw " " iw[kt SUBSEP r]
                                                bs = bs (bs == "" ? "" : ",") ib[kt SUBSEP r]
                                        }
                                xc = median(lc); xw = median(lw)
                                sub(/^(4096,)+4096$/, "4096", bs); sub(/^(65536,)+65536$/, "65536", bs)
                                printf " | %-11s %-6s %-9s", pair(xc, xw), bs, ratio(xc, ec) "/" ratio(xw, ew)
                        }
                        printf " | %-9.4g", median(tl[ke])
                        for (b = 1; b <= nb; b++)
                                printf " %-9.4g", median(tl[C[c] SUBSEP T[t] SUBSEP B[b]])
                        printf "\n"
                }

        # Identical start: the initial training loss of both engines on the same weights and data.
        worst = 0
        for (k in init) {
                split(k, p, SUBSEP)
                ke = p[1] SUBSEP p[2] SUBSEP "engine"
                if (p[3] != "engine" && (ke in init)) {
                        d = init[k] - init[ke]; d = d < 0 ? -d : d
                        if (d / init[ke] > worst)
                                worst = d / init[ke]
                }
        }
        printf "\nSame start: largest relative difference of the initial training loss, torch vs engine: %.2g\n", worst

        nw = split(wc_sizes, W, " ")
        if (nw > 0) {
                printf "\nWARM vs COLD (1 thread, CPU s, medians; times include the validation after each epoch).\n"
                printf "cold: fresh network, early stopping (patience 10); its best validation loss is the target.\n"
                printf "warm: the previous generation (first 90%% of the points, early stopping) trained on all N;\n"
                printf "reach = first epoch at <= target (0: before any new training), ~1%% = within 1%% of it.\n"
                printf "%-7s | %-9s %-8s %-8s %-8s | %-9s %-5s %-8s %-5s %-8s %-8s | %-8s %-8s %-6s | %-8s %-8s | %-9s\n",
                        "N", "target", "cold ep", "cold s*", "cold s", "warm val0", "reach", "s", "~1%", "s",
                        "warm ES", "x reach", "x ~1%", "x ES", "test cld", "test wrm", "native"
                for (i = 1; i <= nw; i++) {
                        kc = W[i] SUBSEP "cold"; kw = W[i] SUBSEP "warm"; kn = W[i] SUBSEP "native"
                        cb = median(wc_best[kc])
                        re = wc_re[kw]; ne = wc_ne[kw]
                        rs = (re >= 0) ? median(wc_reach[kw]) : "nan"; ns = (ne >= 0) ? median(wc_near[kw]) : "nan"
                        printf "%-7s | %-9.4g %-8s %-8.3f %-8.3f | %-9.4g %-5s %-8s %-5s %-8s %-8s | %-8s %-8s %-6s | %-8.4g %-8.4g | %-9s\n",
                                W[i], wc_tgt[kw], wc_be[kc] "/" wc_ep[kc], cb, median(wc_cpu[kc]), wc_first[kw],
                                (re >= 0 ? re : "never"), (rs == "nan" ? "-" : sprintf("%.4f", rs)),
                                (ne >= 0 ? ne : "never"), (ns == "nan" ? "-" : sprintf("%.4f", ns)),
                                sprintf("%.2f", median(wc_cpu[kw])) "(" wc_ep[kw] ")",
                                ratio(cb, rs), ratio(cb, ns), ratio(median(wc_cpu[kc]), median(wc_cpu[kw])), wc_test[kc], wc_test[kw],
                                (kn in wc_ep) ? sprintf("%s/%s %.2fs", wc_be[kn], wc_ep[kn], median(wc_cpu[kn])) : "-"
                }
                printf "cold ep = best epoch/epochs run; cold s* = CPU s to its best epoch, cold s = with the patience tail;\n"
                printf "warm ES = CPU s (epochs) of the warm run with the same early stopping; x = cold s* / warm s, x ES = cold s / warm ES;\n"
                printf "native = one mls_nn_train() call with its own 20%% split: best epoch/epochs and CPU s.\n"
        }
        if (nfail)
                printf "\n%d run(s) FAILED or timed out: their numbers are missing above (the count of repetitions used is in brackets).\n", nfail
}
