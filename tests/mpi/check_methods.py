#!/usr/bin/python3
"""check_methods.py - read back a learning method's output file and check what the issue asks
of it: /points complete (unique ids 0..n-1, no point evaluated twice), /generations consistent with
/points, efficiency counted honestly (good / evaluated, never above 1), the minimum efficiency
asked for, SMOTE points present when asked, and the state of failed points.

usage: check_methods.py FILE --rows N [--min-eff E] [--smote] [--generations G] [--invalid-model-below F]
Exit status 0 when every check passes; each failure prints one line.
"""
import argparse
import sys

import h5py
import numpy as np

ORIGIN = {"random": 0, "model": 1, "smote": 2, "seed": 3}
M = 710.7827128933840


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--min-eff", type=float, default=0.0)
    ap.add_argument("--smote", action="store_true")
    ap.add_argument("--generations", type=int)
    ap.add_argument("--invalid-model-below", type=float)
    ap.add_argument("--seeds", type=int, default=0)
    a = ap.parse_args()
    bad = []
    f = h5py.File(a.file, "r")
    p = f["points"]
    n = int(p.attrs["rows"])
    ids = p["id"][:n]
    u = p["u"][:n]
    good = p["good"][:n].astype(bool)
    origin = p["origin"][:n].astype(int)
    gen = p["generation"][:n]
    status = p["status"][:n].astype(int)
    nll = p["nll"][:n]
    seeded = origin == ORIGIN["seed"]
    if a.rows is not None and n != a.rows:
        bad.append(f"rows {n}, expected {a.rows}")
    if not np.array_equal(np.sort(ids), np.arange(n)):
        bad.append("ids are not 0 .. n-1, each once")
    if len(np.unique(u, axis=0)) != n:
        bad.append(f"{n - len(np.unique(u, axis=0))} points were evaluated more than once")
    if seeded.sum() != a.seeds:
        bad.append(f"{seeded.sum()} seed rows, expected {a.seeds}")
    ev = ~seeded
    eff = good[ev].mean()
    print(f"{a.file}: {n} rows, {good[ev].sum()} good of {ev.sum()} evaluated: efficiency {eff:.4f}")
    if not eff >= a.min_eff:
        bad.append(f"efficiency {eff:.4f} below {a.min_eff}")
    # /generations against /points
    g = f["generations"]
    ng = int(g.attrs["rows"])
    col = {k: g[k][:ng] for k in g.keys()}
    if not np.array_equal(col["generation"], np.arange(ng)):
        bad.append(f"/generations/generation is not 0 .. {ng - 1}")
    if ng and gen[ev].max() != ng - 1:
        bad.append(f"points reach generation {gen[ev].max()}, /generations has {ng} rows")
    for k in range(ng):
        in_k = ev & (gen == k)
        if col["evaluated"][k] != in_k.sum() or col["good"][k] != (good & in_k).sum():
            bad.append(f"generation {k}: table says {col['evaluated'][k]} evaluated / {col['good'][k]} good, "
                       f"/points {in_k.sum()} / {(good & in_k).sum()}")
        if col["proposed"][k] != col["evaluated"][k]:
            bad.append(f"generation {k}: {col['proposed'][k]} proposed but {col['evaluated'][k]} evaluated")
        parts = col["nmodel"][k] + col["nrandom"][k] + col["nsmote"][k]
        if k > 0 and parts < col["proposed"][k]:
            bad.append(f"generation {k}: model + random + smote = {parts} < proposed {col['proposed'][k]}")
    if ng and (col["total_efficiency"] > 1).any() or (col["efficiency"] > 1).any():
        bad.append("an efficiency above 1 in /generations")
    if ng and col["total_evaluated"][-1] != ev.sum():
        bad.append(f"last total_evaluated {col['total_evaluated'][-1]} != {ev.sum()} evaluated")
    if ng > 1 and not (col["ntrain"][1:] > 0).all():
        bad.append("a learned generation trained on no point")
    if a.generations is not None and ng != a.generations:
        bad.append(f"{ng} generations, expected {a.generations}")
    if a.smote:
        ns = (origin == ORIGIN["smote"]).sum()
        if ns == 0 or col["nsmote"].sum() != ns:
            bad.append(f"{ns} SMOTE points in /points, {col['nsmote'].sum()} in /generations")
    # failed points keep their row, with the worst capped loss, and are never good
    failed = status != 0
    if failed.any():
        if not np.all(nll[failed] == M) or good[failed].any():
            bad.append("a failed point without the capped loss M, or counted good")
    if a.invalid_model_below is not None:
        late = (origin == ORIGIN["model"]) & (gen >= 3)
        r = failed[origin == ORIGIN["random"]].mean()
        mfail = failed[late].mean()
        print(f"invalid: {r:.3f} of random points, {mfail:.3f} of model points from generation 3 on")
        if not (r > 0.1 and mfail < a.invalid_model_below * r):
            bad.append(f"model points fail at {mfail:.3f}, random ones at {r:.3f}")
    if "model" in f:
        # the newest network: that of the last generation, or of one the stop cut before it started
        if int(f["model"].attrs["generation"]) not in (ng - 2, ng - 1, ng):
            bad.append(f"/model is of generation {int(f['model'].attrs['generation'])}, {ng} generations")
    elif ng > 1:
        bad.append("no /model after learned generations")
    for b in bad:
        print("FAIL:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
