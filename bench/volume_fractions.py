#!/usr/bin/python3
"""volume_fractions.py - good-volume fraction (= efficiency of a uniform random scan) of mlscan's
benchmark problems, each with its statistical uncertainty or marked exact.

    /usr/bin/python3 bench/volume_fractions.py [--mc 1e7] [--seed 12345] [--json]
        [--levels 0.9,0.5] [--grid 1048576] [--mc-nd10 4e7] [--is 1e6] [--quick]

Needs only numpy (Debian: apt-get install -y python3-numpy). The default run takes about
35 s on 2 cores (--quick: 4 s). --json prints the same rows as one JSON object on stdout.

What it computes (the problems are those of shared/reference/benchmarks.md):

* shell3d  F = [2 + cos(x1/7) cos(x2/7) cos(x3/7)]^5, x in [-10 pi, 10 pi]^3,
  L = exp(-(F - 100)^2 / (2 * 20^2)); good = L > c for each c of --levels (0.9 and 0.5).
  Plain Monte Carlo (reference: 3.32 % and 8.94 %) and the convolution below with N = 3.
* f2d      F = [2 + cos(x1/5) cos(x2/7)]^5 on [-10 pi, 10 pi]^2, same L; Monte Carlo
  (reference: 4.21 % and 11.1 %) and the convolution with the two factors' own periods.
* shellNd  F = [2 + prod_{i=1..N} cos(x_i/7)]^5 on [-10 pi, 10 pi]^N, N = 5, 10, 20, 40.
  L > c  <=>  |F - 100| < d = 20 sqrt(2 ln(1/c))  <=>  P = prod cos in (p_lo, p_hi) with
  p_lo = max(1, 100 - d)^(1/5) - 2, p_hi = min(243, 100 + d)^(1/5) - 2 (F lies in [1, 243]).
  For c = 0.9 and 0.5 both ends are positive (p_lo < 0 only for c < ~2.5e-5; that case is
  handled too: then |P| < -p_lo with an odd number of negative factors also counts).
  Convolution ("exact"): each factor is cos(U_i), U_i uniform on [-a_i, a_i] (a = 10 pi/7,
  or 2 pi for f2d's first factor), independent. With T_i = -ln|cos U_i| >= 0 and S = sum T_i,
  P > 0 <=> an even number of negative factors, and |P| = exp(-S). One factor's joint law of
  (sign, T) is known in closed form: |cos U| >= y <=> U within theta = arccos(y)
  = atan(sqrt(expm1(2t))) of a multiple of pi (even multiples: cos > 0, odd: cos < 0), so the
  CDF per sign is a sum of interval lengths / a. Its bin probabilities on a grid t_k = k h
  (no density samples: the density has a 1/sqrt singularity at T = 0) are convolved N times
  (FFT, binary powering, truncated to the grid: since T_i >= 0, S <= s needs every T_i <= s,
  so truncation loses nothing), separately for (p+ + p-) and (p+ - p-); the even-parity law is
  half their sum, the odd half their difference. With each T_i in [k_i h, (k_i + 1) h),
  S lies in [S_L, S_L + N h), which gives a rigorous bracket (printed) around the estimate
  (mass at bin centres). Monte Carlo validates it for N = 3 (shell3d), 5 and 10; for N = 20
  and 40 (far below what plain MC resolves) an importance-sampled MC checks it independently
  (per coordinate, Gaussians around the cos = +-1 points 0 and +-pi, width set per level from
  the outer edge of the good window; --is samples per level).
* Gaussian shells (Feroz, Hobson & Bridges 2009, MultiNest paper, sec. 6.2; as used by dynesty
  and UltraNest): L(x) = sum_{c = (+-3.5, 0, ..., 0)} exp(-(|x - c| - 2)^2 / (2 * 0.1^2))
  / sqrt(2 pi 0.1^2), prior U[-6, 6]^D, D = 2, 5, 10. There is no published "good" cut; here
  good = ln L > ln max L - 2, max L = 1/sqrt(2 pi 0.01) (the other shell adds e^-450). That is
  | |x - c| - 2 | < 0.1 sqrt(2 * 2) = 0.2, i.e. a radius band [1.8, 2.2] around each centre; both
  bands lie inside the cube (3.5 + 2.2 < 6) and are disjoint, and the other shell's term is
  below e^-330 there, so the fraction is exactly 2 (V_D(2.2) - V_D(1.8)) / 12^D with
  V_D(r) = pi^(D/2) r^D / Gamma(D/2 + 1) (analytic), checked by Monte Carlo in D = 2, 5 (and 10,
  where MC sees only a couple of points).

Monte Carlo uncertainties are binomial, sqrt(f (1 - f) / n); with no hit, an upper limit
3/n (95 % CL) is printed. "pull" = (MC - exact) / sigma_MC.

Sources: shared/reference/benchmarks.md (problem definitions, reference fractions);
Hammad, Park, Ramos, Saha, "Exploration of parameter spaces assisted by machine learning"
(MLscanner, arXiv:2207.09959) for shell3d/f2d; Feroz, Hobson, Bridges, MNRAS 398 (2009) 1601
(arXiv:0809.3437) for the Gaussian shells.
"""
import argparse
import json
import math
import sys
import time

import numpy as np

TARGET = 100.0
SIGMA = 20.0
A7 = 10.0 * math.pi / 7.0          # x/7 with x in [-10 pi, 10 pi]
A5 = 10.0 * math.pi / 5.0          # x/5 (f2d's first coordinate)

REF = {("shell3d", 0.9): 0.0332, ("shell3d", 0.5): 0.0894,
       ("shell3d", 0.1): 0.187, ("shell3d", 0.01): 0.338,
       ("f2d", 0.9): 0.0421, ("f2d", 0.5): 0.111}

GS_R, GS_W, GS_C, GS_HALF, GS_DLNL = 2.0, 0.1, 3.5, 6.0, 2.0


# --------------------------------------------------------------------------- helpers
def p_interval(c):
    """(p_lo, p_hi): L > c <=> P in (p_lo, p_hi), P = F^(1/5) - 2 in [-1, 1]."""
    d = SIGMA * math.sqrt(2.0 * math.log(1.0 / c))
    f_lo = max(1.0, TARGET - d)
    f_hi = min(243.0, TARGET + d)
    return f_lo ** 0.2 - 2.0, f_hi ** 0.2 - 2.0


def s_intervals(c):
    """Good set in terms of (parity, S = -ln|P|): list of (parity, s_a, s_b), S in (s_a, s_b]."""
    p_lo, p_hi = p_interval(c)
    nl = lambda p: -math.log(p) if p > 0 else math.inf
    out = []
    if p_hi > 0:   # P in (max(p_lo, 0), p_hi): even parity
        out.append(("even", nl(p_hi), nl(max(p_lo, 0.0))))
    if p_lo < 0:   # P in (p_lo, min(p_hi, 0)): odd parity, |P| in (max(-p_hi, 0), -p_lo)
        out.append(("odd", nl(-p_lo), nl(max(-p_hi, 0.0))))
    return out


def fmt_rule(c):
    return "L > %g" % c


# --------------------------------------------------------------------------- convolution
def factor_bins(a, h, m):
    """Bin probabilities (plus, minus) of T = -ln|cos U|, U ~ U[-a, a], on bins [k h, (k+1) h)."""
    t = np.arange(m + 1, dtype=np.float64) * h
    theta = np.arctan(np.sqrt(np.expm1(2.0 * t)))     # arccos(exp(-t)), accurate at t -> 0
    cdf = [np.zeros_like(t), np.zeros_like(t)]         # [cos > 0, cos < 0]
    for j in range(int(a / math.pi) + 2):
        c = j * math.pi
        ln = np.clip(np.minimum(a, c + theta) - np.maximum(0.0, c - theta), 0.0, None)
        cdf[j % 2] += ln
    return np.diff(cdf[0]) / a, np.diff(cdf[1]) / a


def factor_sign_mass(a):
    """(P(cos U > 0), P(cos U < 0)) for U ~ U[-a, a]."""
    plus = 0.0
    for j in range(0, int(a / math.pi) + 2, 2):
        c = j * math.pi
        plus += max(0.0, min(a, c + math.pi / 2) - max(0.0, c - math.pi / 2))
    return plus / a, 1.0 - plus / a


def tconv(x, y, m):
    n = 1 << int(math.ceil(math.log2(2 * m)))
    return np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(y, n), n)[:m]


def tpower(x, k, m):
    res, base = None, x
    while k:
        if k & 1:
            res = base if res is None else tconv(res, base, m)
        k >>= 1
        if k:
            base = tconv(base, base, m)
    return res


def convolution_fractions(halfwidths, levels, m):
    """Good fractions for F = [2 + prod cos(U_i)]^5 by convolution. Returns {c: (est, lo, hi)}.
    One convolution per level, on a grid [0, s_max] of that level, exponentially tilted: every
    factor's bins are multiplied by exp(-lam t) (which commutes with convolution, so the N-fold
    result is the true one times exp(-lam s)), with lam chosen so that the tilted N-fold law
    peaks inside the good window. Untilted, the law grows like s^(N/2 - 1) up to the truncation
    edge, and the FFT's rounding error, relative to the largest term of each product, swamps the
    window for N = 40 (checked against direct summation)."""
    return {c: _conv_level(halfwidths, c, m) for c in levels}


def _conv_level(halfwidths, c, m):
    ivs = s_intervals(c)
    finite = [s for (_, sa, sb) in ivs for s in (sa, sb) if math.isfinite(s)]
    s_max = max(finite)
    s_mid = sum(finite) / len(finite)
    n = len(halfwidths)
    h = s_max / (m - 2)
    lam = max(0.0, n / 2.0 - 1.0) / s_mid
    tilt = np.exp(-lam * h * np.arange(m))
    groups = {}
    for a in halfwidths:
        groups[a] = groups.get(a, 0) + 1
    A = B = None
    for a, k in groups.items():
        pp, pm = factor_bins(a, h, m)
        pp, pm = pp * tilt, pm * tilt
        ga, gb = tpower(pp + pm, k, m), tpower(pp - pm, k, m)
        A = ga if A is None else tconv(A, ga, m)
        B = gb if B is None else tconv(B, gb, m)
    untilt = np.exp(lam * h * np.arange(m))
    cum = {"even": np.cumsum(0.5 * (A + B) * untilt), "odd": np.cumsum(0.5 * (A - B) * untilt)}
    # total mass per parity (S = +inf has probability 0)
    d = 1.0
    for a in halfwidths:
        qp, qm = factor_sign_mass(a)
        d *= qp - qm
    total = {"even": 0.5 * (1 + d), "odd": 0.5 * (1 - d)}

    def G(par, s, shift):
        """P(S_L + shift <= s, parity), S_L on the grid k h."""
        if not math.isfinite(s):
            return total[par]
        k = math.floor((s - shift) / h + 1e-12)
        if k < 0:
            return 0.0
        if k >= m:
            raise RuntimeError("grid too short")
        return float(cum[par][k])

    est = lo = hi = 0.0
    for par, sa, sb in ivs:
        est += G(par, sb, 0.5 * n * h) - G(par, sa, 0.5 * n * h)
        lo += G(par, sb, n * h) - G(par, sa, 0.0)
        hi += G(par, sb, 0.0) - G(par, sa, n * h)
    return est, lo, hi


# --------------------------------------------------------------------------- Monte Carlo
def mc_count(rng, n, dim, lo, hi, good_fn, chunk=1 << 20):
    """Uniform samples in [lo, hi]^dim; good_fn(x) -> list of boolean arrays. Returns hit counts."""
    hits = None
    done = 0
    while done < n:
        k = min(chunk, n - done)
        x = rng.uniform(lo, hi, size=(k, dim))
        g = [int(np.count_nonzero(b)) for b in good_fn(x)]
        hits = g if hits is None else [u + v for u, v in zip(hits, g)]
        done += k
    return hits


def shell_good(divisors, levels):
    def fn(x):
        p = np.cos(x[:, 0] / divisors[0])
        for i in range(1, x.shape[1]):
            p *= np.cos(x[:, i] / divisors[i])
        f = (2.0 + p) ** 5
        lnl = -(f - TARGET) ** 2 / (2 * SIGMA * SIGMA)
        return [lnl > math.log(c) for c in levels]
    return fn


def gs_good(dlnl):
    inv = 1.0 / (2 * GS_W * GS_W)

    def fn(x):
        rest = np.einsum("ij,ij->i", x[:, 1:], x[:, 1:]) if x.shape[1] > 1 else 0.0
        r1 = np.sqrt((x[:, 0] - GS_C) ** 2 + rest)
        r2 = np.sqrt((x[:, 0] + GS_C) ** 2 + rest)
        # ln L - ln(peak); max of ln L - ln(peak) is 0 to within e^-450
        rel = np.logaddexp(-(r1 - GS_R) ** 2 * inv, -(r2 - GS_R) ** 2 * inv)
        return [rel > -dlnl]
    return fn


def mc_stats(k, n):
    f = k / n
    if k == 0:
        return f, None, 3.0 / n
    return f, math.sqrt(f * (1 - f) / n), None


def is_shell(rng, nd, a, c, n, chunk=1 << 18):
    """Importance-sampled MC of the shellNd fraction for good = L > c: per coordinate a mixture
    of three Gaussians (width tau) at the cos = +-1 points 0, +-pi, target density 1/(2a) on
    [-a, a]. tau = arccos(exp(-s_b/N)), the coordinate offset when the outer edge s_b of the
    good window in S = -ln|P| is split evenly; a narrower tau (the window's middle) gives
    heavy-tailed weights and a low-biased estimate. Returns (mean, standard error)."""
    s_b = min(sb for _, _, sb in s_intervals(c))
    if not math.isfinite(s_b):
        return None      # p_lo <= 0 (c < ~2.5e-5): not a thin shell, no check
    tau = math.acos(math.exp(-s_b / nd))
    centres = np.array([-math.pi, 0.0, math.pi])
    lnq0 = -math.log(3.0 * tau * math.sqrt(2 * math.pi))
    lnc = math.log(c)
    s1 = s2 = 0.0
    done = 0
    while done < n:
        k = min(chunk, n - done)
        comp = rng.integers(0, 3, size=(k, nd))
        u = centres[comp] + tau * rng.standard_normal((k, nd))
        inside = np.all(np.abs(u) <= a, axis=1)
        z = (u[..., None] - centres) / tau
        lnq = lnq0 + np.log(np.exp(-0.5 * z * z).sum(axis=-1))   # ln q(u_i)
        lnw = -nd * math.log(2 * a) - lnq.sum(axis=1)
        p = np.prod(np.cos(u), axis=1)
        lnl = -((2.0 + p) ** 5 - TARGET) ** 2 / (2 * SIGMA * SIGMA)
        w = np.where(inside & (lnl > lnc), np.exp(lnw), 0.0)
        s1 += float(w.sum())
        s2 += float((w * w).sum())
        done += k
    mean = s1 / n
    return mean, math.sqrt(max(s2 / n - mean * mean, 0.0) / n)


def gs_analytic(d):
    vd = math.pi ** (d / 2) / math.gamma(d / 2 + 1)
    band = GS_W * math.sqrt(2 * GS_DLNL)
    r_lo, r_hi = GS_R - band, GS_R + band
    assert GS_C + r_hi < GS_HALF and 2 * r_hi < 2 * GS_C
    return 2 * vd * (r_hi ** d - r_lo ** d) / (2 * GS_HALF) ** d, r_lo, r_hi


# --------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mc", type=float, default=1e7, help="Monte Carlo samples per problem (1e7)")
    ap.add_argument("--mc-nd10", type=float, default=4e7,
                    help="MC samples for the shellNd N = 10 check (4e7; its fraction is ~1e-5)")
    ap.add_argument("--is", dest="n_is", type=float, default=1e6,
                    help="importance-sampled MC samples for the N = 20, 40 checks (1e6)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--levels", default="0.9,0.5", help="L thresholds c, good = L > c (0.9,0.5)")
    ap.add_argument("--grid", type=int, default=1 << 20, help="convolution grid bins (2^20)")
    ap.add_argument("--quick", action="store_true", help="1e6 MC samples, 2^18 bins (smoke test)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = ap.parse_args()
    if args.quick:
        args.mc, args.mc_nd10, args.n_is, args.grid = 1e6, 1e6, 2e5, 1 << 18
    n_mc, n_10, n_is = int(args.mc), int(args.mc_nd10), int(args.n_is)
    levels = [float(v) for v in args.levels.split(",")]
    if not all(0 < c < 1 for c in levels):
        ap.error("levels must lie in (0, 1)")
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    rows = []

    def add(problem, dim, rule, frac, method, unc=None, upper=None, exact=None, n=None,
            hits=None, bracket=None, ref=None, check=None):
        name = problem.split(" ")[0] if not problem.startswith("gaussian") else "gaussian_shells"
        level = float(rule.split()[-1])   # c of "L > c", or Delta lnL of "lnL > ln Lmax - 2"
        rows.append(dict(problem=problem, name=name, dim=dim, rule=rule, level=level,
                         fraction=frac, uncertainty=unc,
                         upper_limit_95=upper, exact=exact, method=method, n_samples=n,
                         hits=hits, bracket=bracket, reference=ref, check=check))

    def pull(mc_row, exact_val):
        if mc_row["uncertainty"]:
            p = (mc_row["fraction"] - exact_val) / mc_row["uncertainty"]
        else:
            p = None
        return p

    # ---- shell3d / shellNd / f2d
    rng_lo, rng_hi = -10 * math.pi, 10 * math.pi
    cases = [("shell3d", 3, [7.0] * 3, n_mc), ("f2d", 2, [5.0, 7.0], n_mc),
             ("shellNd", 5, [7.0] * 5, n_mc), ("shellNd", 10, [7.0] * 10, n_10),
             ("shellNd", 20, [7.0] * 20, 0), ("shellNd", 40, [7.0] * 40, 0)]
    for name, nd, divs, nmc in cases:
        label = name if name != "shellNd" else "shellNd N=%d" % nd
        conv = convolution_fractions([10 * math.pi / dv for dv in divs], levels, args.grid)
        mc_rows = {}
        if nmc:
            hits = mc_count(rng, nmc, nd, rng_lo, rng_hi, shell_good(divs, levels))
            for c, k in zip(levels, hits):
                f, s, up = mc_stats(k, nmc)
                add(label, nd, fmt_rule(c), f, "MC", unc=s, upper=up, exact=False, n=nmc, hits=k,
                    ref=REF.get((name, c)))
                mc_rows[c] = rows[-1]
        is_res = None
        if nd >= 20 and n_is:
            is_res = [is_shell(rng, nd, A7, c, n_is) for c in levels]
        for j, c in enumerate(levels):
            est, lo, hi = conv[c]
            chk = {}
            if c in mc_rows:
                chk["vs"] = "MC"
                chk["pull"] = pull(mc_rows[c], est)
                mc_rows[c]["check"] = {"vs": "convolution", "pull": chk["pull"]}
            add(label + (" (=shellNd N=3)" if name == "shell3d" else ""), nd, fmt_rule(c), est,
                "convolution", exact=True, bracket=[lo, hi], ref=REF.get((name, c)),
                check=chk or None)
            if is_res and is_res[j]:
                m, s = is_res[j]
                p = (m - est) / s if s > 0 else None
                add(label, nd, fmt_rule(c), m, "importance-sampled MC (check)", unc=s,
                    exact=False, n=n_is, check={"vs": "convolution", "pull": p})

    # ---- Gaussian shells
    rule = "lnL > ln Lmax - %g" % GS_DLNL
    for d in (2, 5, 10):
        label = "gaussian shells D=%d" % d
        exact, r_lo, r_hi = gs_analytic(d)
        (k,) = mc_count(rng, n_mc, d, -GS_HALF, GS_HALF, gs_good(GS_DLNL))
        f, s, up = mc_stats(k, n_mc)
        add(label, d, rule, f, "MC", unc=s, upper=up, exact=False, n=n_mc, hits=k)
        mc_row = rows[-1]
        p = pull(mc_row, exact)
        mc_row["check"] = {"vs": "analytic", "pull": p}
        add(label, d, rule, exact,
            "analytic 2(V_D(%.1f)-V_D(%.1f))/12^D" % (r_hi, r_lo), exact=True,
            check={"vs": "MC", "pull": p})

    runtime = time.time() - t0
    meta = dict(mc=n_mc, mc_nd10=n_10, importance_samples=n_is, seed=args.seed, levels=levels,
                grid=args.grid, runtime_s=round(runtime, 2), numpy=np.__version__)
    if args.json:
        json.dump(dict(meta=meta, rows=rows), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    print_table(rows, meta)


def print_table(rows, meta):
    hdr = ["problem", "good rule", "fraction", "percent", "uncertainty", "method", "check / note"]
    out = []
    for r in rows:
        f = r["fraction"]
        pct = ("%.4f %%" % (100 * f)) if f >= 1e-4 else ("%.3e %%" % (100 * f))
        if r["exact"]:
            unc = "exact (convolution)" if r["method"] == "convolution" else "exact (analytic)"
        elif r["uncertainty"] is None:
            unc = "< %.1e (95%% CL)" % r["upper_limit_95"]
        else:
            unc = "%.2e" % r["uncertainty"]
        notes = []
        if r["bracket"]:
            notes.append("grid bracket [%.4e, %.4e]" % tuple(r["bracket"]))
        if r["check"] and r["check"].get("pull") is not None:
            notes.append("vs %s: pull %+.2f sigma" % (r["check"]["vs"], r["check"]["pull"]))
        elif r["check"]:
            notes.append("vs %s: no hit" % r["check"]["vs"])
        if r["reference"] is not None:
            notes.append("ref %.3g %%" % (100 * r["reference"]))
        method = r["method"]
        if r["n_samples"]:
            method += " n=%.0e" % r["n_samples"] + (" k=%d" % r["hits"] if r["hits"] is not None else "")
        out.append([r["problem"], r["rule"], "%.4e" % f, pct, unc, method, "; ".join(notes)])
    w = [max(len(hdr[i]), *(len(o[i]) for o in out)) for i in range(len(hdr))]
    line = lambda cells: " | ".join(c.ljust(w[i]) for i, c in enumerate(cells)).rstrip()
    print(line(hdr))
    print("-+-".join("-" * x for x in w))
    for o in out:
        print(line(o))
    print("# good-volume fraction = efficiency of a uniform random scan; MC uncertainty binomial;")
    print("# pull = (MC - exact)/sigma_MC. mc=%.0e mc_nd10=%.0e is=%.0e seed=%d grid=%d runtime %.1f s"
          % (meta["mc"], meta["mc_nd10"], meta["importance_samples"], meta["seed"], meta["grid"],
             meta["runtime_s"]))


if __name__ == "__main__":
    main()
