#!/bin/sh
# mlscan info and mlscan export read an output file back. A 2-rank dnnr scan and a 2-rank random
# scan of shell3d_holes (a third of the points fail): export's CSV/TSV holds exactly the committed
# rows, sorted by id, every value equal to the HDF5 one (reals bit for bit), --good exactly the
# good rows, --terms the term columns, RFC 4180 quoting; info's counts by status, good count,
# generations, best point, model and checkpoint lines agree with h5py. Then damaged and foreign
# files (one-line errors), a file cut short by /points@rows, and a scan read while it runs and
# after a kill -9.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
builddir=$(dirname "$MLSCAN")
REPORT="${REPORT:-$MLSCAN}"
[ -x "${REPORT%% *}" ] || fail "no ${REPORT%% *} (make check builds it)"

cat > "$tmp/check.py" <<'PY'
"""check.py export H5 OUT MODE | info H5 OUT | live H5 OUT: compare report output with h5py."""
import csv, math, re, sys
import h5py, numpy as np

MAGIC = 0x6D6C7363616E3243


def points(path):
    f = h5py.File(path, "r")
    p = f["points"]
    n = int(p.attrs["rows"])
    cols = {k: p[k][:n] for k in ("id", "generation", "origin", "worker", "status", "x", "obs", "terms",
                                  "nll", "good", "seconds", "error")}
    names = {k: [str(s) for s in p.attrs[k]] for k in ("parameter_names", "observable_names", "term_names",
                                                          "status_names", "origin_names")}
    return f, n, cols, names


def same(text, v):
    """text read back as a double is v exactly (NaN as nan, infinities as inf / -inf)."""
    if math.isnan(v):
        return text == "nan"
    if math.isinf(v):
        return text == ("inf" if v > 0 else "-inf")
    return float(text) == v and repr(float(text)) == repr(float(v))


def check_row(r, i, c, nm, terms):
    np_, no, nt = len(nm["parameter_names"]), len(nm["observable_names"]), len(nm["term_names"])
    assert int(r[0]) == c["id"][i], (r[0], c["id"][i])
    assert int(r[1]) == c["generation"][i]
    assert r[2] == nm["origin_names"][c["origin"][i]], (r[2], c["origin"][i])
    assert int(r[3]) == c["worker"][i]
    assert r[4] == nm["status_names"][c["status"][i]], (r[4], c["status"][i])
    vals = list(c["x"][i]) + list(c["obs"][i]) + (list(c["terms"][i]) if terms else [])
    k = 5
    for v in vals:
        assert same(r[k], v), (c["id"][i], k, r[k], repr(v))
        k += 1
    assert same(r[k], c["nll"][i]), (r[k], c["nll"][i])
    assert r[k + 1] == ("1" if c["good"][i] else "0")
    assert same(r[k + 2], c["seconds"][i])
    assert r[k + 3] == c["error"][i].decode(), (r[k + 3], c["error"][i])
    assert len(r) == 5 + np_ + no + (nt if terms else 0) + 4


def check_export(path, out, mode):
    f, n, c, nm = points(path)
    sep = "\t" if mode == "tsv" else ","
    terms = mode == "terms"
    raw = open(out, newline="").read()
    rows = list(csv.reader(open(out, newline=""), delimiter=sep))
    head = (["id", "generation", "origin", "worker", "status"] + nm["parameter_names"] + nm["observable_names"]
            + (["term:" + t for t in nm["term_names"]] if terms else []) + ["nll", "good", "seconds", "error"])
    assert rows[0] == head, rows[0]
    assert raw.split("\n", 1)[0] == sep.join(head), "header not joined by the separator"
    order = np.argsort(c["id"], kind="stable")
    if mode == "good":
        order = order[c["good"][order]]
    body = rows[1:]
    assert len(body) == len(order), (len(body), len(order), n)
    ids = [int(r[0]) for r in body]
    assert all(a < b for a, b in zip(ids, ids[1:])), "ids not sorted and unique"
    for r, i in zip(body, order):
        check_row(r, i, c, nm, terms)
    print(f"{out}: {len(body)} rows of {n} ({mode}) equal to the file's")


def check_info(path, out):
    f, n, c, nm = points(path)
    text = open(out).read()
    lines = text.split("\n")

    def field(label):
        got = [l[len(label) + 1:].strip() for l in lines if l.startswith(label + ":")]
        assert len(got) == 1, (label, got)
        return got[0]

    for label, attr in (("run", "run_name"), ("method", "method"), ("physics", "physics")):
        assert field(label) == str(f.attrs[attr]), (label, field(label))
    assert int(field("seed")) == f.attrs["seed"] and int(field("ranks")) == f.attrs["ranks"]
    if "card_summary" in f.attrs:
        i = lines.index("card:")
        want = [str(s) for s in f.attrs["card_summary"]]
        assert [l[2:] for l in lines[i + 1:i + 1 + len(want)]] == want, "card summary"
        assert not any(l.startswith("parameters:") for l in lines)
    else:
        assert field("parameters") == ", ".join(nm["parameter_names"])
        assert field("observables") == ", ".join(nm["observable_names"])
        assert field("terms") == ", ".join(nm["term_names"])
    assert field("points") == f"{n} committed rows", field("points")
    counts = np.bincount(c["status"].astype(int), minlength=len(nm["status_names"]))
    for s, name in enumerate(nm["status_names"]):
        m = [re.fullmatch(r"  (\S+)\s+(\d+)\s+(\S+)", l) for l in lines]
        m = [x for x in m if x and x.group(1) == name]
        assert len(m) == 1, name
        assert int(m[0].group(2)) == counts[s], (name, m[0].group(2), counts[s])
        assert abs(float(m[0].group(3)) - counts[s] / n) <= 1e-5 * counts[s] / n, name
    good = int(c["good"].sum())
    assert field("good").startswith(f"{good} (efficiency "), field("good")
    g = f["generations"]
    gr = int(g.attrs["rows"])
    if gr == 0:
        assert not any(l.startswith("generations:") for l in lines)
    else:
        assert int(field("generations")) == gr
        i = next(k for k, l in enumerate(lines) if l.startswith("generations:")) + 1
        assert lines[i].split() == ["generation", "evaluated", "good", "efficiency", "total_efficiency",
                                    "ntrain", "train_loss", "val_loss", "epochs", "train_seconds"]
        table = [l.split() for l in lines[i + 1:i + 1 + gr]]
        assert [int(t[0]) for t in table] == list(g["generation"][:gr])
        assert [int(t[1]) for t in table] == list(g["evaluated"][:gr])
        assert [int(t[2]) for t in table] == list(g["good"][:gr])
        assert not lines[i + 1 + gr].startswith("  "), "more generation rows than /generations@rows"
    ok = np.flatnonzero(c["status"] == nm["status_names"].index("ok"))
    best = ok[np.lexsort((c["id"][ok], c["nll"][ok]))][:10]
    i = next(k for k, l in enumerate(lines) if l.startswith("best points:")) + 1
    assert lines[i].split() == ["id", "nll", "good"] + nm["parameter_names"], lines[i]
    first = lines[i + 1].split()
    assert int(first[0]) == c["id"][best[0]], (first, c["id"][best[0]])
    assert abs(float(first[1]) - c["nll"][best[0]]) <= 1e-5 * abs(c["nll"][best[0]]), first
    assert [int(l.split()[0]) for l in lines[i + 1:i + 1 + len(best)]] == list(c["id"][best])
    if "model" in f:
        a = f["model"].attrs
        hidden = ", ".join(str(w) for w in a["hidden"]) if a["hidden"].shape else ""
        want = (f"generation {a['generation']}, nin {a['nin']}, nout {a['nout']}, hidden [{hidden}], "
                f"activation {a['activation']}, output {a['output']}, step {a['step']}")
    else:
        want = "no model (method random or not trained yet)"
    assert field("model") == want, (field("model"), want)
    if "checkpoint" in f and ("commit" in f["checkpoint"].attrs or "commit" in f["checkpoint"]):
        c = f["checkpoint"]
        cm = [int(v) for v in (c.attrs["commit"] if "commit" in c.attrs else c["commit"][:])]
        k = 1 if cm[0] == MAGIC else 0
        assert field("last checkpoint").startswith(f"sequence {cm[k]}, {cm[k + 2]} rows"), field("last checkpoint")
    else:
        assert not any(l.startswith("last checkpoint:") for l in lines)
    print(f"{out}: info agrees with {path} ({n} rows, {good} good, {gr} generations)")


def check_live(path, out):
    """A CSV exported while the scan ran: its rows are committed rows of the final file."""
    f, n, c, nm = points(path)
    rows = list(csv.reader(open(out, newline="")))
    at = {int(i): k for k, i in enumerate(c["id"])}
    ids = [int(r[0]) for r in rows[1:]]
    assert len(ids) <= n and all(a < b for a, b in zip(ids, ids[1:]))
    for r in rows[1:]:
        check_row(r, at[int(r[0])], c, nm, False)
    print(f"{out}: {len(ids)} rows read while the scan ran, all in the final file ({n} rows)")


globals()["check_" + sys.argv[1]](*sys.argv[2:])
PY
check() {
        "$PYTHON3" "$tmp/check.py" "$@" || fail "check.py $*"
}
# one_line_error FILE WHAT... - $REPORT WHAT... fails with status 1 and one line "mlscan: FILE: ..."
one_line_error() {
        file=$1
        shift
        $REPORT "$@" > "$tmp/err.out" 2> "$tmp/err.txt"
        st=$?
        echo "$* -> $st: $(cat "$tmp/err.txt")"
        [ "$st" = 1 ] || fail "$*: exit status $st, not 1"
        [ "$(wc -l < "$tmp/err.txt")" = 1 ] || fail "$*: not one line on stderr"
        grep -q "^mlscan: $file: " "$tmp/err.txt" || fail "$*: the message does not start with 'mlscan: $file: '"
}

# ------------------------------------------------------------------ two scans
sed -e 's/evaluations: [0-9]*/evaluations: 1500/' -e 's/initial_points: [0-9]*/initial_points: 500/' \
        -e 's/points_per_generation: [0-9]*/points_per_generation: 500/' \
        "$top_srcdir/share/examples/shell3d_dnnr.yaml" > "$tmp/dnnr.yaml"
cat > "$tmp/holes.yaml" <<'EOC'
run: {name: holes, seed: 3, method: random}
stop: {evaluations: 3000}
parameters:
  x1: {range: [-31.41592653589793, 31.41592653589793]}
  x2: {range: [-31.41592653589793, 31.41592653589793]}
  x3: {range: [-31.41592653589793, 31.41592653589793]}
physics: {builtin: shell3d_holes}
likelihood:
  F: {gauss: {mean: 100, sigma: 20}}
target: {nll_below: 0.6931471805599453}
EOC
launch 2 "$MLSCAN" "$tmp/dnnr.yaml" -o "$tmp/dnnr.h5" -q || fail "dnnr scan exited $?"
launch 2 "$MLSCAN" "$tmp/holes.yaml" -o "$tmp/holes.h5" -q 2> /dev/null || fail "holes scan exited $?"

for run in dnnr holes; do
        h5="$tmp/$run.h5"
        $REPORT export "$h5" > "$tmp/$run.csv" || fail "export $run exited $?"
        check export "$h5" "$tmp/$run.csv" all
        $REPORT export "$h5" --good -o "$tmp/$run.good.csv" || fail "export --good $run exited $?"
        check export "$h5" "$tmp/$run.good.csv" good
        $REPORT export "$h5" --tsv > "$tmp/$run.tsv" || fail "export --tsv $run exited $?"
        check export "$h5" "$tmp/$run.tsv" tsv
        $REPORT export "$h5" --terms > "$tmp/$run.terms.csv" || fail "export --terms $run exited $?"
        check export "$h5" "$tmp/$run.terms.csv" terms
        $REPORT info "$h5" > "$tmp/$run.info" || fail "info $run exited $?"
        check info "$h5" "$tmp/$run.info"
done
echo "--- info of the dnnr scan"
cat "$tmp/dnnr.info"
grep -q '^generations: *[1-9]' "$tmp/dnnr.info" || fail "dnnr: no generation table"
grep -q '^model: *generation [0-9]' "$tmp/dnnr.info" || fail "dnnr: no model line"
grep -q '^model: *no model (method random or not trained yet)$' "$tmp/holes.info" || fail "holes: model line"
grep -q '^  invalid  *[1-9]' "$tmp/holes.info" || fail "holes: no invalid points counted"
grep -q ',nan,' "$tmp/holes.csv" || fail "holes: no NaN observable exported as nan"

# ------------------------------------------------------------------ edited copies
# quoting: error strings with the separator, quotes and line breaks; a card summary; checkpoints
cp "$tmp/holes.h5" "$tmp/quote.h5"
cp "$tmp/holes.h5" "$tmp/gaps.h5"
cp "$tmp/dnnr.h5" "$tmp/ckpt.h5"
cp "$tmp/dnnr.h5" "$tmp/ckpt_old.h5"
"$PYTHON3" - "$tmp" <<'PY' || fail "editing copies"
import sys, h5py, numpy as np
t = sys.argv[1]
with h5py.File(f"{t}/quote.h5", "r+") as f:
    ids = f["points/id"][: f["points"].attrs["rows"]]
    e = f["points/error"]
    e[int(np.argmin(ids))] = b'a, "quoted"\nsecond line'  # the first row exported
    e[int(np.argmax(ids))] = b"tab\there; comma, end"
    e[len(ids) // 2] = b'"'
with h5py.File(f"{t}/gaps.h5", "r+") as f:  # ids not 0 .. rows-1: export sorts (id, row) pairs
    n = int(f["points"].attrs["rows"])
    f["points/id"][:n] = (f["points/id"][:n] * 7919) % 100003 + 10
with h5py.File(f"{t}/ckpt.h5", "r+") as f:
    n, g = int(f["points"].attrs["rows"]), int(f["generations"].attrs["rows"])
    f.attrs["card_summary"] = np.array(["run.name = edited", "stop.evaluations = 1500"], dtype=h5py.string_dtype())
    c = f.require_group("checkpoint")
    if "commit" in c.attrs:
        del c.attrs["commit"]
    c.attrs["commit"] = np.array([0x6D6C7363616E3243, 7, 1, n, g, 0, 1, 0], dtype=np.int64)
with h5py.File(f"{t}/ckpt_old.h5", "r+") as f:
    n, g = int(f["points"].attrs["rows"]), int(f["generations"].attrs["rows"])
    c = f.require_group("checkpoint")
    if "commit" in c.attrs:
        del c.attrs["commit"]
    c.attrs["commit"] = np.array([4, 0, n, g], dtype=np.int64)
PY
for mode in all tsv; do
        opt=; [ $mode = tsv ] && opt=--tsv
        $REPORT export "$tmp/quote.h5" $opt > "$tmp/quote.$mode" || fail "export quote.h5 exited $?"
        check export "$tmp/quote.h5" "$tmp/quote.$mode" $mode
done
for mode in all good; do
        opt=; [ $mode = good ] && opt=--good
        $REPORT export "$tmp/gaps.h5" $opt > "$tmp/gaps.$mode" || fail "export gaps.h5 exited $?"
        check export "$tmp/gaps.h5" "$tmp/gaps.$mode" $mode
done
head -2 "$tmp/quote.all" | tail -1 | grep -q ',"a, ""quoted""$' || fail "error string not quoted as RFC 4180 says"
for f in ckpt ckpt_old; do
        $REPORT info "$tmp/$f.h5" > "$tmp/$f.info" || fail "info $f exited $?"
        check info "$tmp/$f.h5" "$tmp/$f.info"
done
grep -q '^last checkpoint: *sequence 7, 1500 rows (the run ended)$' "$tmp/ckpt.info" || fail "checkpoint line"
grep -q '^last checkpoint: *sequence 4, 1500 rows$' "$tmp/ckpt_old.info" || fail "checkpoint line (no magic)"
grep -q '^  stop.evaluations = 1500$' "$tmp/ckpt.info" || fail "card summary not printed"

# ------------------------------------------------------------------ damaged and foreign files
cp "$tmp/holes.h5" "$tmp/short.h5"
cp "$tmp/holes.h5" "$tmp/norows.h5"
cp "$tmp/holes.h5" "$tmp/long.h5"
"$PYTHON3" - "$tmp" <<'PY' || fail "making damaged copies"
import sys, h5py
t = sys.argv[1]
h5py.File(f"{t}/short.h5", "r+")["points"].attrs["rows"] = 700      # as if the run were still going
del h5py.File(f"{t}/norows.h5", "r+")["points"].attrs["rows"]
h5py.File(f"{t}/long.h5", "r+")["points"].attrs["rows"] = 3001      # more rows than the datasets hold
with h5py.File(f"{t}/foreign.h5", "w") as f:
    f["data"] = [1, 2, 3]
PY
$REPORT export "$tmp/short.h5" > "$tmp/short.csv" || fail "export of a cut file exited $?"
[ "$(wc -l < "$tmp/short.csv")" = 701 ] || fail "short.h5: $(wc -l < "$tmp/short.csv") lines, not 701"
check export "$tmp/short.h5" "$tmp/short.csv" all
$REPORT info "$tmp/short.h5" | grep -q '^points: *700 committed rows$' || fail "info of a cut file"
one_line_error "$tmp/norows.h5" info "$tmp/norows.h5"
one_line_error "$tmp/norows.h5" export "$tmp/norows.h5"
one_line_error "$tmp/long.h5" export "$tmp/long.h5"
one_line_error "$tmp/foreign.h5" info "$tmp/foreign.h5"
one_line_error "$tmp/holes.yaml" export "$tmp/holes.yaml"
one_line_error "$tmp/nothere.h5" info "$tmp/nothere.h5"
grep -q 'not an HDF5 file' "$tmp/err.txt" && fail "a missing file called not HDF5"
$REPORT export "$tmp/holes.h5" --no-such-option > /dev/null 2>&1
[ $? = 2 ] || fail "an unknown option is not a usage error (status 2)"

# ------------------------------------------------------------------ a running scan, then kill -9
# an external program (fork, exec, read a file) keeps the scan slow enough to catch it running
printf 'x1 {x1:.17g}\nx2 {x2:.17g}\nx3 {x3:.17g}\n' > "$tmp/shell.tmpl"
cat > "$tmp/run.yaml" <<EOC
run: {name: running, seed: 5, method: random, checkpoint_seconds: 0.05}
stop: {evaluations: 1000000, walltime: 60}
parameters:
  x1: {range: [-31.41592653589793, 31.41592653589793]}
  x2: {range: [-31.41592653589793, 31.41592653589793]}
  x3: {range: [-31.41592653589793, 31.41592653589793]}
physics:
  scratch: $tmp
  templates: [{from: $tmp/shell.tmpl, to: params.dat}]
  programs: [{name: toy_shell, run: [$top_srcdir/share/examples/toy_shell.sh, params.dat, shell.out], output: shell.out}]
  observables: {F: {text: [shell.out, L]}}
likelihood:
  F: {gauss: {mean: 100, sigma: 20}}
target: {nll_below: 0.1053605156578263}
EOC
"$MLSCAN" "$tmp/run.yaml" -o "$tmp/run.h5" -q > "$tmp/run.log" 2>&1 &
pid=$!
sleep 1.5
for k in 1 2 3; do
        $REPORT export "$tmp/run.h5" > "$tmp/live$k.csv" 2> "$tmp/live$k.err"
        st=$?
        echo "export while the scan runs: status $st $(cat "$tmp/live$k.err")"
        [ $st = 0 ] || [ $st = 1 ] || fail "export of a running scan's file: status $st"
        sleep 0.3
done
kill -KILL "$pid" || fail "the scan ended before it was killed: $(cat "$tmp/run.log")"
wait "$pid" 2> /dev/null
[ -f "$tmp/run.h5" ] || fail "the scan wrote no file: $(cat "$tmp/run.log")"
for k in 1 2 3; do
        if [ -s "$tmp/live$k.err" ]; then
                [ "$(wc -l < "$tmp/live$k.err")" = 1 ] && grep -q "^mlscan: $tmp/run.h5: " "$tmp/live$k.err" ||
                        fail "reading a running scan: not a one-line error: $(cat "$tmp/live$k.err")"
        else
                check live "$tmp/run.h5" "$tmp/live$k.csv"
        fi
done
# after the kill: what h5py reads, export reads
if "$PYTHON3" -c 'import sys, h5py; h5py.File(sys.argv[1], "r")["points"].attrs["rows"]' "$tmp/run.h5" 2> /dev/null; then
        $REPORT export "$tmp/run.h5" > "$tmp/killed.csv" || fail "export of a killed run's file exited $?"
        check export "$tmp/run.h5" "$tmp/killed.csv" all
        $REPORT info "$tmp/run.h5" > "$tmp/killed.info" || fail "info of a killed run's file exited $?"
else
        one_line_error "$tmp/run.h5" export "$tmp/run.h5"
fi
echo "PASS"
