#!/bin/sh
# run.mode async (the default). (1) Checkpoints do not wait for running programs: 2 workers
# evaluate points of 1.5 s each while rank 0 checkpoints every 0.25 s; the first checkpoint comes
# while both programs still run (0 points evaluated), and there are many more checkpoints than
# rounds of points (a checkpoint that waited for the programs would allow one per round).
# (2) A dnnr scan on 4 ranks, stopped by SIGTERM and resumed on 3 ranks, ends with ids 0..N-1
# once each, every point evaluated (none left interrupted), the time columns in /generations
# and the two "time:" lines. (3) A kill -9 of the whole job and a resume give the same.
# (4) Generations queued behind each other are counted right. (5) An older format is refused.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
export TOY="$top_srcdir/share/examples/toy_shell.sh" MODE=async

# (1) checkpoints beside slow programs
SLOW=1.5 CKPT=0.25 slow_card ckpt 3 8 > "$tmp/slow.yaml"
SLOW=1.5 launch 3 "$MLSCAN" "$tmp/slow.yaml" -o "$tmp/slow.h5" > "$tmp/slow.log" 2>&1 || { cat "$tmp/slow.log"; fail "slow run exited $?"; }
nck=$(grep -c "INFO checkpoint: " "$tmp/slow.log")
echo "checkpoints during 4 rounds of 1.5 s points: $nck"
grep "INFO checkpoint: " "$tmp/slow.log" | head -2
grep -q "INFO checkpoint: evaluated 0," "$tmp/slow.log" || fail "no checkpoint while the first programs ran"
[ "$nck" -ge 10 ] || fail "only $nck checkpoints in 6 s at checkpoint_seconds 0.25: they waited for the programs"
# ... and run.checkpoint_max_share 0.01 (the default) thins them out: a checkpoint of c seconds
# delays the next by 99 c, so only a few of the 0.25 s ones are taken (rank 0's I/O line stays small)
SLOW=1.5 CKPT=0.25 SHARE=0.01 slow_card ckpt 3 8 > "$tmp/share.yaml"
SLOW=1.5 launch 3 "$MLSCAN" "$tmp/share.yaml" -o "$tmp/share.h5" > "$tmp/share.log" 2>&1 || { cat "$tmp/share.log"; fail "max_share run exited $?"; }
k=$(grep -c "INFO checkpoint: " "$tmp/share.log")
echo "checkpoints with checkpoint_max_share 0.01: $k (0: $nck)"
[ "$k" -lt "$nck" ] && [ "$k" -le 6 ] || fail "checkpoint_max_share 0.01 left $k checkpoints (without it: $nck)"
check_rows() { # FILE N GENS: ids 0..N-1 once each, no interrupted point, the time columns, >= GENS generations
        "$PYTHON3" - "$1" "$2" "$3" <<'PY' || return 1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r"); n = int(sys.argv[2])
p = f["points"]; rows = p.attrs["rows"]
ids = np.sort(p["id"][:rows])
assert rows == n and (ids == np.arange(n)).all(), ("ids", rows, ids[:5])
assert f["checkpoint/commit"][6] == 1, "not complete"
st = p["status"][:rows]
assert (st == 0).all(), ("statuses", np.unique(st))
u = p["u"][:rows]
assert len(np.unique(u, axis=0)) == rows, "a point was proposed twice"
g = f["generations"]
for c in ("nfill", "physics_seconds", "dispatch_seconds", "io_seconds", "idle_seconds"):
    assert c in g, c
ng = g.attrs["rows"]
assert ng >= int(sys.argv[3]), ng
assert g["physics_seconds"][:ng].sum() > 0
print(f"{rows} points, ids 0..{n - 1} once each, {ng} generations, {g['nfill'][:ng].sum()} fill-ins")
PY
}
check_rows "$tmp/slow.h5" 8 1 || fail "slow run: file checks"

# (2) SIGTERM and resume, in async mode
N=700
SLOW=0.02 slow_card async 11 $N > "$tmp/full.yaml"
export SLOW=0.02
"$MPIEXEC" -n 4 "$MLSCAN" "$tmp/full.yaml" -o "$tmp/stop.h5" > "$tmp/stop.log" 2>&1 &
mp=$!
sleep 3
kill -TERM "$mp"
wait "$mp"
grep -q "stopped by signal 15" "$tmp/stop.log" || { cat "$tmp/stop.log"; fail "no 'stopped by signal' line"; }
grep -q "INFO time: workers in physics" "$tmp/stop.log" || fail "no workers' time line"
grep -q "INFO time: rank 0 dispatch" "$tmp/stop.log" || fail "no rank 0 time line"
grep "INFO time:" "$tmp/stop.log"
launch 3 "$MLSCAN" "$tmp/full.yaml" -o "$tmp/stop.h5" --resume > "$tmp/resume.log" 2>&1 || { cat "$tmp/resume.log"; fail "resume exited $?"; }
grep "resuming" "$tmp/resume.log"
check_rows "$tmp/stop.h5" $N 3 || fail "stopped and resumed (async): file checks"
"$MLSCAN" info "$tmp/stop.h5" | grep "last checkpoint:" | grep -q "the run ended" || fail "mlscan info: no 'last checkpoint: ... (the run ended)' line"

# (3) kill -9 of the whole job, then resume
setsid "$MPIEXEC" -n 4 "$MLSCAN" "$tmp/full.yaml" -o "$tmp/kill.h5" -q > "$tmp/kill.log" 2>&1 &
mp=$!
sleep 3
pkill -9 -f "$MLSCAN $tmp/full.yaml" 2>/dev/null
kill -9 -- -"$mp" 2>/dev/null
wait "$mp" 2>/dev/null
pkill -9 -f "$tmp/slow_shell.sh" 2>/dev/null
launch 4 "$MLSCAN" "$tmp/full.yaml" -o "$tmp/kill.h5" --resume > "$tmp/kresume.log" 2>&1 || { cat "$tmp/kresume.log"; fail "resume after kill -9 exited $?"; }
grep "resuming" "$tmp/kresume.log"
check_rows "$tmp/kill.h5" $N 3 || fail "killed and resumed (async): file checks"
pgrep -f "$tmp/slow_shell.sh" > /dev/null && fail "physics programs survived"

# (4) instant physics, slow training (fill-ins; generations queue up behind each other): every
# generation's points all went out and came back and are counted once (proposed = evaluated > 0,
# nfill <= nrandom, the sum is the run); a generation was once closed before its points left
sed -e 's/mode: sync/mode: async/' -e 's/evaluations: 5000/evaluations: 4000/' "$cases/methods/shell3d.yaml" > "$tmp/fill.yaml"
echo "model: {hidden: [128, 128, 128], epochs: 300, patience: 0}" >> "$tmp/fill.yaml"
launch 4 "$MLSCAN" "$tmp/fill.yaml" -o "$tmp/fill.h5" -q || fail "fill-in run exited $?"
"$PYTHON3" - "$tmp/fill.h5" <<'PY' || fail "fill-in run: file checks"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r"); p = f["points"]; n = p.attrs["rows"]
assert n == 4000 and (np.sort(p["id"][:n]) == np.arange(n)).all()
g = f["generations"]; ng = g.attrs["rows"]
fill, prop, ev, rnd = (g[c][:ng] for c in ("nfill", "proposed", "evaluated", "nrandom"))
assert (prop == ev).all() and (ev > 0).all(), (prop, ev)
assert (fill <= rnd).all(), (fill, rnd)
assert prop.sum() == n, (prop.sum(), n)
# training (300 epochs) is far slower than the instant physics: random fill-ins kept the
# workers busy, at most as many as the generation's own points
assert fill.sum() > 0, "no fill-ins"
assert (fill <= prop - fill).all(), (fill, prop)
print(f"{ng} generations, {fill.sum()} random fill-ins of {n} points")
PY

# (5) a file of an older output format is refused on resume with one line, and left as it was
cp "$tmp/fill.h5" "$tmp/old.h5"
"$PYTHON3" -c "import h5py; h5py.File('$tmp/old.h5', 'r+').attrs['format_version'] = 2"
sum0=$(md5sum < "$tmp/old.h5")
sed 's/evaluations: 4000/evaluations: 5000/' "$tmp/fill.yaml" > "$tmp/more.yaml"
launch 1 "$MLSCAN" "$tmp/more.yaml" -o "$tmp/old.h5" --resume > "$tmp/old.log" 2>&1 && fail "a format-2 file was resumed"
cat "$tmp/old.log"
grep -q "is in output format 2; this mlscan resumes format 3 only" "$tmp/old.log" || fail "no format line"
[ "$(md5sum < "$tmp/old.h5")" = "$sum0" ] || fail "the refused file was changed"
echo PASS
