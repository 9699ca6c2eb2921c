#!/bin/sh
# kill -9 at random instants. A dnnr scan through an external program (a copy of tests/mpi/slow_shell.sh,
# which logs every evaluation) checkpoints every 0.5 s on 4 ranks; each trial kills mpirun and
# every rank with SIGKILL after a random 0.5-5 s, then checks that the file opens (h5dump and
# mlscan info), resumes to the end, holds ids 0..N-1 once each and exactly the points of an
# uninterrupted run, and counts the points lost: evaluations made before the kill that were not
# in the file. KILL_TRIALS trials (default 3; `make check-kill` runs 12).
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
: "${H5DUMP:=h5dump}"
trials=${KILL_TRIALS:-3}
export TOY="$top_srcdir/share/examples/toy_shell.sh" SLOW=0.02
N=600
slow_card kill 5 "$N" > "$tmp/card.yaml"
launch 4 "$MLSCAN" "$tmp/card.yaml" -o "$tmp/ref.h5" -q || fail "reference run exited $?"
survived=0
: > "$tmp/results"
t=1
while [ "$t" -le "$trials" ]; do
        f="$tmp/trial$t.h5"
        export EVAL_LOG="$tmp/evals$t.log"
        : > "$EVAL_LOG"
        delay=$(awk -v s="$t$$" 'BEGIN { srand(s); printf "%.2f", 0.5 + 4.5 * rand() }')
        setsid "$MPIEXEC" -n 4 "$MLSCAN" "$tmp/card.yaml" -o "$f" -q > "$tmp/trial$t.log" 2>&1 &
        mp=$!
        sleep "$delay"
        # the whole job at once: mpirun and every rank (and the running programs)
        pkill -9 -f "$MLSCAN $tmp/card.yaml" 2>/dev/null
        kill -9 -- -"$mp" 2>/dev/null
        wait "$mp" 2>/dev/null
        pkill -9 -f "$tmp/slow_shell.sh" 2>/dev/null
        evals=$(wc -l < "$EVAL_LOG")
        if [ ! -f "$f" ]; then
                echo "trial $t: killed after $delay s before the file existed ($evals evaluations)"
                echo "$t $delay 0 $evals $evals nofile" >> "$tmp/results"
                t=$((t + 1))
                continue
        fi
        "$H5DUMP" -H "$f" > /dev/null 2>&1 || fail "trial $t: h5dump cannot read the killed file"
        "$MLSCAN" info "$f" > "$tmp/info$t.txt" 2>&1 || { cat "$tmp/info$t.txt"; fail "trial $t: mlscan info failed on the killed file"; }
        rows=$("$PYTHON3" -c "import h5py; print(h5py.File('$f', 'r')['checkpoint/commit'][3])")
        unset EVAL_LOG
        launch 4 "$MLSCAN" "$tmp/card.yaml" -o "$f" --resume -q > "$tmp/resume$t.log" 2>&1 ||
                { cat "$tmp/resume$t.log"; fail "trial $t: resume exited $?"; }
        same_points "$tmp/ref.h5" "$f" || fail "trial $t: the resumed file differs from the uninterrupted run"
        lost=$((evals - rows))
        echo "trial $t: killed after $delay s: $evals evaluations made, $rows in the file (lost $lost); opened, resumed, identical to the uninterrupted run"
        echo "$t $delay $rows $evals $lost ok" >> "$tmp/results"
        survived=$((survived + 1))
        t=$((t + 1))
done
lost=$(awk '{ print $5 }' "$tmp/results" | sort -n | tr '\n' ' ')
median=$(awk '{ print $5 }' "$tmp/results" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "kill -9 trials: $trials, files that opened, resumed and matched: $survived; points lost per kill (sorted): $lost; median $median"
pgrep -f "$tmp/slow_shell.sh" > /dev/null && fail "physics programs survived"
echo "PASS"
