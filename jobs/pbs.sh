#!/bin/bash
# jobs/pbs.sh - an mlscan scan on a PBS Pro / OpenPBS cluster: a chain of jobs that resubmit
# themselves and resume from the output file until the run is complete. See jobs/README.md.
#
#   bash jobs/pbs.sh CARD.yaml             check the card, submit the first job
#   DRY_RUN=1 bash jobs/pbs.sh CARD.yaml   print the commands; submit and run nothing
#
# Run it with bash, not qsub: it computes the jobs' resources from the settings below. Each of
# them can also be given in the environment (WORKERS=255 bash jobs/pbs.sh run.yaml); qsub -V
# passes the environment on to every job of the chain. Each job resubmits this file, so a
# setting edited here (and not given in the environment) applies from the next job on.
#
# ------------------------------------------------------------------ settings
CARD=${CARD:-}                       # the run card (or give it as the argument)
RANK0_CORES=${RANK0_CORES:-8}        # cores of rank 0, which trains the network with as many
                                     #   threads (mlscan --threads; method random: use 1)
WORKERS=${WORKERS:-63}               # worker ranks (physics programs), 1 core each
TIME_LIMIT=${TIME_LIMIT:-12:00:00}   # per job: HH:MM:SS (also [D-]HH:MM:SS, MM:SS, seconds)
STOP_MARGIN=${STOP_MARGIN:-300}      # seconds before the time limit at which mlscan is stopped
MAX_RESUBMIT=${MAX_RESUBMIT:-10}     # resubmissions after the first job (at most 1 + this jobs)
SELECT=${SELECT:-}                   # the -l select= chunks; empty: rank 0's chunk, then workers:
                                     #   1:ncpus=RANK0_CORES:mpiprocs=1+WORKERS:ncpus=1:mpiprocs=1
QSUB_OPTS=${QSUB_OPTS:-}             # site options, space-separated, e.g. "-q workq -A myproject"
MPIEXEC=${MPIEXEC:-mpiexec}          # Open MPI's mpiexec (built with PBS/TM support)
JOB_NAME=${JOB_NAME:-mlscan}         # at most 15 characters, starting with a letter
OUTPUT=${OUTPUT:-}                   # the output file; empty: the card's run.output (else NAME.h5)
MLSCAN=${MLSCAN:-mlscan}             # the mlscan binary (a name in PATH or a path)
SCRATCH_DIR=${SCRATCH_DIR:-}         # offered to the card as $MLSCAN_SCRATCH; empty: /dev/shm
CHECK_CARD=${CHECK_CARD:-1}          # 1: run `mlscan check CARD` before the first submission

setup_env() { # runs before mlscan in every job (and before the card check at submission)
        # module load openmpi/4.1 hdf5/1.12-mpi onednn   # your site's modules, if any
        :
}
# ------------------------------------------------------------------ end of settings
#
# The layout: the first select chunk is rank 0 alone (1 MPI process, RANK0_CORES cpus), the
# other chunks are the workers. PBS writes $PBS_NODEFILE with one line per MPI process, the
# first chunk's host first; Open MPI 4.1's mpiexec (TM launch) takes its hosts in that order
# and --map-by slot puts rank 0 in the first slot, i.e. on rank 0's chunk. --bind-to none lets
# rank 0's training threads use all of its chunk's cpus (PBS's cgroups, where enabled, keep
# every process to the cpus of its host's chunks).
#
# The stop before the time limit: PBS sends no early signal, so a timer in this script sends
# SIGTERM to the script itself TIME_LIMIT - STOP_MARGIN seconds after the job starts. The
# script sends SIGUSR1 to rank 0 alone (the first rank runs on this node, the first chunk's;
# it records its pid when it starts), and rank 0 stops the workers through MPI: they end their
# programs and leave those points for --resume, and all write a final checkpoint. Only if rank
# 0 is not found here does the script send SIGUSR1 to mpiexec, which forwards it to every rank
# (a SIGTERM to mpiexec would make it kill the ranks about a second later, before their final
# checkpoint). A qdel, or PBS's own SIGTERM at the limit, reaches every process directly; the
# last checkpoint survives even a kill -9.

SCHED=pbs
MLS_USAGE="bash jobs/pbs.sh CARD.yaml (DRY_RUN=1 to print the commands only)"

sched_job_id() { [ -n "${PBS_JOBID:-}" ] && printf '%s\n' "$PBS_JOBID"; }
sched_job_var() { echo '$PBS_JOBID'; }
sched_submit_dir() { printf '%s\n' "${PBS_O_WORKDIR:-$PWD}"; }
sched_tools() { echo qsub qstat qdel; }
sched_cancel_name() { echo qdel; }
sched_cancel() { qdel "$1"; }
sched_active() { qstat "$1" > /dev/null 2>&1 < /dev/null; } # finished jobs need qstat -x

# the path of this script, for resubmission (PBS feeds the job a copy, often on standard input)
sched_self() {
        local p=${MLSCAN_JOB_SCRIPT:-${BASH_SOURCE[0]}}
        case $p in /*) ;; *) p=$PWD/$p ;; esac
        printf '%s\n' "$p"
}

sched_hms() { printf '%d:%02d:%02d\n' $(($1 / 3600)) $(($1 % 3600 / 60)) $(($1 % 60)); }

sched_submit_cmd() { # DEPENDENCY - fills CMD
        local select=${SELECT:-1:ncpus=$RANK0_CORES:mpiprocs=1:ompthreads=$RANK0_CORES+$WORKERS:ncpus=1:mpiprocs=1}
        CMD=(qsub -N "$JOB_NAME" -S /bin/bash -j oe -r n -V -l "select=$select"
                -l "walltime=$(sched_hms "$LIMIT_SECONDS")"
                -v "CARD=$CARD,MLSCAN_CHAIN=$MLSCAN_CHAIN,MLSCAN_JOB_SCRIPT=$SELF")
        [ -z "$1" ] || CMD+=(-W "depend=afterany:$1")
        # shellcheck disable=SC2206 # QSUB_OPTS is a space-separated list on purpose
        CMD+=($QSUB_OPTS "$SELF")
}

sched_submit() { # DEPENDENCY - submit; print the job id
        local out v
        sched_submit_cmd "$1"
        mls_say "+ $(mls_quote "${CMD[@]}")" >&2
        # with -V the new job would inherit this job's PBS_* variables
        out=$(for v in ${!PBS_@}; do unset "$v"; done; "${CMD[@]}" < /dev/null) || return 1
        [ -n "$out" ] || return 1
        printf '%s\n' "$out"
}

sched_launch_cmd() { # fills CMD: the MPI launch of ARGS
        local np=$((WORKERS + 1)) v
        if [ -n "${PBS_NODEFILE:-}" ] && [ -r "$PBS_NODEFILE" ]; then
                np=$(wc -l < "$PBS_NODEFILE")
        fi
        CMD=("$MPIEXEC" -np "$np" --map-by slot --bind-to none)
        # mpiexec passes only OMPI_* variables to remote ranks by itself
        for v in MLSCAN_SCRATCH OMP_NUM_THREADS PATH LD_LIBRARY_PATH; do
                [ -z "${!v+set}" ] || CMD+=(-x "$v")
        done
        CMD+=("${ARGS[@]}")
}

MLS_TIMER=
sched_timer_start() { # SIGTERM to this script STOP_MARGIN s before the time limit
        local left=$((LIMIT_SECONDS - STOP_MARGIN - SECONDS)) me=$$
        [ "$left" -gt 0 ] || left=1
        mls_say "stop timer: mlscan is asked to stop in $left s ($STOP_MARGIN s before the time limit $TIME_LIMIT)"
        (
                trap 'kill "$s" 2> /dev/null; exit 0' TERM
                sleep "$left" &
                s=$!
                wait "$s" && kill -TERM "$me"
        ) &
        MLS_TIMER=$!
}

sched_timer_stop() {
        [ -z "$MLS_TIMER" ] || kill "$MLS_TIMER" 2> /dev/null
        MLS_TIMER=
}

sched_describe_stop() {
        echo "#    A timer started with the run sends SIGTERM to the job script $STOP_MARGIN s before the time limit:"
        echo "sleep $((LIMIT_SECONDS - STOP_MARGIN)) && kill -TERM \$JOB_SCRIPT_PID"
        echo "#    The script sends SIGUSR1 to rank 0 (its pid is in $PIDFILE; if rank 0 is not on this"
        echo "#    node: to mpiexec, for every rank); mlscan stops, writes a final checkpoint, exits 3:"
        echo 'kill -USR1 $RANK0_PID'
}

# ------------------------------------------------------------------ run
mls_common=
for d in "${MLSCAN_JOB_SCRIPT:-}" "${BASH_SOURCE[0]}" "${PBS_O_WORKDIR:-.}/jobs/pbs.sh"; do
        case $d in */*) d=${d%/*} ;; ?*) d=. ;; *) continue ;; esac
        [ -r "$d/common.sh" ] && mls_common=$d/common.sh && break
done
[ -n "$mls_common" ] || { echo "jobs/pbs.sh: cannot find jobs/common.sh next to this script" >&2; exit 2; }
# shellcheck source=jobs/common.sh
. "$mls_common"
mls_main "$@"
exit
