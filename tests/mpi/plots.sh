#!/bin/sh
# share/mlscan-plot.py on real output: a short 2-rank dnnr scan of shell3d gives corner.png,
# generations.png, loss.png and (once `mlscan predict` exists) slice.png, each a real, non-blank
# PNG; a random scan gives corner.png alone and exit 0; a file that is not an mlscan output file
# gives exit 2 and a one-line message.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
"$PYTHON3" -c 'import matplotlib' 2>/dev/null || { echo "SKIP: $PYTHON3 has no matplotlib (apt-get install python3-matplotlib)"; exit 77; }
plot="$top_srcdir/share/mlscan-plot.py"
[ -f "$plot" ] || fail "no $plot"
[ -x "$plot" ] || fail "$plot is not executable"
export MPLBACKEND=Agg

# pngs DIR NAME... - each DIR/NAME is a PNG of more than 5 kB whose pixels are not all alike
pngs() {
        "$PYTHON3" - "$@" <<'PY'
import os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
d = sys.argv[1]
for name in sys.argv[2:]:
    path = os.path.join(d, name)
    assert os.path.isfile(path), f"{path}: not written"
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n", f"{path}: no PNG signature"
    size = os.path.getsize(path)
    assert size > 5000, f"{path}: only {size} bytes"
    img = mpimg.imread(path)
    sd = float(img[..., :3].std())
    assert sd > 0, f"{path}: blank image"
    print(f"{name}: {size} bytes, {img.shape[1]}x{img.shape[0]} px, pixel std {sd:.3f}")
PY
}

# small_card SRC DEST - SRC with a 1500-evaluation budget and short training
small_card() {
        sed -e 's/^\( *evaluations:\).*/\1 1500/' -e 's/^\( *initial_points:\).*/\1 500/' \
                -e 's/^\( *points_per_generation:\).*/\1 500/' -e 's/^\( *epochs:\).*/\1 50/' "$1" > "$2"
        grep -q '^ *evaluations: 1500$' "$2" || fail "$2: could not set the evaluation budget"
}

# ---- a learning method: every plot
small_card "$top_srcdir/share/examples/shell3d_dnnr.yaml" "$tmp/dnnr.yaml"
grep -q '^ *epochs: 50$' "$tmp/dnnr.yaml" || fail "could not shorten the training"
launch 2 "$MLSCAN" "$tmp/dnnr.yaml" -o "$tmp/dnnr.h5" -q || fail "dnnr scan exited $?"

# Is `mlscan predict` there yet? Listed in --help, or a tiny prediction works.
has_predict=no
if "$MLSCAN" --help 2>&1 | grep -Eq '^ +predict( |$)'; then
        has_predict=yes
elif "$MLSCAN" predict "$tmp/dnnr.h5" --grid x1=3 --grid x2=3 -o "$tmp/probe.csv" > "$tmp/probe.log" 2>&1; then
        has_predict=yes
elif grep -Eqi 'unknown|unexpected|cannot open|card' "$tmp/probe.log"; then
        echo "mlscan predict does not exist yet: $(head -n 1 "$tmp/probe.log")"
else
        cat "$tmp/probe.log"
        fail "mlscan predict failed on a dnnr file"
fi

echo "+ $plot $tmp/dnnr.h5 -o $tmp/dnnr-plots --mlscan $MLSCAN"
"$PYTHON3" "$plot" "$tmp/dnnr.h5" -o "$tmp/dnnr-plots" --mlscan "$MLSCAN" > "$tmp/dnnr.out" 2> "$tmp/dnnr.err" ||
        { cat "$tmp/dnnr.out" "$tmp/dnnr.err"; fail "mlscan-plot exited $? on the dnnr file"; }
cat "$tmp/dnnr.out" "$tmp/dnnr.err"
expect="corner.png generations.png loss.png"
[ "$has_predict" = yes ] && expect="$expect slice.png"
pngs "$tmp/dnnr-plots" $expect || fail "dnnr plots"
for name in $expect; do
        grep -qx "$tmp/dnnr-plots/$name" "$tmp/dnnr.out" || fail "the path of $name was not printed"
done
[ "$(wc -l < "$tmp/dnnr.out")" -eq "$(echo $expect | wc -w)" ] || fail "stdout is not one line per PNG"
if [ "$has_predict" = yes ]; then
        grep -q "skipping" "$tmp/dnnr.err" && fail "a plot was skipped on a dnnr file: $(cat "$tmp/dnnr.err")"
else
        [ -e "$tmp/dnnr-plots/slice.png" ] && fail "slice.png written without mlscan predict"
        grep -q "^mlscan-plot: skipping slice.png: " "$tmp/dnnr.err" || fail "no message about the skipped slice"
        echo "slice.png skipped: mlscan predict is not available yet"
fi

# ---- method random: corner.png only, exit 0
small_card "$top_srcdir/share/examples/shell3d.yaml" "$tmp/random.yaml"
launch 2 "$MLSCAN" "$tmp/random.yaml" -o "$tmp/random.h5" -q || fail "random scan exited $?"
echo "+ $plot $tmp/random.h5 -o $tmp/random-plots"
"$PYTHON3" "$plot" "$tmp/random.h5" -o "$tmp/random-plots" --mlscan "$MLSCAN" > "$tmp/random.out" 2> "$tmp/random.err" ||
        { cat "$tmp/random.out" "$tmp/random.err"; fail "mlscan-plot exited $? on the random file"; }
cat "$tmp/random.out" "$tmp/random.err"
pngs "$tmp/random-plots" corner.png || fail "random plots"
[ "$(cat "$tmp/random.out")" = "$tmp/random-plots/corner.png" ] || fail "random: stdout is not the corner.png path alone"
for name in generations.png loss.png slice.png; do
        [ -e "$tmp/random-plots/$name" ] && fail "random: $name written"
done
grep -q "^mlscan-plot: skipping generations.png and loss.png: " "$tmp/random.err" || fail "random: no message about the skipped generation plots"
grep -q "^mlscan-plot: skipping slice.png: " "$tmp/random.err" || fail "random: no message about the skipped slice"

# ---- not an mlscan output file: exit 2 and one line "mlscan-plot: FILE: reason"
echo "not HDF5" > "$tmp/junk.h5"
"$PYTHON3" -c 'import sys, h5py; h5py.File(sys.argv[1], "w").create_group("other")' "$tmp/other.h5" || fail "h5py"
for f in "$tmp/junk.h5" "$tmp/other.h5" "$tmp/missing.h5"; do
        rc=0
        "$PYTHON3" "$plot" "$f" -o "$tmp/bad-plots" > "$tmp/bad.out" 2> "$tmp/bad.err" || rc=$?
        echo "$(basename "$f"): exit $rc: $(cat "$tmp/bad.err")"
        [ "$rc" = 2 ] || fail "$f: exit status $rc, not 2"
        [ "$(wc -l < "$tmp/bad.err")" = 1 ] || fail "$f: the message is not one line"
        grep -q "^mlscan-plot: $f: ." "$tmp/bad.err" || fail "$f: the message does not name the file"
        [ -s "$tmp/bad.out" ] && fail "$f: something on stdout"
        [ -e "$tmp/bad-plots" ] && fail "$f: the output directory was created"
done
echo "PASS (slice.png: $([ "$has_predict" = yes ] && echo checked || echo skipped, no mlscan predict yet))"
