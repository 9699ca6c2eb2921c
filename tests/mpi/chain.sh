#!/bin/sh
# The example chain end to end: share/examples/chain/2hdm.yaml (toy SPheno, HiggsBounds and
# HiggsSignals, 7 parameters, method mls) on 4 ranks. Every point is a row with its status and
# reason; the kept spectra decode to the masses that were read from them; the NLL is the
# card's expression of the HiggsSignals chi-square; mls beats its own random start.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
builddir=$(dirname "$MLSCAN")
src="$top_srcdir/share/examples/chain"
for p in toy_spheno toy_higgsbounds toy_higgssignals; do
        [ -x "$builddir/share/examples/chain/$p" ] || fail "no $builddir/share/examples/chain/$p (make builds it)"
        ln -s "$builddir/share/examples/chain/$p" "$tmp/$p"
done
cp "$src/LesHouches.in.2hdm" "$tmp/"
N=2500
sed -e "s/^  evaluations: .*/  evaluations: $N/" -e "s|^  # scratch: .*|  scratch: $tmp|" \
        -e "s/^  initial_points: .*/  initial_points: 500/" "$src/2hdm.yaml" > "$tmp/2hdm.yaml"
grep -q "^  scratch: $tmp" "$tmp/2hdm.yaml" || fail "could not set the scratch directory in the card"

"$MLSCAN" check "$tmp/2hdm.yaml" > "$tmp/check.out" 2>&1 || { cat "$tmp/check.out"; fail "mlscan check exited $?"; }
grep -q '^status: ' "$tmp/check.out" || fail "mlscan check printed no status"
launch 4 "$MLSCAN" "$tmp/2hdm.yaml" -o "$tmp/chain.h5" > "$tmp/chain.log" 2>&1 || { cat "$tmp/chain.log"; fail "chain scan exited $?"; }
grep "points by status" "$tmp/chain.log" || fail "no status summary"
grep "done:" "$tmp/chain.log"
pgrep -f "$tmp/toy_" > /dev/null && fail "toy programs survived the scan: $(pgrep -af "$tmp/toy_")"
ls -d "$tmp"/mlscan-2hdm_chain-* 2>/dev/null && fail "scratch directories left behind"

"$PYTHON3" - "$tmp/chain.h5" "$N" <<'PY' || fail "chain output"
import sys, re, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
N = int(sys.argv[2])
p = f["points"]
n = p.attrs["rows"]
assert n == N, (n, N)
assert f.attrs["physics"] == "external"
ids = p["id"][:n]
assert (np.sort(ids) == np.arange(N)).all(), "ids are not 0..N-1"
names = list(p.attrs["status_names"])
obs_names = [o.decode() if isinstance(o, bytes) else o for o in p.attrs["observable_names"]]
st = np.array([names[s] for s in p["status"][:n]])
err = [e.decode() for e in p["error"][:n]]
count = {s: int((st == s).sum()) for s in set(st)}
print("statuses:", count)
for s in ("ok", "invalid", "failed"):
    assert count.get(s, 0) > 0, f"no {s} point"
assert set(count) <= {"ok", "invalid", "failed"}, count
want = {"ok": r"^$",
        "invalid": r"^(cut: hbresult = 0 outside \[1, 1\]|spheno: SPINFO 4 in SPheno\.spc: (tachyonic state|potential unbounded))",
        "failed": r"^spheno: exit status 1: toy_spheno: LesHouches\.in: (tree-level unitarity|non-perturbative)"}
for s, e in zip(st, err):
    assert re.search(want[s], e), (s, e)
obs = p["obs"][:n]
col = {name: i for i, name in enumerate(obs_names)}
ok = st == "ok"
assert np.isfinite(obs[ok]).all()
# the NLL of an ok point is the card's expression of csq(tot); the rest get the cap
dchi2 = (obs[ok, col["csq_tot"]] - 84) / 2
assert np.allclose(obs[ok, col["dchi2"]], dchi2, rtol=1e-12, atol=1e-12)
nll = p["nll"][:n]
small = ok & (nll < 20)
assert small.sum() > 0
assert np.allclose(nll[small], obs[small, col["dchi2"]], rtol=1e-6, atol=1e-9)
assert (nll[~ok] > 700).all() and not p["good"][:n][~ok].any()
assert (obs[ok, col["hbresult"]] == 1).all()
# every ok point's kept spectrum decodes, and its MASS 25 is the mh that was read from it
o = f["outputs/SPheno.spc"]
off, size, data = o["offset"][:n], o["size"][:n], o["data"]
checked = 0
for i in np.flatnonzero(ok)[:200]:
    text = bytes(data[off[i]:off[i] + size[i]]).decode()
    m = re.search(r"^Block MASS.*?^\s+25\s+(\S+)", text, re.M | re.S | re.I)
    assert m, f"row {i}: no MASS 25 in the kept spectrum"
    assert abs(float(m.group(1)) - obs[i, col["mh"]]) <= 1e-7 * abs(obs[i, col["mh"]]), (i, m.group(1))
    checked += 1
assert (size[st == "failed"] == -1).all(), "a point without a spectrum has a kept spectrum (size is not -1)"
print(f"{checked} kept spectra decode to the mh read from them")
# mls against its own random start (generation 0, 500 points)
gen = p["generation"][:n]
good = p["good"][:n]
r0, r1 = good[gen == 0].mean(), good[gen > 0].mean()
print(f"good fraction: random start {r0:.3f}, mls generations {r1:.3f}")
assert r1 > 3 * r0 and r1 > 0.2, (r0, r1)
PY
echo "PASS"
