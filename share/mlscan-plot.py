#!/usr/bin/python3
"""mlscan-plot.py - plot an mlscan output file into PNG images.

Usage:
    mlscan-plot.py OUT.h5 [-o DIR] [--slice PX PY] [--max-points N] [--mlscan PATH]

Writes into DIR (default: the current directory, created if missing):
    corner.png       the good points (status ok and good) in the physical parameters /points/x,
                     coloured by their NLL; the diagonal holds histograms of the good points and,
                     in light grey, of all evaluated points (each normalised to unit area).
                     At most N points (--max-points, default 20000) are drawn, a fixed-seed random
                     subsample; with more than 8 parameters, only the first 8 are shown.
    generations.png  per generation: efficiency and total_efficiency, and the good and evaluated
                     points (learning methods only; method random has no generations).
    loss.png         train_loss and val_loss per generation, log scale (learning methods only).
    slice.png        the model's prediction on a 60 x 60 grid over parameters PX and PY (default:
                     the first two), the others fixed at the best point (lowest NLL among status-ok
                     points), with the good points near the slice overlaid: predicted NLL with the
                     target's nll_below contour (dnnr, mls), or P(good) with its 0.5 contour (dnnc).
                     The prediction comes from `mlscan predict`; the binary is --mlscan PATH, else
                     $MLSCAN, else the mlscan installed next to this script (../../bin), else the
                     one in the build tree (../mlscan), else mlscan on PATH. Without a /model
                     (method random) or a working `mlscan predict`, slice.png is skipped.

One line per written PNG (its path) goes to stdout; one line per skipped plot, with the reason,
to stderr. Only committed rows (below /points@rows) are read.

Exit status: 0 when the plots were written (skipped ones included), 2 on a bad command line or a
missing, unreadable or non-mlscan file (one line: "mlscan-plot: FILE: reason"), 1 on any other
failure. Needs only h5py, numpy and matplotlib (Agg backend, no display needed).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation, MaxNLocator  # noqa: E402

PROG = "mlscan-plot"
MAX_CORNER = 8  # parameters shown in the corner plot
GRID = 60  # slice grid points per axis
SEED = 20240521  # the subsample's fixed seed
DPI = 110


class Unusable(Exception):
    """The input file is missing, unreadable or not an mlscan output file (exit 2)."""


def warn(msg):
    print(f"{PROG}: {msg}", file=sys.stderr)


def text(v):
    """An HDF5 string attribute (bytes, str or numpy scalar) as str."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.shape == ():
        return text(v[()])
    return str(v)


def texts(v):
    return [text(s) for s in np.atleast_1d(v)]


# ------------------------------------------------------------------ reading


class Scan:
    """What the plots need from one output file (committed rows only)."""

    def __init__(self, path):
        if not os.path.exists(path):
            raise Unusable("no such file")
        if os.path.isdir(path):
            raise Unusable("is a directory")
        if not os.access(path, os.R_OK):
            raise Unusable("permission denied")
        try:
            is_h5 = h5py.is_hdf5(path)
        except OSError as e:
            raise Unusable(f"cannot read: {e.strerror or e}")
        if not is_h5:
            raise Unusable("not an HDF5 file")
        try:
            f = h5py.File(path, "r")
        except OSError as e:
            raise Unusable(f"cannot open: {e}")
        with f:
            try:
                self._read(f)
            except (KeyError, ValueError, TypeError, IndexError) as e:
                raise Unusable(f"not an mlscan output file ({e})")

    def _read(self, f):
        if "points" not in f or "format_version" not in f.attrs:
            raise Unusable("not an mlscan output file (no /points or no format_version)")
        p = f["points"]
        for k in ("rows", "parameter_names"):
            if k not in p.attrs:
                raise Unusable(f"not an mlscan output file (no /points@{k})")
        for k in ("x", "u", "nll", "good", "status"):
            if k not in p:
                raise Unusable(f"not an mlscan output file (no /points/{k})")
        a = f.attrs
        self.run_name = text(a.get("run_name", "?"))
        self.method = text(a.get("method", "?"))
        self.nll_below = float(a["nll_below"]) if "nll_below" in a else float("nan")
        self.names = texts(p.attrs["parameter_names"])
        n = int(p.attrs["rows"])
        self.rows = n
        self.x = np.asarray(p["x"][:n], dtype=float).reshape(n, -1)
        self.u = np.asarray(p["u"][:n], dtype=float).reshape(n, -1)
        if self.x.shape[1] != len(self.names):
            raise Unusable(f"/points/x has {self.x.shape[1]} columns for {len(self.names)} parameter names")
        self.nll = np.asarray(p["nll"][:n], dtype=float)
        status = np.asarray(p["status"][:n]).astype(int)
        snames = texts(p.attrs["status_names"]) if "status_names" in p.attrs else ["ok"]
        self.ok = status == (snames.index("ok") if "ok" in snames else 0)
        self.good = np.asarray(p["good"][:n]).astype(bool) & self.ok
        self.gens = None
        if "generations" in f and int(f["generations"].attrs.get("rows", 0)) > 0:
            g = f["generations"]
            m = int(g.attrs["rows"])
            self.gens = {k: np.asarray(g[k][:m]) for k in g if isinstance(g[k], h5py.Dataset)}
        self.has_model = "model" in f
        self.model_generation = int(f["model"].attrs.get("generation", -1)) if self.has_model else -1


# ------------------------------------------------------------------ plots


def save(fig, outdir, name, written):
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(path)
    written.append(path)


def limits(col):
    col = col[np.isfinite(col)]
    if col.size == 0:
        return (0.0, 1.0)
    lo, hi = float(col.min()), float(col.max())
    if hi <= lo:
        pad = abs(lo) * 0.05 or 0.5
        return (lo - pad, hi + pad)
    pad = (hi - lo) * 0.02
    return (lo - pad, hi + pad)


def plot_corner(s, outdir, max_points, written):
    d = len(s.names)
    k = min(d, MAX_CORNER)
    gi = np.flatnonzero(s.good)
    ngood = gi.size
    if ngood > max_points:
        gi = np.sort(np.random.default_rng(SEED).choice(gi, size=max_points, replace=False))
    gi = gi[np.argsort(-s.nll[gi], kind="stable")]  # lowest NLL drawn last, on top
    xg, cg = s.x[gi], s.nll[gi]
    lims = [limits(s.x[:, j]) for j in range(k)]
    size = 2.3 if k > 1 else 4.0
    fig, axes = plt.subplots(k, k, figsize=(size * k + 0.9, size * k + 0.7), squeeze=False)
    fig.subplots_adjust(left=0.8 / (size * k + 0.9) + 0.04, right=0.97, bottom=0.6 / (size * k + 0.7) + 0.04,
                        top=1 - 0.55 / (size * k + 0.7), wspace=0.06, hspace=0.06)
    ms = float(np.clip(3000.0 / max(len(gi), 1), 0.6, 12.0))
    sc = None
    vmin, vmax = (float(cg.min()), float(cg.max())) if len(cg) else (0.0, 1.0)
    if vmax <= vmin:
        vmax = vmin + 1e-12
    for i in range(k):
        for j in range(k):
            ax = axes[i][j]
            if j > i:
                ax.set_axis_off()
                continue
            if i == j:
                bins = np.linspace(lims[j][0], lims[j][1], 41)
                allx = s.x[:, j][np.isfinite(s.x[:, j])]
                ax.hist(allx, bins=bins, density=True, color="0.82", label="all evaluated")
                if ngood:
                    ax.hist(s.x[s.good, j], bins=bins, density=True, histtype="step", color="C0", lw=1.4,
                            label="good")
                ax.set_yticks([])
                if i == 0 and k > 1:
                    ax.legend(loc="upper left", bbox_to_anchor=(1.05, 1.0), fontsize=8, frameon=False)
            else:
                sc = ax.scatter(xg[:, j], xg[:, i], c=cg, s=ms, cmap="viridis", vmin=vmin, vmax=vmax,
                                linewidths=0, rasterized=True)
                ax.set_ylim(lims[i])
            ax.set_xlim(lims[j])
            ax.tick_params(labelsize=7)
            if i == k - 1:
                ax.set_xlabel(s.names[j])
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(s.names[i])
            elif i != j:
                ax.set_yticklabels([])
    if k == 1:
        axes[0][0].set_xlabel(s.names[0])
        axes[0][0].legend(fontsize=8, frameon=False)
    title = f"{s.run_name} ({s.method}): {ngood} good (NLL < {s.nll_below:.4g}) of {s.rows} evaluated points"
    if len(gi) < ngood:
        title += f", {len(gi)} drawn (random subsample)"
    if ngood == 0:
        title += " - nothing to scatter"
    if d > k:
        title += f"\nfirst {k} of {d} parameters shown"
    fig.suptitle(title, fontsize=10)
    if sc is not None:
        cax = axes[0][k - 1].inset_axes([0.55, 0.0, 0.08, 0.75] if k > 2 else [0.72, 0.0, 0.07, 1.0])
        cb = fig.colorbar(sc, cax=cax)
        cb.set_label("NLL", fontsize=8)
        cb.ax.tick_params(labelsize=7)
    save(fig, outdir, "corner.png", written)


def plot_generations(s, outdir, written):
    g = s.gens
    gen = g["generation"]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7.5, 6.0), sharex=True, gridspec_kw={"height_ratios": [3, 2]},
                                 layout="constrained")
    a1.plot(gen, g["efficiency"], "o-", color="C0", label="this generation")
    if "total_efficiency" in g:
        a1.plot(gen, g["total_efficiency"], "s--", color="C1", label="run so far (total)")
    a1.set_ylabel("efficiency (good / evaluated)")
    top = np.nanmax(np.r_[g["efficiency"], g.get("total_efficiency", [0.0])])
    a1.set_ylim(0, min(1.0, top * 1.15) if np.isfinite(top) and top > 0 else 1.0)
    a1.grid(alpha=0.3)
    a1.legend(fontsize=9)
    if "evaluated" in g:
        a2.bar(gen, g["evaluated"], width=0.7, color="0.85", label="evaluated")
    a2.bar(gen, g["good"], width=0.7, color="C2", label="good")
    a2.set_ylabel("points per generation")
    a2.set_xlabel("generation")
    a2.xaxis.set_major_locator(MaxNLocator(integer=True))
    a2.legend(fontsize=9)
    a2.grid(alpha=0.3, axis="y")
    fig.suptitle(f"{s.run_name} ({s.method}): {len(gen)} generations", fontsize=10)
    save(fig, outdir, "generations.png", written)


def plot_loss(s, outdir, path, written):
    g = s.gens
    gen = g["generation"]
    series = []
    for key, label, style in (("train_loss", "training loss", "o-"), ("val_loss", "validation loss", "s--")):
        if key in g:
            y = np.asarray(g[key], dtype=float)
            keep = np.isfinite(y) & (y > 0)
            if keep.any():
                series.append((gen[keep], y[keep], label, style))
    if not series:
        warn(f"skipping loss.png: {path} has no finite training loss (no generation was trained)")
        return
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    for x, y, label, style in series:
        ax.plot(x, y, style, label=label)
    ax.set_yscale("log")
    ax.yaxis.set_minor_formatter(LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    ax.tick_params(axis="y", which="minor", labelsize=8)
    ax.set_xlabel("generation")
    ax.set_ylabel("loss")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    ax.set_title(f"{s.run_name} ({s.method}): the network's loss after each generation's training", fontsize=10)
    save(fig, outdir, "loss.png", written)


def find_mlscan(opt):
    if opt:
        return opt
    if os.environ.get("MLSCAN"):
        return os.environ["MLSCAN"]
    here = os.path.dirname(os.path.realpath(__file__))
    for cand in (os.path.join(here, "..", "..", "bin", "mlscan"), os.path.join(here, "..", "mlscan")):
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.normpath(cand)
    return shutil.which("mlscan")


def read_csv(path):
    with open(path) as fh:
        lines = [ln.strip() for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) < 2:
        raise ValueError("no rows")
    header = [h.strip().strip('"') for h in lines[0].split(",")]
    data = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]], dtype=float)
    if data.shape[1] != len(header):
        raise ValueError(f"{data.shape[1]} columns for a header of {len(header)}")
    return {h: data[:, i] for i, h in enumerate(header)}


def plot_slice(s, outdir, path, px, py, mlscan, written):
    if not s.has_model:
        warn(f"skipping slice.png: {path} has no /model (method {s.method})")
        return
    if len(s.names) < 2:
        warn("skipping slice.png: a slice needs two parameters")
        return
    exe = find_mlscan(mlscan)
    if not exe:
        warn("skipping slice.png: no mlscan binary found (use --mlscan PATH or set MLSCAN)")
        return
    with tempfile.TemporaryDirectory(prefix="mlscan-plot.") as tmp:
        csv = os.path.join(tmp, "slice.csv")
        cmd = [exe, "predict", path, "--grid", f"{px}={GRID}", "--grid", f"{py}={GRID}", "-o", csv]
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=600)
        except (OSError, subprocess.SubprocessError) as e:
            warn(f"skipping slice.png: cannot run {exe} predict: {e}")
            return
        if r.returncode != 0 or not os.path.isfile(csv):
            why = [ln for ln in r.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
            why = why[-1].strip() if why else f"exit status {r.returncode}"
            warn(f"skipping slice.png: `mlscan predict` failed: {why}")
            return
        try:
            cols = read_csv(csv)
        except (OSError, ValueError) as e:
            warn(f"skipping slice.png: cannot read the `mlscan predict` output: {e}")
            return
    kind = "pred_nll" if "pred_nll" in cols else "p_good" if "p_good" in cols else None
    if kind is None or px not in cols or py not in cols:
        warn(f"skipping slice.png: `mlscan predict` wrote columns {', '.join(cols)}, expected {px}, {py} and "
             "pred_nll or p_good")
        return
    xs, ys = np.unique(cols[px]), np.unique(cols[py])
    z = np.full((ys.size, xs.size), np.nan)
    z[np.searchsorted(ys, cols[py]), np.searchsorted(xs, cols[px])] = cols[kind]
    z = np.ma.masked_invalid(z)
    if z.count() == 0:
        warn("skipping slice.png: `mlscan predict` gave no finite prediction")
        return
    jx, jy = s.names.index(px), s.names.index(py)
    others = [j for j in range(len(s.names)) if j not in (jx, jy)]
    okidx = np.flatnonzero(s.ok & np.isfinite(s.nll))
    best = okidx[np.argmin(s.nll[okidx])] if okidx.size else None
    # the fixed values as mlscan used them (every row holds them), else the best point's
    fixed = {}
    for j in others:
        name = s.names[j]
        if name in cols and cols[name].size:
            fixed[j] = float(np.median(cols[name]))
        elif best is not None:
            fixed[j] = float(s.x[best, j])
    # good points near the slice: every other parameter within tol in unit-cube coordinates
    near = s.good.copy()
    tol = None
    if others and fixed:
        du = np.zeros((s.rows, len(fixed)))
        for c, (j, v) in enumerate(fixed.items()):
            order = np.argsort(s.x[:, j], kind="stable")
            ufix = np.interp(v, s.x[order, j], s.u[order, j])
            du[:, c] = np.abs(s.u[:, j] - ufix)
        dmax = du.max(axis=1)
        for tol in (0.02, 0.05, 0.1, 0.2):
            near = s.good & (dmax < tol)
            if near.sum() >= 30:
                break
    fig, ax = plt.subplots(figsize=(7.2, 6.0), layout="constrained")
    handles = []
    if kind == "pred_nll":
        vmin = float(z.min())
        vmax = float(np.nanpercentile(z.compressed(), 95))
        if np.isfinite(s.nll_below) and vmax <= s.nll_below:
            vmax = max(float(z.max()), s.nll_below * 2)
        if vmax <= vmin:
            vmax = vmin + 1e-12
        mesh = ax.pcolormesh(xs, ys, np.ma.clip(z, vmin, vmax), cmap="viridis", vmin=vmin, vmax=vmax,
                             shading="nearest", rasterized=True)
        label = "predicted NLL (clipped at the 95th percentile)"
        level, lname = s.nll_below, f"predicted NLL = nll_below = {s.nll_below:.4g}"
    else:
        mesh = ax.pcolormesh(xs, ys, z, cmap="viridis", vmin=0.0, vmax=1.0, shading="nearest", rasterized=True)
        label = "predicted P(good)"
        level, lname = 0.5, "P(good) = 0.5"
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label(label)
    if np.isfinite(level) and z.min() < level < z.max() and xs.size > 1 and ys.size > 1:
        ax.contour(xs, ys, z, levels=[level], colors="red", linewidths=1.5)
        handles.append(Line2D([], [], color="red", lw=1.5, label=lname))
    if near.any():
        ax.scatter(s.x[near, jx], s.x[near, jy], s=10, facecolors="white", edgecolors="black", linewidths=0.5,
                   zorder=3)
        what = f"good points within {tol} of the slice (unit cube)" if tol is not None and others else "good points"
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec="black", ms=5,
                              label=f"{what}: {int(near.sum())}"))
    if best is not None:
        ax.plot(s.x[best, jx], s.x[best, jy], "*", color="red", mec="black", ms=13, zorder=4)
        handles.append(Line2D([], [], ls="", marker="*", color="red", mec="black", ms=10,
                              label=f"best point (NLL {s.nll[best]:.3g})"))
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel(px)
    ax.set_ylabel(py)
    if handles:
        ax.legend(handles=handles, fontsize=8, loc="best", framealpha=0.85)
    title = f"{s.run_name} ({s.method}): model of generation {s.model_generation} on the ({px}, {py}) slice"
    if fixed:
        fx = ", ".join(f"{s.names[j]} = {v:.4g}" for j, v in list(fixed.items())[:5])
        if len(fixed) > 5:
            fx += ", ..."
        title += f"\n{fx}"
    ax.set_title(title, fontsize=10)
    save(fig, outdir, "slice.png", written)


# ------------------------------------------------------------------ main


def main(argv=None):
    ap = argparse.ArgumentParser(prog="mlscan-plot.py", description="Plot an mlscan output file into PNGs.")
    ap.add_argument("file", metavar="OUT.h5", help="the mlscan output file")
    ap.add_argument("-o", "--output-dir", metavar="DIR", default=".", help="where to write the PNGs (default .)")
    ap.add_argument("--slice", nargs=2, metavar=("PX", "PY"), help="the slice's parameters (default: the first two)")
    ap.add_argument("--max-points", type=int, default=20000, metavar="N",
                    help="at most N good points in the corner plot (default 20000)")
    ap.add_argument("--mlscan", metavar="PATH", help="the mlscan binary for `mlscan predict`")
    args = ap.parse_args(argv)
    if args.max_points < 1:
        ap.error("--max-points must be positive")
    path = args.file
    try:
        s = Scan(path)
    except Unusable as e:
        print(f"{PROG}: {path}: {e}", file=sys.stderr)
        return 2
    if args.slice:
        sl = []
        for p in args.slice:
            if p in s.names:
                sl.append(p)
            elif p.isdigit() and int(p) < len(s.names):
                sl.append(s.names[int(p)])
            else:
                print(f"{PROG}: {path}: no parameter '{p}' (parameters: {', '.join(s.names)})", file=sys.stderr)
                return 2
        if sl[0] == sl[1]:
            print(f"{PROG}: --slice needs two different parameters", file=sys.stderr)
            return 2
        px, py = sl
    else:
        px, py = (s.names + [None, None])[:2]
    if s.rows == 0:
        print(f"{PROG}: {path}: no committed points, nothing to plot", file=sys.stderr)
        return 1
    outdir = args.output_dir
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as e:
        print(f"{PROG}: {outdir}: {e.strerror or e}", file=sys.stderr)
        return 1
    written = []
    try:
        plot_corner(s, outdir, args.max_points, written)
        if s.gens is None or "generation" not in s.gens:
            warn(f"skipping generations.png and loss.png: {path} has no generations (method {s.method})")
        else:
            plot_generations(s, outdir, written)
            plot_loss(s, outdir, path, written)
        plot_slice(s, outdir, path, px, py, args.mlscan, written)
    except OSError as e:
        print(f"{PROG}: {outdir}: cannot write: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
