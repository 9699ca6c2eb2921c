"""Read an mlscan output file back with h5py alone and check it.

usage: check_points.py FILE.h5 CARD.yaml --rows N | --good-at-least G  [--ranks R]
       [--fraction P --sigmas S]
Exits 1 with one line per failed check.
"""
import argparse
import math
import sys

import h5py
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("h5")
ap.add_argument("card")
ap.add_argument("--rows", type=int)
ap.add_argument("--good-at-least", type=int)
ap.add_argument("--ranks", type=int, default=1)
ap.add_argument("--fraction", type=float)
ap.add_argument("--sigmas", type=float, default=4.0)
a = ap.parse_args()

bad = []


def check(cond, msg):
    if not cond:
        bad.append(msg)


f = h5py.File(a.h5, "r")
p = f["points"]
n = int(p.attrs["rows"])
for col in ("id", "generation", "origin", "worker", "status", "u", "x", "obs", "terms", "nll", "good", "seconds"):
    check(col in p, f"missing /points/{col}")
    check(p[col].shape[0] == n, f"/points/{col} has {p[col].shape[0]} rows, /points@rows says {n}")
if bad:
    print("\n".join(bad))
    sys.exit(1)

# Self-describing: the card text, names, enum names and version are in the file.
with open(a.card, encoding="utf-8") as fh:
    check(f.attrs["run_card"] == fh.read(), "run_card attribute differs from the card file")
check(f.attrs["format_version"] == 3, "format_version is not 3")
check(isinstance(f.attrs["mlscan_version"], str), "mlscan_version missing")
check(int(f.attrs["ranks"]) == a.ranks, f"ranks attribute {f.attrs['ranks']} != {a.ranks}")
names = list(p.attrs["parameter_names"])
check(list(p["x"].attrs["names"]) == names, "x names differ from parameter_names")
check(p["x"].shape[1] == len(names) == p["u"].shape[1], "parameter columns and names disagree")
check(list(p.attrs["status_names"]) == ["ok", "invalid", "failed", "timeout", "missing_output", "unreadable", "nonfinite"],
      "status_names")
status_enum = h5py.check_enum_dtype(p["status"].dtype)
check(status_enum is not None and status_enum["ok"] == 0, "status is not an HDF5 enum with ok = 0")
check(p["good"].dtype == np.bool_, "good is not read as bool")

ids = p["id"][:]
order = np.argsort(ids)
check(np.array_equal(ids[order], np.arange(n)), "ids are not unique and contiguous from 0")
if a.rows is not None:
    check(n == a.rows, f"{n} rows, expected {a.rows}")

# The ranges and priors from the card, read back through the file's own copy.
import yaml  # Debian python3-yaml

card = yaml.safe_load(f.attrs["run_card"])
u = p["u"][:]
x = p["x"][:]
check(((u >= 0) & (u < 1)).all(), "u outside [0, 1)")
for j, name in enumerate(names):
    spec = card["parameters"][name]
    lo, hi = spec["range"]
    check(((x[:, j] >= lo) & (x[:, j] <= hi)).all(), f"{name} outside its range [{lo}, {hi}]")
    if spec.get("prior", "linear") == "log":
        want = lo * np.exp(u[:, j] * math.log(hi / lo))
    else:
        want = lo + u[:, j] * (hi - lo)
    check(np.allclose(x[:, j], want, rtol=1e-12, atol=1e-12), f"{name}: x is not the prior map of u")

st = p["status"][:]
check(((st >= 0) & (st < 7)).all(), "status outside the enum")
w = p["worker"][:]
if a.ranks == 1:
    check((w == 0).all(), "one rank: worker must be 0")
else:
    check(((w >= 1) & (w < a.ranks)).all(), "worker outside 1..ranks-1")
nll = p["nll"][:]
good = p["good"][:]
cut = float(f.attrs["nll_below"])
check(np.array_equal(good, (st == 0) & (nll < cut)), "good flag disagrees with nll < nll_below")
ok = st == 0
check(np.allclose(nll[ok], p["terms"][:][ok].sum(axis=1)), "nll is not the sum of the terms")
check(np.isposinf(nll[~ok]).all(), "a point that is not ok must have nll = +inf")
check((p["seconds"][:] >= 0).all(), "negative seconds")
if a.good_at_least is not None:
    check(good.sum() >= a.good_at_least, f"{good.sum()} good points, expected at least {a.good_at_least}")
if a.fraction is not None:
    frac = good.mean()
    sigma = math.sqrt(a.fraction * (1 - a.fraction) / n)
    check(abs(frac - a.fraction) <= a.sigmas * sigma,
          f"good fraction {frac:.5f} differs from {a.fraction} by more than {a.sigmas} sigma ({sigma:.5f})")
    print(f"good fraction {frac:.5f} (expected {a.fraction}, sigma {sigma:.5f})")

if bad:
    print("\n".join(bad))
    sys.exit(1)
print(f"{a.h5}: {n} rows OK")
