#!/bin/sh
# External physics programs that fail in every way a physics code does (tests/progs/faulty):
# each mode gives its status and reason (mlscan check); then a 4-rank scan where the program
# fails at random records every point with a status that matches its reason, leaves no
# process and no scratch directory behind. Finally a toy model run as an external program
# (share/examples/toy_shell.sh) gives the built-in model's values.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
builddir=$(dirname "$MLSCAN")
faulty="$builddir/tests/progs/faulty"
[ -x "$faulty" ] || fail "no $faulty (make check builds it)"
export FAULTY_HANG_SECONDS=60
printf 'a {a}\nb {b:.6e}\n' > "$tmp/in.tmpl"
card() { # card MODE TIMEOUT NAME EVALUATIONS
        cat <<EOC
run: {name: $3, seed: 4}
stop: {evaluations: $4}
parameters: {a: {range: [0, 1]}, b: {range: [0, 1]}}
physics:
  scratch: $tmp
  kill_grace: 0.3
  templates: [{from: $tmp/in.tmpl, to: in.dat}]
  programs: [{name: faulty, run: [$faulty, $1, in.dat, out.dat], output: out.dat, timeout: $2}]
  observables: {y: {text: [out.dat, y]}}
likelihood: {y: {gauss: {mean: 1, sigma: 1}}}
target: {nll_below: 1}
EOC
}
# mode, expected status, a piece of the expected reason
while read -r mode status reason; do
        card "$mode" 1 "check_$mode" 1 > "$tmp/$mode.yaml"
        timeout 60 "$MLSCAN" check "$tmp/$mode.yaml" > "$tmp/$mode.out" 2>&1 || { cat "$tmp/$mode.out"; fail "check $mode exited $?"; }
        line=$(grep '^status:' "$tmp/$mode.out")
        echo "$mode -> $line"
        case "$line" in
        "status: $status"*"$reason"*) ;;
        *) fail "$mode: expected status $status with '$reason', got '$line'" ;;
        esac
done <<'EOM'
ok ok
crash failed faulty: killed by signal 11
abort failed faulty: killed by signal 6
exit3 failed faulty: exit status 3: 
hang timeout faulty: timed out after 1 s (ended by SIGTERM)
hangterm timeout faulty: timed out after 1 s (ended by SIGKILL)
forkhang ok
garbage unreadable faulty: out.dat has no line for 'y'
nan nonfinite read: y = nan
inf nonfinite read: y = inf
nothing missing_output faulty: exited 0 but wrote no out.dat
delete missing_output faulty: exited 0 but wrote no out.dat
slow ok
EOM
grep -q "exit status 3: .*|" "$tmp/exit3.out" || fail "exit3: the stderr tail is not in the reason"
pgrep -f "$faulty" > /dev/null && fail "faulty processes survived the checks: $(pgrep -af "$faulty")"

# A scan where a third of the points fail, in every way at once.
NF=${FAULT_POINTS:-2000}
card random 0.5 faults "$NF" > "$tmp/faults.yaml"
export FAULTY_P_CRASH=0.04 FAULTY_P_ABORT=0.02 FAULTY_P_EXIT=0.04 FAULTY_P_HANG=0.02 FAULTY_P_HANGTERM=0.01 \
        FAULTY_P_FORKHANG=0.04 FAULTY_P_GARBAGE=0.04 FAULTY_P_NAN=0.03 FAULTY_P_INF=0.02 FAULTY_P_NOTHING=0.04 \
        FAULTY_P_DELETE=0.03 FAULTY_P_HUGE=0.005
launch 4 "$MLSCAN" "$tmp/faults.yaml" -o "$tmp/faults.h5" > "$tmp/faults.log" 2>&1 || { cat "$tmp/faults.log"; fail "fault scan exited $?"; }
grep "points by status" "$tmp/faults.log" || fail "no status summary"
grep -q "WARN point [0-9]*: " "$tmp/faults.log" || fail "no failure named with its point id"
pgrep -f "$faulty" > /dev/null && fail "faulty processes survived the scan: $(pgrep -af "$faulty")"
ls -d "$tmp"/mlscan-faults-* 2>/dev/null && fail "scratch directories left behind"
"$PYTHON3" - "$tmp/faults.h5" "$NF" <<'PY' || fail "fault scan: rows"
import sys, re, h5py, numpy as np
p = h5py.File(sys.argv[1], "r")["points"]
n = p.attrs["rows"]
N = int(sys.argv[2])
assert n == N, (n, N)
ids = np.sort(p["id"][:n])
assert (ids == np.arange(N)).all(), "ids are not 0..N-1"
names = list(p.attrs["status_names"])
st = p["status"][:n]
err = [e.decode() for e in p["error"][:n]]
want = {"failed": r"^faulty: (killed by signal (11|6)|exit status 3)", "timeout": r"^faulty: timed out after",
        "unreadable": r"^faulty: out\.dat ", "nonfinite": r"^read: y = (nan|inf)$",
        "missing_output": r"^faulty: exited 0 but wrote no out\.dat", "ok": r"^$"}
count = {}
for s, e in zip(st, err):
    name = names[s]
    count[name] = count.get(name, 0) + 1
    assert re.search(want[name], e), (name, e)
print(count)
for name in want:
    assert count.get(name, 0) > 0, f"no {name} point"
ok = st == 0
assert np.isfinite(p["obs"][:n][ok]).all()
assert (p["nll"][:n][~ok] > 700).all() and not p["good"][:n][~ok].any()
y = p["obs"][:n][ok, 0]
x = p["x"][:n][ok]
assert np.allclose(y, x[:, 0] + np.array([float("%.6e" % b) for b in x[:, 1]]), rtol=1e-14, atol=0)
PY

# The toy model as an external program gives the built-in model's numbers.
sh_prog="$top_srcdir/share/examples/toy_shell.sh"
cat > "$tmp/ext.yaml" <<EOC
run: {seed: 9, name: extshell}
stop: {evaluations: 200}
parameters: {x1: {range: [0, 31.4159]}, x2: {range: [0, 31.4159]}, x3: {range: [0, 31.4159]}}
physics:
  templates: [{from: $tmp/shell.tmpl, to: params.dat}]
  programs: [{name: toy_shell, run: [$sh_prog, params.dat, shell.out], output: shell.out}]
  observables: {F: {text: [shell.out, L]}}
likelihood: {F: {upper: {limit: 0, sigma: 1}}}
target: {nll_below: 1}
EOC
printf 'x1 {x1}\nx2 {x2}\nx3 {x3}\n' > "$tmp/shell.tmpl"
sed 's/^physics:.*/physics: {builtin: shell3d}/; /^  /d' "$tmp/ext.yaml" > "$tmp/builtin.yaml"
launch 2 "$MLSCAN" "$tmp/ext.yaml" -o "$tmp/ext.h5" -q || fail "external toy scan exited $?"
launch 2 "$MLSCAN" "$tmp/builtin.yaml" -o "$tmp/builtin.h5" -q || fail "built-in toy scan exited $?"
"$PYTHON3" - "$tmp/ext.h5" "$tmp/builtin.h5" <<'PY' || fail "external toy vs built-in"
import sys, h5py, numpy as np
a, b = (h5py.File(f, "r")["points"] for f in sys.argv[1:3])
oa, ob = np.argsort(a["id"][:]), np.argsort(b["id"][:])
assert a.attrs["rows"] == b.attrs["rows"] == 200
assert (a["status"][:][oa] == 0).all()
assert (a["x"][:][oa] == b["x"][:][ob]).all()
assert np.allclose(a["obs"][:][oa], b["obs"][:][ob], rtol=1e-12, atol=0)
print("external toy_shell.sh matches built-in shell3d on 200 points")
PY
echo "PASS"
