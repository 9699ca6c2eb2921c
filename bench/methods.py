#!/usr/bin/python3
"""methods.py - mlscan's scan methods (random, dnnr, dnnc, mls) side by side, same budget.

    /usr/bin/python3 bench/methods.py --seeds 3          # the full benchmark, medians of 3 seeds
    /usr/bin/python3 bench/methods.py                    # 1 seed (5-10 min on 2 cores)
    /usr/bin/python3 bench/methods.py --quick            # smoke run, 10 s - 2 min
    /usr/bin/python3 bench/methods.py --problems shell3d_L09,f2d --methods random,mls \\
        --evaluations 10000 --jobs 2 --keep /tmp/mb --json /tmp/mb.json

Needs Debian's python3 with python3-h5py, python3-numpy and python3-yaml, and a built mlscan
(`make -j2` at the top of the tree). How long: a random scan of 20,000 points takes about a
second; a learning method 15-50 s depending on the problem (the training set grows with the
run), so the default (9 problems x 4 methods x 1 seed, 2 scans at a time) takes 5-10 minutes
(mlscan's speed changes as it is developed; allow up to an hour) and --seeds 3 three times
that. --quick (budget 5,000, problems shell3d_L05 and f2d, methods random and mls) takes about
10 s on an idle machine (up to a minute or two when busy).
Measured 2026-11-25 (2 cores, load 1-2): the default run took 6 min (362 s), --quick 5 s.

What it measures. Every problem (below) is written as a run card with the same stop
(stop.evaluations = the budget, 20,000 by default; no other stop) and everything else at
mlscan's defaults, and run once per method and seed as one process:
`mlscan CARD --output F --force -q` (with one rank, rank 0 evaluates the points itself, so the
wall time is rank 0's time). The binary is copied to the temporary directory first, so a
rebuild during the benchmark does not mix versions. At most --jobs (default 2) scans run at once.
From each output file (h5py; only the committed /points@rows rows are read):

* eff      good / evaluated over the whole run (all /points rows, generation 0 included);
           the median over seeds, [min-max] when there are several seeds.
* x random eff / random's efficiency on the same problem; random's efficiency is pooled over
           the seeds (total good / total evaluated). When random found no good point, the exact
           volume fraction (= random's expected efficiency) from bench/volume_fractions.py --json
           is used if that script exists and answers; otherwise a lower bound eff x budget
           (1/budget taken as an upper bound of random's efficiency), printed "> N x". Footnotes
           say which.
* to 2k    evaluations needed for 2,000 good points (points sorted by id); "-" if not reached
           (with several seeds: the median, an unreached seed counting as infinite, and how
           many seeds reached it).
* coverage shell3d only: each good point goes to the nearest of the 13 shell centres (the
           origin and the 12 points with two coordinates +-7 pi and the third 0);
           min/mean of the 13 counts, then (min count, mean count).
* wall s   wall time of the mlscan process (MPI start-up and file close included).
* t+p s    sum over /generations of train_seconds + propose_seconds (rank 0's learning cost);
* ms/pt    that sum / evaluated points, in milliseconds.

A run that exits non-zero (or times out, --timeout) is shown as failed with the last line of
its stderr; the benchmark goes on. --json FILE dumps every run's raw numbers ("-": stdout,
the table then goes to stderr). --keep DIR keeps the cards and .h5 files.

Problems (parameters x1..xN; range [-10 pi, 10 pi] unless said; F: gauss(100, 20)):
  shell3d_L09  builtin shell3d, good = L > 0.9 (nll_below -ln 0.9)
  shell3d_L05  builtin shell3d, good = L > 0.5 (nll_below ln 2)
  f2d          builtin f2d (2 parameters), L > 0.9
  shell5d, shell10d, shell20d   builtin shellnd, N = 5, 10, 20, L > 0.9
  gshells2d, gshells5d, gshells10d   builtin gaussian_shells in [-6, 6]^D, likelihood
               lnL: loglike; good = lnL within 2 of the peak lnL_max = -0.5 ln(2 pi 0.01)
               (nll_below = -lnL_max + 2)
Problem definitions: shared/reference/benchmarks.md.
"""
import argparse
import concurrent.futures as cf
import datetime
import hashlib
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
PI = math.pi
R10PI = 10.0 * PI                       # 31.41592653589793
NLL_L09 = -math.log(0.9)                # 0.10536051565782628
NLL_L05 = math.log(2.0)                 # 0.6931471805599453
GS_LNL_MAX = -0.5 * math.log(2.0 * PI * 0.01)
GS_NLL = -GS_LNL_MAX + 2.0
GOAL_GOOD = 2000
METHODS = ["random", "dnnr", "dnnc", "mls"]
F_GAUSS = "F: {gauss: {mean: 100, sigma: 20}}"

# name -> builtin, dimension, half-range, likelihood line, nll_below,
#         (row name, dim, level) of bench/volume_fractions.py --json, shell3d coverage?
PROBLEMS = {
    "shell3d_L09": dict(builtin="shell3d", dim=3, half=R10PI, lik=F_GAUSS, nll=NLL_L09,
                        vf=("shell3d", 3, 0.9), cover=True),
    "shell3d_L05": dict(builtin="shell3d", dim=3, half=R10PI, lik=F_GAUSS, nll=NLL_L05,
                        vf=("shell3d", 3, 0.5), cover=True),
    "f2d": dict(builtin="f2d", dim=2, half=R10PI, lik=F_GAUSS, nll=NLL_L09,
                vf=("f2d", 2, 0.9), cover=False),
    "shell5d": dict(builtin="shellnd", dim=5, half=R10PI, lik=F_GAUSS, nll=NLL_L09,
                    vf=("shellNd", 5, 0.9), cover=False),
    "shell10d": dict(builtin="shellnd", dim=10, half=R10PI, lik=F_GAUSS, nll=NLL_L09,
                     vf=("shellNd", 10, 0.9), cover=False),
    "shell20d": dict(builtin="shellnd", dim=20, half=R10PI, lik=F_GAUSS, nll=NLL_L09,
                     vf=("shellNd", 20, 0.9), cover=False),
    "gshells2d": dict(builtin="gaussian_shells", dim=2, half=6.0, lik="lnL: loglike",
                      nll=GS_NLL, vf=("gaussian_shells", 2, 2.0), cover=False),
    "gshells5d": dict(builtin="gaussian_shells", dim=5, half=6.0, lik="lnL: loglike",
                      nll=GS_NLL, vf=("gaussian_shells", 5, 2.0), cover=False),
    "gshells10d": dict(builtin="gaussian_shells", dim=10, half=6.0, lik="lnL: loglike",
                       nll=GS_NLL, vf=("gaussian_shells", 10, 2.0), cover=False),
}

# shell3d: the 13 shell centres
SHELL3D_CENTRES = np.array([[0.0, 0.0, 0.0]] +
                           [[a, b, 0.0] for a in (-7 * PI, 7 * PI) for b in (-7 * PI, 7 * PI)] +
                           [[a, 0.0, b] for a in (-7 * PI, 7 * PI) for b in (-7 * PI, 7 * PI)] +
                           [[0.0, a, b] for a in (-7 * PI, 7 * PI) for b in (-7 * PI, 7 * PI)])

MPI_ENV = dict(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_mpi_yield_when_idle="1",
               OMPI_MCA_hwloc_base_binding_policy="none")


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def card_text(prob, name, method, seed, budget):
    p = PROBLEMS[prob]
    lines = ["# bench/methods.py: problem %s, method %s, seed %d" % (prob, method, seed),
             "run: {name: %s, seed: %d, method: %s}" % (name, seed, method),
             "stop: {evaluations: %d}" % budget,
             "parameters:"]
    for i in range(1, p["dim"] + 1):
        lines.append("  x%d: {range: [%r, %r]}" % (i, -p["half"], p["half"]))
    lines += ["physics: {builtin: %s}" % p["builtin"],
              "likelihood:",
              "  " + p["lik"],
              "target: {nll_below: %r}" % p["nll"]]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- one run
def analyse(path, prob):
    """The numbers of one output file."""
    r = {}
    with h5py.File(path, "r") as f:
        pts = f["points"]
        n = int(pts.attrs["rows"])
        ids = pts["id"][:n]
        good = pts["good"][:n].astype(bool)
        order = np.argsort(ids, kind="stable")
        cum = np.cumsum(good[order])
        ngood = int(cum[-1]) if n else 0
        r["evaluated"] = n
        r["good"] = ngood
        r["efficiency"] = ngood / n if n else 0.0
        r["evals_to_goal"] = int(np.searchsorted(cum, GOAL_GOOD) + 1) if ngood >= GOAL_GOOD else None
        if "origin" in pts:
            origin = pts["origin"][:n]
            names = [s.decode() if isinstance(s, bytes) else str(s)
                     for s in pts.attrs.get("origin_names", [])]
            by = {}
            for code in np.unique(origin):
                lab = names[code] if 0 <= code < len(names) else str(int(code))
                sel = origin == code
                by[lab] = dict(evaluated=int(sel.sum()), good=int(good[sel].sum()))
            r["by_origin"] = by
        if PROBLEMS[prob]["cover"]:
            x = pts["x"][:n][good]
            if len(x):
                d2 = ((x[:, None, :] - SHELL3D_CENTRES[None, :, :]) ** 2).sum(axis=2)
                counts = np.bincount(np.argmin(d2, axis=1), minlength=len(SHELL3D_CENTRES))
            else:
                counts = np.zeros(len(SHELL3D_CENTRES), dtype=int)
            mean = counts.mean()
            r["shell_counts"] = [int(c) for c in counts]
            r["cover_min"] = int(counts.min())
            r["cover_mean"] = float(mean)
            r["cover_ratio"] = float(counts.min() / mean) if mean > 0 else 0.0
        tp, ng = 0.0, 0
        if "generations" in f:
            g = f["generations"]
            ng = int(g.attrs.get("rows", 0))
            if ng and "train_seconds" in g and "propose_seconds" in g:
                tp = float(np.sum(g["train_seconds"][:ng]) + np.sum(g["propose_seconds"][:ng]))
            if ng and "train_seconds" in g:
                r["train_seconds"] = float(np.sum(g["train_seconds"][:ng]))
            if ng and "propose_seconds" in g:
                r["propose_seconds"] = float(np.sum(g["propose_seconds"][:ng]))
            if ng and "elapsed" in g:
                r["elapsed_last_generation"] = float(g["elapsed"][ng - 1])
        r["generations"] = ng
        r["train_propose_seconds"] = tp
        r["ms_per_point"] = 1000.0 * tp / n if n else None
    return r


def run_one(job, binary, workdir, timeout):
    prob, method, seed, budget = job["problem"], job["method"], job["seed"], job["budget"]
    name = "%s_%s_s%d" % (prob, method, seed)
    card = os.path.join(workdir, name + ".yaml")
    out = os.path.join(workdir, name + ".h5")
    with open(card, "w") as fh:
        fh.write(card_text(prob, name, method, seed, budget))
    env = dict(os.environ)
    env.update(MPI_ENV)
    cmd = [binary, card, "--output", out, "--force", "-q"]
    res = dict(job, name=name, card=card, output=out, ok=False)
    t0 = time.monotonic()
    try:
        cp = subprocess.run(cmd, env=env, cwd=workdir, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=timeout)
        rc, err = cp.returncode, cp.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        rc, err = None, (e.stderr or b"").decode(errors="replace") + "\ntimeout after %g s" % timeout
    res["wall_seconds"] = time.monotonic() - t0
    res["returncode"] = rc
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    res["stderr_tail"] = lines[-5:]
    if rc != 0:
        res["error"] = ("rc=%s: " % rc) + (lines[-1] if lines else "(no stderr)")
        return res
    try:
        res.update(analyse(out, prob))
        res["ok"] = True
    except Exception as e:          # a broken or missing file counts as a failed run
        res["error"] = "reading %s: %s: %s" % (os.path.basename(out), type(e).__name__, e)
    return res


# --------------------------------------------------------------------------- random baseline
def volume_fractions(timeout):
    """bench/volume_fractions.py --json, or None (with the reason) when it is missing or fails."""
    script = os.path.join(HERE, "volume_fractions.py")
    if not os.path.exists(script):
        return None, "bench/volume_fractions.py not found"
    try:
        cp = subprocess.run([sys.executable, script, "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=timeout)
        if cp.returncode != 0:
            tail = cp.stderr.decode(errors="replace").strip().splitlines()
            return None, "volume_fractions.py exited %d: %s" % (cp.returncode,
                                                                  tail[-1] if tail else "")
        return json.loads(cp.stdout.decode()), None
    except Exception as e:
        return None, "volume_fractions.py --json: %s: %s" % (type(e).__name__, e)


def vf_lookup(vf, key):
    """The exact (convolution / analytic) fraction of (name, dim, level), or None."""
    name, dim, level = key
    best = None
    for row in vf.get("rows", []):
        if row.get("name") == name and row.get("dim") == dim and \
                abs(float(row.get("level", -1)) - level) < 1e-9 and row.get("fraction"):
            if row.get("exact"):
                return float(row["fraction"]), row.get("method", "exact")
            if best is None:
                best = (float(row["fraction"]), row.get("method", "MC"))
    return best


# --------------------------------------------------------------------------- table
def fmt_pct(e):
    if e is None:
        return "-"
    if e == 0:
        return "0"
    p = 100.0 * e
    if p >= 10:
        return "%.1f%%" % p
    if p >= 0.1:
        return "%.2f%%" % p
    return "%.1e%%" % p


def fmt_ratio(r):
    if r < 100:
        return "%.3gx" % r
    if r < 1e5:
        return "%.0fx" % r
    return "%.2ex" % r


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def build_table(results, problems, methods, budget, nseeds, vf_state):
    """Rows of strings, plus footnotes."""
    notes = []
    note_ids = {}

    def note(text):
        if text not in note_ids:
            notes.append(text)
            note_ids[text] = len(notes)
        return "[%d]" % note_ids[text]

    rows = []
    for prob in problems:
        base = None          # (efficiency, label) of the random baseline
        rr = [r for r in results if r["problem"] == prob and r["method"] == "random" and r["ok"]]
        if rr:
            tg = sum(r["good"] for r in rr)
            te = sum(r["evaluated"] for r in rr)
            if tg > 0:
                base = (tg / te, None)
                if tg < 10:
                    extra = ""
                    if vf_state.get("data") is None and "error" not in vf_state:
                        vf_state["data"], err = vf_state["loader"]()
                        if err:
                            vf_state["error"] = err
                    hit = vf_lookup(vf_state["data"], PROBLEMS[prob]["vf"]) if vf_state.get("data") else None
                    if hit:
                        extra = ("; for comparison, the volume fraction from bench/volume_fractions.py "
                                 "is %.3e (%s), %.2g x random's measured efficiency"
                                 % (hit[0], hit[1], hit[0] / (tg / te)))
                    base = (tg / te, note("random found only %d good point(s) in %d evaluations: "
                                          "ratios against it are uncertain by about +-1/sqrt(%d)%s"
                                          % (tg, te, tg, extra)))
            else:
                if vf_state.get("data") is None and "error" not in vf_state:
                    vf_state["data"], err = vf_state["loader"]()
                    if err:
                        vf_state["error"] = err
                hit = vf_lookup(vf_state["data"], PROBLEMS[prob]["vf"]) if vf_state.get("data") else None
                if hit:
                    base = (hit[0], note("random found 0 good points in %d evaluations; 'x random' "
                                         "uses the volume fraction %.3e (%s, bench/volume_fractions.py "
                                         "--json) as random's efficiency" % (te, hit[0], hit[1])))
                    vf_state.setdefault("used", {})[prob] = hit[0]
                else:
                    base = (0.0, note("random found 0 good points in %d evaluations (%s); "
                                      "'> N x' is eff x budget, taking 1/budget as an upper bound "
                                      "on random's efficiency"
                                      % (te, vf_state.get("error") or
                                         "no matching row in volume_fractions.py --json")))
        for method in methods:
            runs = [r for r in results if r["problem"] == prob and r["method"] == method]
            if not runs:
                continue
            ok = [r for r in runs if r["ok"]]
            bad = [r for r in runs if not r["ok"]]
            row = dict(problem=prob, method=method)
            if not ok:
                row["eff"] = "FAILED " + bad[0]["error"]
                rows.append(row)
                continue
            effs = [r["efficiency"] for r in ok]
            e = med(effs)
            s = fmt_pct(e)
            if len(ok) > 1:
                s += " [%s-%s]" % (fmt_pct(min(effs)), fmt_pct(max(effs)))
            if bad:
                s += " " + note("%d of %d seeds failed, e.g. %s (seed %d): %s"
                                % (len(bad), len(runs), bad[0]["name"], bad[0]["seed"],
                                   bad[0]["error"]))
            row["eff"] = s
            row["good"] = "%g" % med([r["good"] for r in ok])
            if method != "random":
                allrand = [r for r in ok if set(r.get("by_origin", {})) <= {"random"}]
                if allrand:
                    row["good"] += " " + note(
                        "%s: in %d of %d runs every evaluated point was a uniform random one "
                        "(origin random; no model or SMOTE point), e.g. %s"
                        % (method, len(allrand), len(ok), allrand[0]["name"]))
            # x random
            if base is None:
                row["xr"] = "n/a"
            elif method == "random":
                row["xr"] = ("1 (base)" if sum(r["good"] for r in rr) > 0 else "n/a") + \
                    (" " + base[1] if base[1] else "")
            elif base[0] > 0:
                row["xr"] = fmt_ratio(e / base[0]) + (" " + base[1] if base[1] else "")
            else:
                row["xr"] = ("> " + fmt_ratio(e * budget) if e > 0 else "n/a") + " " + base[1]
            # evaluations to 2,000 good
            ev = [r["evals_to_goal"] if r["evals_to_goal"] is not None else math.inf for r in ok]
            m = statistics.median(ev)
            reached = sum(1 for v in ev if v != math.inf)
            row["goal"] = "-" if m == math.inf else "%d" % round(m)
            if len(ok) > 1 and reached not in (0, len(ok)):
                row["goal"] += " (%d/%d)" % (reached, len(ok))
            if PROBLEMS[prob]["cover"]:
                row["cover"] = "%.2f (%d, %.0f)" % (med([r["cover_ratio"] for r in ok]),
                                                     med([r["cover_min"] for r in ok]),
                                                     med([r["cover_mean"] for r in ok]))
            row["wall"] = "%.1f" % med([r["wall_seconds"] for r in ok])
            mp = med([r["ms_per_point"] for r in ok if r["generations"] > 0])
            row["tp"] = "%.1f" % med([r["train_propose_seconds"] for r in ok]) if mp is not None else "-"
            row["mspt"] = "-" if mp is None else "%.3f" % mp
            rows.append(row)
    return rows, notes


def render(rows, problems):
    cols = [("problem", "problem"), ("method", "method"), ("eff", "eff (median [min-max])"),
            ("xr", "x random"), ("good", "good"), ("goal", "evals to 2k good")]
    if any(PROBLEMS[p]["cover"] for p in problems):
        cols.append(("cover", "shell3d cover min/mean (min, mean)"))
    cols += [("wall", "wall s"), ("tp", "train+propose s"), ("mspt", "ms/pt")]
    table = [[h for _, h in cols]] + [[row.get(k, "") for k, _ in cols] for row in rows]
    width = [max(len(t[i]) for t in table) for i in range(len(cols))]
    out = []
    for j, t in enumerate(table):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(t, width)) + " |")
        if j == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in width) + "|")
    return "\n".join(out)


# --------------------------------------------------------------------------- main
def git_describe():
    try:
        return subprocess.run(["git", "-C", TOP, "describe", "--always", "--dirty"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=20).stdout.decode().strip() or "?"
    except Exception:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--seeds", type=int, default=1, help="seeds 1..N per problem and method (1)")
    ap.add_argument("--evaluations", type=int, default=None, help="budget, stop.evaluations (20000)")
    ap.add_argument("--problems", default=None, help="comma list (all): " + ",".join(PROBLEMS))
    ap.add_argument("--methods", default=None, help="comma list (all): " + ",".join(METHODS))
    ap.add_argument("--jobs", type=int, default=2, help="scans at once (2)")
    ap.add_argument("--quick", action="store_true",
                    help="budget 5000, problems shell3d_L05,f2d, methods random,mls (10 s - 2 min); "
                         "explicit --evaluations/--problems/--methods still win")
    ap.add_argument("--keep", metavar="DIR", help="keep the cards and .h5 files in DIR")
    ap.add_argument("--json", metavar="FILE", help="write every run's raw numbers to FILE ('-': stdout)")
    ap.add_argument("--mlscan", default=os.path.join(TOP, "mlscan"), help="the binary (<top>/mlscan)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per scan (3600)")
    args = ap.parse_args()
    if args.quick:
        args.evaluations = args.evaluations or 5000
        args.problems = args.problems or "shell3d_L05,f2d"
        args.methods = args.methods or "random,mls"
    budget = args.evaluations or 20000
    problems = args.problems.split(",") if args.problems else list(PROBLEMS)
    methods = args.methods.split(",") if args.methods else list(METHODS)
    for p in problems:
        if p not in PROBLEMS:
            ap.error("unknown problem %r (known: %s)" % (p, ",".join(PROBLEMS)))
    for m in methods:
        if m not in METHODS:
            ap.error("unknown method %r (known: %s)" % (m, ",".join(METHODS)))
    if args.seeds < 1 or args.jobs < 1 or budget < 1:
        ap.error("--seeds, --jobs and --evaluations must be positive")
    tout = sys.stderr if args.json == "-" else sys.stdout
    if not os.access(args.mlscan, os.X_OK):
        sys.exit("methods.py: %s is not an executable; build it first (make -j2)" % args.mlscan)

    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        workdir, tmp = os.path.abspath(args.keep), None
    else:
        tmp = tempfile.mkdtemp(prefix="mlscan_methods_")
        workdir = tmp
    started = datetime.datetime.now().astimezone()
    t_start = time.monotonic()
    load0 = os.getloadavg()
    try:
        # a private copy of the binary: a rebuild during the benchmark cannot mix versions
        binary = os.path.join(workdir, "mlscan.bench")
        shutil.copy2(args.mlscan, binary)
        with open(binary, "rb") as fh:
            sha = hashlib.sha256(fh.read()).hexdigest()[:12]
        ver = subprocess.run([binary, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=dict(os.environ, **MPI_ENV), timeout=60)
        if ver.returncode != 0:
            sys.exit("methods.py: %s --version failed: %s" % (args.mlscan, ver.stdout.decode()))
        version = ver.stdout.decode().strip().splitlines()[0] if ver.stdout.strip() else "?"
        gitd = git_describe()

        # random first (fast, and it is the baseline), then the learners
        jobs = [dict(problem=p, method=m, seed=s, budget=budget)
                for m in methods for p in problems for s in range(1, args.seeds + 1)]
        log("methods.py: %d scans (%d problems x %d methods x %d seeds), budget %d, %d at once, in %s"
            % (len(jobs), len(problems), len(methods), args.seeds, budget, args.jobs, workdir))
        results = []
        lock = threading.Lock()
        with cf.ThreadPoolExecutor(max_workers=args.jobs) as ex:
            futs = [ex.submit(run_one, j, binary, workdir, args.timeout) for j in jobs]
            for fut in cf.as_completed(futs):
                r = fut.result()
                with lock:
                    results.append(r)
                    done = len(results)
                if r["ok"]:
                    log("  [%d/%d] %-28s eff %-8s good %6d  wall %6.1f s  t+p %6.1f s  (%.0f s so far)"
                        % (done, len(jobs), r["name"], fmt_pct(r["efficiency"]), r["good"],
                           r["wall_seconds"], r["train_propose_seconds"],
                           time.monotonic() - t_start))
                else:
                    log("  [%d/%d] %-28s FAILED %s" % (done, len(jobs), r["name"], r["error"]))
                if not args.keep and r.get("output") and os.path.exists(r["output"]):
                    os.remove(r["output"])
        order = {(j["problem"], j["method"], j["seed"]): i for i, j in enumerate(jobs)}
        results.sort(key=lambda r: order[(r["problem"], r["method"], r["seed"])])

        vf_state = dict(loader=lambda: volume_fractions(args.timeout))
        rows, notes = build_table(results, problems, methods, budget, args.seeds, vf_state)
        elapsed = time.monotonic() - t_start
        load1 = os.getloadavg()
        nproc = os.cpu_count()
        try:
            nproc = subprocess.run(["nproc"], stdout=subprocess.PIPE, timeout=10).stdout.decode().strip()
        except Exception:
            pass
        cmd = "/usr/bin/python3 " + " ".join(shlex.quote(a) for a in
                                             [os.path.relpath(os.path.abspath(sys.argv[0]), TOP)]
                                             + sys.argv[1:])
        try:
            with open(args.mlscan, "rb") as fh:
                sha_now = hashlib.sha256(fh.read()).hexdigest()[:12]
        except OSError:
            sha_now = "?"

        print(render(rows, problems), file=tout)
        for i, n in enumerate(notes, 1):
            print("[%d] %s" % (i, n), file=tout)
        print("", file=tout)
        print("command: (cd %s && %s)" % (TOP, cmd), file=tout)
        print("seeds: %s; budget: stop.evaluations = %d per scan (no other stop); methods at "
              "mlscan's defaults; %d scans at once, 1 rank each"
              % (",".join(str(s) for s in range(1, args.seeds + 1)), budget, args.jobs), file=tout)
        print("date: %s; elapsed %.0f s; nproc %s; load average %.2f at start, %.2f at end"
              % (started.strftime("%Y-%m-%d %H:%M:%S %Z"), elapsed, nproc, load0[0], load1[0]),
              file=tout)
        print("mlscan: %s, git %s, binary sha256 %s%s" % (version, gitd, sha,
              "" if sha_now == sha else " (the tree's mlscan was rebuilt during the run: now %s)" % sha_now),
              file=tout)
        print("wall s: the mlscan process, timed from outside, with up to %d scans sharing %s cores; "
              "train+propose s: sum of /generations train_seconds + propose_seconds; "
              "ms/pt: that sum per evaluated point. Medians over seeds; x random divides the median "
              "efficiency by random's efficiency pooled over seeds." % (args.jobs, nproc), file=tout)
        if args.keep:
            print("cards and outputs kept in %s" % workdir, file=tout)

        if args.json:
            blob = dict(meta=dict(command=cmd, date=started.isoformat(), elapsed_seconds=elapsed,
                                  nproc=nproc, seeds=args.seeds, budget=budget, jobs=args.jobs,
                                  problems=problems, methods=methods, mlscan_version=version,
                                  git=gitd, binary_sha256=sha, load_start=load0, load_end=load1,
                                  volume_fractions_used=vf_state.get("used", {}),
                                  volume_fractions_error=vf_state.get("error")),
                        runs=[{k: v for k, v in r.items() if k not in ("card", "output")} |
                              ({"card": r["card"], "output": r["output"]} if args.keep else {})
                              for r in results])
            if args.json == "-":
                json.dump(blob, sys.stdout, indent=1)
                sys.stdout.write("\n")
            else:
                with open(args.json, "w") as fh:
                    json.dump(blob, fh, indent=1)
                    fh.write("\n")
        return 0 if all(r["ok"] for r in results) else 1
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
