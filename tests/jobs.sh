#!/bin/sh
# The batch scripts jobs/slurm.sh and jobs/pbs.sh (jobs/README.md).
# 1. bash -n on every script in jobs/.
# 2. Both dry runs on share/examples/shell3d.yaml: exit 0 and print the submission with the
#    stop signal, the successor's afterany dependency and the launch with --resume; a missing
#    card is one line and a non-zero status.
# 3. Chains run here for real: sbatch/squeue/scancel and qsub/qstat/qdel are stubs in a
#    temporary PATH that record each submission, and the test runs the recorded jobs itself,
#    in order, as the batch system would; srun is a stub that execs $MPIEXEC with the same rank
#    count; mlscan, MPI and HDF5 are the real ones.
#    SLURM: a job stopped by SIGTERM (as --signal=B:TERM sends it) resumes in its successor,
#    which completes the run and cancels its own successor; that one, run anyway, exits 0
#    without running mlscan; a second chain on a running one is refused; a job whose mlscan
#    fails (the card changed) stops the chain. PBS (the job script fed on standard input, as
#    PBS does): the timer stops mlscan before the time limit, and MAX_RESUBMIT ends the chain.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
command -v bash > /dev/null || { echo "SKIP: no bash"; exit 77; }
jobs="$top_srcdir/jobs"

# ------------------------------------------------------------------ 1. syntax
for f in "$jobs"/*.sh; do
        bash -n "$f" || fail "bash -n $f"
done
echo "bash -n: $(ls "$jobs"/*.sh | wc -l) scripts"

# ------------------------------------------------------------------ 2. dry runs
card="$top_srcdir/share/examples/shell3d.yaml"
# no batch system, no mlscan in PATH: a dry run needs neither
DRY_RUN=1 PATH=/usr/bin:/bin bash "$jobs/slurm.sh" "$card" > "$tmp/dry_slurm" 2>&1 || { cat "$tmp/dry_slurm"; fail "slurm dry run exited $?"; }
cat "$tmp/dry_slurm"
has() { # FILE PATTERN WHAT
        grep -Eq -- "$2" "$1" || fail "$1: no $3 (pattern '$2')"
}
has "$tmp/dry_slurm" '^sbatch .*--signal=B:TERM@300 ' "first sbatch with --signal"
has "$tmp/dry_slurm" '^sbatch .*--dependency=afterany:\$SLURM_JOB_ID ' "successor sbatch with afterany"
has "$tmp/dry_slurm" '^sbatch .*--ntasks=1 --cpus-per-task=8 : .*--ntasks=63 --cpus-per-task=1 ' "heterogeneous layout"
has "$tmp/dry_slurm" '^srun .*mlscan [^ ]*shell3d.yaml --output [^ ]*shell3d.h5 --resume( |$)' "srun of mlscan --resume"
has "$tmp/dry_slurm" '^srun .*--resume --threads 8( |$)' "rank 0 trains with RANK0_CORES threads"
has "$tmp/dry_slurm" '^kill -USR1 ' "signal forwarding"
has "$tmp/dry_slurm" '^scancel ' "scancel of the successor"

DRY_RUN=1 PATH=/usr/bin:/bin bash "$jobs/pbs.sh" "$card" > "$tmp/dry_pbs" 2>&1 || { cat "$tmp/dry_pbs"; fail "pbs dry run exited $?"; }
cat "$tmp/dry_pbs"
has "$tmp/dry_pbs" '^qsub .*-l select=1:ncpus=8:mpiprocs=1[^ ]*\+63:ncpus=1:mpiprocs=1 ' "select chunks"
has "$tmp/dry_pbs" '^qsub .*-W depend=afterany:\$PBS_JOBID ' "successor qsub with afterany"
has "$tmp/dry_pbs" '^[^ ]*mpiexec .*mlscan [^ ]*shell3d.yaml --output [^ ]*shell3d.h5 --resume( |$)' "mpiexec of mlscan --resume"
has "$tmp/dry_pbs" '^sleep 42900 && kill -TERM ' "stop timer"
has "$tmp/dry_pbs" '^kill -USR1 ' "signal forwarding"
has "$tmp/dry_pbs" '^qdel ' "qdel of the successor"

for s in slurm pbs; do
        DRY_RUN=1 bash "$jobs/$s.sh" "$tmp/missing.yaml" > "$tmp/out" 2> "$tmp/err" && fail "$s: a missing card was accepted"
        cat "$tmp/err"
        [ "$(wc -l < "$tmp/err")" = 1 ] && [ ! -s "$tmp/out" ] || fail "$s: a missing card is not one line on stderr"
        grep -q "missing.yaml' does not exist" "$tmp/err" || fail "$s: the message does not name the card"
done

# a job the script did not submit (sbatch jobs/slurm.sh CARD by hand) refuses to run: its
# resources are the site's defaults, not the layout the script asks for
SLURM_JOB_ID=999 SLURM_SUBMIT_DIR="$tmp" bash "$jobs/slurm.sh" "$card" > "$tmp/out" 2> "$tmp/err" && fail "a job not submitted by the script ran"
cat "$tmp/err"
[ "$(wc -l < "$tmp/err")" = 1 ] && grep -q "was not submitted by the script: submit with bash jobs/slurm.sh" "$tmp/err" ||
        fail "a job not submitted by the script: no one-line error"

# ------------------------------------------------------------------ 3. chains, with a stub batch system
mkdir "$tmp/bin" "$tmp/q" "$tmp/run" "$tmp/scratch" || exit 99
cat > "$tmp/bin/sbatch" << 'EOF'
#!/bin/bash
# fake sbatch: records the job (script, arguments, exported variables, dependency)
q=${JOBQ:?}
n=$(($(cat "$q/counter" 2> /dev/null || echo 1000) + 1))
echo "$n" > "$q/counter"
printf '%s\n' "$*" > "$q/$n.cmd"
: > "$q/$n.env"
script= args=() parsable=
for a in "$@"; do
        if [ -n "$script" ]; then args+=("$a"); continue; fi
        case $a in
        --parsable) parsable=1 ;;
        --export=*) tr , '\n' <<< "${a#--export=}" | grep = >> "$q/$n.env" ;;
        --dependency=*) echo "${a#--dependency=}" > "$q/$n.dep" ;;
        : | -*) ;;
        *) script=$a ;;
        esac
done
echo "$script" > "$q/$n.script"
printf '%s\n' "${args[@]}" > "$q/$n.args"
[ -n "$parsable" ] && echo "$n" || echo "Submitted batch job $n"
EOF
cat > "$tmp/bin/squeue" << 'EOF'
#!/bin/bash
# fake squeue -h -j ID -o %T: PENDING while the job is neither cancelled nor run
while [ $# -gt 0 ]; do [ "$1" = -j ] && id=$2; shift; done
[ -e "$JOBQ/$id.cmd" ] && [ ! -e "$JOBQ/$id.cancelled" ] && [ ! -e "$JOBQ/$id.done" ] && echo PENDING
exit 0
EOF
cat > "$tmp/bin/scancel" << 'EOF'
#!/bin/bash
touch "$JOBQ/${1%%.*}.cancelled"
EOF
cat > "$tmp/bin/srun" << 'EOF'
#!/bin/bash
# fake srun: the ranks of every component (--ntasks=N) under $MPIEXEC on this machine,
# running the first component's command
n=0 comp=0 incmd= cmd=()
for a in "$@"; do
        if [ "$a" = : ]; then comp=$((comp + 1)); incmd=; continue; fi
        if [ -n "$incmd" ]; then [ "$comp" = 0 ] && cmd+=("$a"); continue; fi
        case $a in
        --ntasks=*) n=$((n + ${a#--ntasks=})) ;;
        -*) ;;
        *) incmd=1; [ "$comp" = 0 ] && cmd+=("$a") ;;
        esac
done
exec "$MPIEXEC" -n "$n" "${cmd[@]}"
EOF
cat > "$tmp/bin/qsub" << 'EOF'
#!/bin/bash
# fake qsub: records the job (script, -v variables, dependency); ids are N.pbs
q=${JOBQ:?}
n=$(($(cat "$q/counter" 2> /dev/null || echo 1000) + 1))
echo "$n" > "$q/counter"
printf '%s\n' "$*" > "$q/$n.cmd"
: > "$q/$n.env"
while [ $# -gt 1 ]; do
        case $1 in
        -v) tr , '\n' <<< "$2" >> "$q/$n.env"; shift ;;
        -W) echo "${2#depend=}" > "$q/$n.dep"; shift ;;
        -N | -S | -j | -r | -l | -q | -A) shift ;;
        esac
        shift
done
echo "$1" > "$q/$n.script"
: > "$q/$n.args"
echo "$n.pbs"
EOF
cat > "$tmp/bin/qstat" << 'EOF'
#!/bin/bash
id=${1%%.*}
[ -e "$JOBQ/$id.cmd" ] && [ ! -e "$JOBQ/$id.cancelled" ] && [ ! -e "$JOBQ/$id.done" ]
EOF
cp "$tmp/bin/scancel" "$tmp/bin/qdel"
chmod +x "$tmp/bin"/*

# run_job SCHED N - run recorded job N as the batch system would, in the foreground
# (start_job: in the background, its pid in $job). PBS feeds the script on standard input.
start_job() {
        rm -f "$tmp/q/$2.started"
        (
                cd "$tmp/run" || exit 99
                # shellcheck disable=SC2046
                export $(cat "$tmp/q/$2.env")
                if [ "$1" = slurm ]; then
                        export SLURM_JOB_ID="$2" SLURM_SUBMIT_DIR="$tmp/run"
                        exec bash "$(cat "$tmp/q/$2.script")" $(cat "$tmp/q/$2.args")
                else
                        export PBS_JOBID="$2.pbs" PBS_O_WORKDIR="$tmp/run"
                        cd "$HOME" 2> /dev/null
                        exec bash -s < "$(cat "$tmp/q/$2.script")"
                fi
        ) > "$tmp/job$2.out" 2>&1 &
        job=$!
}
run_job() {
        start_job "$@"
        wait "$job"
        status=$?
        touch "$tmp/q/$2.done"
        sed 's/^/    | /' "$tmp/job$2.out"
}
state() { # OUTPUT KEY - a value of the chain's state file
        sed -n "s/^$2=//p" "$tmp/run/$1.chain"
}
expect_state() { # OUTPUT KEY VALUE
        [ "$(state "$1" "$2")" = "$3" ] || { cat "$tmp/run/$1.chain"; fail "$1.chain: $2 is '$(state "$1" "$2")', expected '$3'"; }
}
last_id() { cat "$tmp/q/counter"; }
rows() { "$MLSCAN" info "$tmp/run/$1" | awk '/^points:/ { print $2 }'; }

export PATH="$tmp/bin:$PATH" JOBQ="$tmp/q" MLSCAN MPIEXEC
export TOY="$top_srcdir/share/examples/toy_shell.sh" SLOW=0.005
export RANK0_CORES=1 WORKERS=2 TIME_LIMIT=10:00 STOP_MARGIN=60 MAX_RESUBMIT=3 SCRATCH_DIR="$tmp/scratch"
cp "$top_srcdir/tests/mpi/slow_shell.sh" "$tmp/slow_shell.sh"
chain_card() { # NAME SEED EVALUATIONS [", walltime: S"] - a random scan through the slow external toy
        cat << EOC
run: {name: $1, seed: $2, method: random, checkpoint_seconds: 0.5}
stop: {evaluations: $3${4:-}}
parameters:
  x1: {range: [-31.41592653589793, 31.41592653589793]}
  x2: {range: [-31.41592653589793, 31.41592653589793]}
  x3: {range: [-31.41592653589793, 31.41592653589793]}
physics:
  scratch: \${MLSCAN_SCRATCH}
  keep_scratch: true
  templates: [{from: $top_srcdir/share/examples/shell3d_params.tmpl, to: params.dat}]
  programs: [{name: toy_shell, run: [$tmp/slow_shell.sh, params.dat, shell.out], output: shell.out, timeout: 20}]
  observables: {F: {text: [shell.out, L]}}
likelihood: {F: {gauss: {mean: 100, sigma: 20}}}
target: {nll_below: 0.1053605156578263}
EOC
}
# stop_when_checkpointed OUTPUT - SIGTERM to the running job once mlscan has checkpointed
stop_when_checkpointed() {
        i=0
        until grep -q "checkpoint: evaluated" "$tmp/run/$1.run.log" 2> /dev/null; do
                i=$((i + 1))
                [ "$i" -le 300 ] || { kill -9 "$job"; fail "no checkpoint within 30 s"; }
                sleep 0.1
        done
        echo "+ kill -TERM (the job script, as --signal=B:TERM@$STOP_MARGIN does)"
        kill -TERM "$job"
}

echo "=== SLURM: stop, resume, stop.walltime, complete"
chain_card chain 5 1000 ", walltime: 2" > "$tmp/run/chain.yaml"
(cd "$tmp/run" && bash "$jobs/slurm.sh" chain.yaml) || fail "submission exited $?"
j1=$(last_id)
expect_state chain.h5 status queued
expect_state chain.h5 next "$j1"
grep -q -- "--signal=B:TERM@60 " "$tmp/q/$j1.cmd" || fail "the first job has no --signal"
(cd "$tmp/run" && bash "$jobs/slurm.sh" chain.yaml) > "$tmp/out" 2>&1 && fail "a second chain on a queued one was accepted"
cat "$tmp/out"
grep -q "already running for .*job $j1 is queued" "$tmp/out" || fail "no 'already running' message"
[ "$(last_id)" = "$j1" ] || fail "the refused chain submitted a job"

# job 1: SIGTERM (before stop.walltime's 2 s)
start_job slurm "$j1"
stop_when_checkpointed chain.h5
wait "$job" || fail "job $j1 (stopped) exited $?"
touch "$tmp/q/$j1.done"
sed 's/^/    | /' "$tmp/job$j1.out"
j2=$((j1 + 1))
[ "$(last_id)" = "$j2" ] || fail "job $j1 did not submit one successor"
[ "$(cat "$tmp/q/$j2.dep")" = "afterany:$j1" ] || fail "job $j2 does not depend on $j1 (afterany)"
expect_state chain.h5 status stopped
expect_state chain.h5 exit 3
expect_state chain.h5 next "$j2"
grep -q "asking mlscan to stop (SIGUSR1 to rank 0, pid" "$tmp/job$j1.out" || fail "job $j1 did not pass the signal to rank 0"
r1=$(state chain.h5 rows)
[ "$r1" -gt 0 ] && [ "$r1" -lt 1000 ] || fail "the stopped job left $r1 rows"

# job 2: mlscan exits 0 at stop.walltime: not the end of the run
run_job slurm "$j2"
[ "$status" = 0 ] || fail "job $j2 (stop.walltime) exited $status"
j3=$((j2 + 1))
expect_state chain.h5 status walltime
expect_state chain.h5 exit 0
expect_state chain.h5 next "$j3"
r2=$(state chain.h5 rows)
[ "$r2" -gt "$r1" ] && [ "$r2" -lt 1000 ] || fail "job $j2 left $r2 rows (job $j1: $r1)"

# job 3: the card's budget lowered to 20 more points, no stop.walltime: the run completes
chain_card chain 5 $((r2 + 20)) > "$tmp/run/chain.yaml"
run_job slurm "$j3"
[ "$status" = 0 ] || fail "job $j3 (completing) exited $status"
j4=$((j3 + 1))
expect_state chain.h5 status complete
expect_state chain.h5 exit 0
expect_state chain.h5 next ""
[ -e "$tmp/q/$j4.cancelled" ] || fail "job $j3 completed the run but did not cancel its successor $j4"
[ "$(rows chain.h5)" = $((r2 + 20)) ] || fail "the chain's file holds $(rows chain.h5) rows, expected $((r2 + 20))"
[ "$(grep -c "resuming" "$tmp/run/chain.h5.run.log")" -ge 2 ] || fail "jobs $j2 and $j3 did not resume"
ls "$tmp/scratch" | grep -q '^mlscan-chain-r1-' || fail "no scratch directory in SCRATCH_DIR (\$MLSCAN_SCRATCH)"

run_job slurm "$j4" # cancelled, but say it ran anyway
[ "$status" = 0 ] || fail "the successor of a complete run exited $status"
grep -q "not running mlscan: the chain has ended (complete" "$tmp/job$j4.out" || fail "job $j4 did not say why it does nothing"
[ "$(last_id)" = "$j4" ] || fail "job $j4 submitted a job"
cat "$tmp/run/chain.h5.chain.log"

echo "=== SLURM: a failing mlscan stops the chain"
chain_card fails 6 100000 > "$tmp/run/fails.yaml"
head -c 4096 /dev/urandom > "$tmp/run/fails.h5" # mlscan refuses to resume a file that is not its own
(cd "$tmp/run" && CHECK_CARD=0 bash "$jobs/slurm.sh" fails.yaml) || fail "submission exited $?"
j1=$(last_id)
run_job slurm "$j1"
[ "$status" = 1 ] || fail "job $j1 (mlscan fails) exited $status, expected mlscan's 1"
expect_state fails.h5 status failed
expect_state fails.h5 exit 1
j2=$((j1 + 1))
[ -e "$tmp/q/$j2.cancelled" ] || fail "the failed job did not cancel its successor"
grep -q "cannot open .*fails.h5" "$tmp/run/fails.h5.run.log" || fail "mlscan's reason is not in the run log"
run_job slurm "$j2"
[ "$status" = 0 ] || fail "the successor of a failed job exited $status"
grep -q "not running mlscan: the chain has ended (failed: mlscan exited with status 1" "$tmp/job$j2.out" || fail "job $j2 did not say why"
[ "$(last_id)" = "$j2" ] || fail "the failed chain went on"

echo "=== PBS: the stop timer, MAX_RESUBMIT"
chain_card pbs 8 100000 > "$tmp/run/pbs.yaml"
export TIME_LIMIT=7 STOP_MARGIN=5 MAX_RESUBMIT=1 # the timer fires after about 2 s
(cd "$tmp/run" && CHECK_CARD=0 bash "$jobs/pbs.sh" pbs.yaml) || fail "submission exited $?"
j1=$(last_id)
grep -q -- "-l walltime=0:00:07 " "$tmp/q/$j1.cmd" || fail "qsub without the walltime: $(cat "$tmp/q/$j1.cmd")"
run_job pbs "$j1"
[ "$status" = 0 ] || fail "PBS job $j1 exited $status"
j2=$((j1 + 1))
expect_state pbs.h5 status stopped
expect_state pbs.h5 next "$j2.pbs"
[ "$(cat "$tmp/q/$j2.dep")" = "afterany:$j1.pbs" ] || fail "PBS job $j2 does not depend on $j1 (afterany)"
grep -q "stop timer: mlscan is asked to stop in [0-9]* s" "$tmp/job$j1.out" || fail "no stop timer"
grep -q "got SIGTERM: asking mlscan to stop (SIGUSR1 to rank 0" "$tmp/job$j1.out" || fail "the timer did not stop mlscan through rank 0"
run_job pbs "$j2"
[ "$status" = 0 ] || fail "PBS job $j2 exited $status"
[ "$(last_id)" = "$j2" ] || fail "the chain's last job (MAX_RESUBMIT=1) submitted a successor"
expect_state pbs.h5 status limit
expect_state pbs.h5 jobs 2
r=$(rows pbs.h5)
[ "$r" -gt "$(state pbs.h5 rows_start)" ] || fail "the second PBS job added no rows"
cat "$tmp/run/pbs.h5.chain.log"
pgrep -f "$tmp/slow_shell.sh" > /dev/null && fail "physics programs survived"
# rank 0 alone got the signal: the workers ended their programs and left those points pending
grep "killed by signal" "$tmp"/run/*.run.log && fail "a physics program died of the stop signal"
echo "PASS"
