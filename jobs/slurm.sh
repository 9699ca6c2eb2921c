#!/bin/bash
# jobs/slurm.sh - an mlscan scan on a SLURM cluster: a chain of jobs that resubmit themselves
# and resume from the output file until the run is complete. See jobs/README.md.
#
#   bash jobs/slurm.sh CARD.yaml             check the card, submit the first job
#   DRY_RUN=1 bash jobs/slurm.sh CARD.yaml   print the commands; submit and run nothing
#
# Run it with bash, not sbatch: it computes the jobs' resources from the settings below. Each
# of them can also be given in the environment (WORKERS=255 bash jobs/slurm.sh run.yaml); the
# environment passes on to every job of the chain. Each job resubmits this file, so a setting
# edited here (and not given in the environment) applies from the next job on.
#
# ------------------------------------------------------------------ settings
CARD=${CARD:-}                       # the run card (or give it as the argument)
RANK0_CORES=${RANK0_CORES:-8}        # cores of rank 0, which trains the network with as many
                                     #   threads (mlscan --threads; method random: use 1)
WORKERS=${WORKERS:-63}               # worker ranks (physics programs), 1 core each
TIME_LIMIT=${TIME_LIMIT:-12:00:00}   # per job: [D-]HH:MM:SS
STOP_MARGIN=${STOP_MARGIN:-300}      # seconds before the time limit at which mlscan is stopped
MAX_RESUBMIT=${MAX_RESUBMIT:-10}     # resubmissions after the first job (at most 1 + this jobs)
LAYOUT=${LAYOUT:-het}                # het: rank 0 alone in the first component of a heterogeneous
                                     #   job; flat: WORKERS + 1 tasks of 1 core (sites without
                                     #   heterogeneous jobs; then RANK0_CORES is not used)
SBATCH_OPTS=${SBATCH_OPTS:-}         # site options for every component, space-separated, e.g.
                                     #   "--partition=compute --account=myproject --mem-per-cpu=2G"
SRUN_MPI=${SRUN_MPI:-pmix}           # srun --mpi= plugin for Open MPI 4.1 (empty: the site's MpiDefault)
JOB_NAME=${JOB_NAME:-mlscan}
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
# Why a heterogeneous job: rank 0 trains the network with model.threads OpenMP threads and the
# workers run one physics program each, so rank 0 needs RANK0_CORES cores and a worker one.
# A SLURM job step gives every task the same --cpus-per-task, and srun --multi-prog or
# --distribution choose programs and nodes, not per-rank core counts; a heterogeneous job's
# components each have their own, and `srun ... : ...` launches one step across both, with a
# single MPI_COMM_WORLD (rank 0 = the first component). Open MPI 4.1 needs PMIx for that
# (srun --mpi=pmix, SRUN_MPI). The step's --cpus-per-task is given explicitly: srun does not
# inherit sbatch's since SLURM 22.05.
#
# The stop before the time limit: --signal=B:TERM@STOP_MARGIN makes SLURM send SIGTERM to this
# batch shell alone. The shell sends SIGUSR1 to rank 0 alone (the first task runs on this
# node; it records its pid when it starts), and rank 0 stops the workers through MPI: they
# end their programs and leave those points for --resume, and all write a final checkpoint.
# Only if rank 0 is not found here does the shell send SIGUSR1 to srun, which forwards it to
# every process of the step, physics programs included (mlscan counts those as interrupted and
# evaluates them again on resume). A SIGTERM to srun would make srun kill the ranks at once.

SCHED=slurm
MLS_USAGE="bash jobs/slurm.sh CARD.yaml (DRY_RUN=1 to print the commands only)"

sched_job_id() { [ -n "${SLURM_JOB_ID:-}" ] && printf '%s\n' "$SLURM_JOB_ID"; }
sched_job_var() { echo '$SLURM_JOB_ID'; }
sched_submit_dir() { printf '%s\n' "${SLURM_SUBMIT_DIR:-$PWD}"; }
sched_tools() { echo sbatch squeue scancel; }
sched_cancel_name() { echo scancel; }
sched_cancel() { scancel "$1"; }
sched_active() { [ -n "$(squeue -h -j "$1" -o %T 2> /dev/null < /dev/null)" ]; }

# the path of this script, for resubmission (inside a job bash runs SLURM's copy of it)
sched_self() {
        local p=${MLSCAN_JOB_SCRIPT:-${BASH_SOURCE[0]}}
        case $p in /*) ;; *) p=$PWD/$p ;; esac
        printf '%s\n' "$p"
}

sched_submit_cmd() { # DEPENDENCY - fills CMD
        CMD=(sbatch --parsable --job-name="$JOB_NAME" --time="$TIME_LIMIT" --signal="B:TERM@$STOP_MARGIN"
                --no-requeue --chdir="$PWD" --export="ALL,MLSCAN_CHAIN=$MLSCAN_CHAIN,MLSCAN_JOB_SCRIPT=$SELF")
        [ -z "$1" ] || CMD+=(--dependency="afterany:$1")
        # shellcheck disable=SC2206 # SBATCH_OPTS is a space-separated list on purpose
        if [ "$LAYOUT" = flat ]; then
                CMD+=($SBATCH_OPTS --ntasks=$((WORKERS + 1)) --cpus-per-task=1)
        else
                CMD+=($SBATCH_OPTS --ntasks=1 --cpus-per-task="$RANK0_CORES"
                        : $SBATCH_OPTS --time="$TIME_LIMIT" --ntasks="$WORKERS" --cpus-per-task=1)
        fi
        CMD+=("$SELF" "$CARD")
}

sched_submit() { # DEPENDENCY - submit; print the job id
        local out v
        sched_submit_cmd "$1"
        mls_say "+ $(mls_quote "${CMD[@]}")" >&2
        # the new job must not inherit this job's SLURM_* variables (they would override its own)
        out=$(for v in ${!SLURM_@}; do unset "$v"; done; "${CMD[@]}" < /dev/null) || return 1
        out=${out%%;*}
        [ -n "$out" ] || return 1
        printf '%s\n' "$out"
}

sched_launch_cmd() { # fills CMD: the MPI launch of ARGS
        local mpi=()
        [ -z "$SRUN_MPI" ] || mpi=(--mpi="$SRUN_MPI")
        if [ "$LAYOUT" = flat ]; then
                CMD=(srun "${mpi[@]}" --ntasks=$((WORKERS + 1)) --cpus-per-task=1 "${ARGS[@]}")
        else
                CMD=(srun "${mpi[@]}" --ntasks=1 --cpus-per-task="$RANK0_CORES" "${ARGS[@]}"
                        : "${mpi[@]}" --ntasks="$WORKERS" --cpus-per-task=1 "${ARGS[@]}")
        fi
}

sched_timer_start() { :; } # SLURM signals the batch shell itself (--signal=B:TERM@...)
sched_timer_stop() { :; }

sched_describe_stop() {
        echo "#    $STOP_MARGIN s before the time limit SLURM sends SIGTERM to the batch shell (--signal=B:TERM@$STOP_MARGIN)."
        echo "#    The shell sends SIGUSR1 to rank 0 (its pid is in $PIDFILE; if rank 0 is not on the"
        echo "#    batch node: to srun, for every rank); mlscan stops, writes a final checkpoint, exits 3:"
        echo 'kill -USR1 $RANK0_PID'
}

# ------------------------------------------------------------------ run
mls_common=
for d in "${MLSCAN_JOB_SCRIPT:-}" "${BASH_SOURCE[0]}" "${SLURM_SUBMIT_DIR:-.}/jobs/slurm.sh"; do
        case $d in */*) d=${d%/*} ;; ?*) d=. ;; *) continue ;; esac
        [ -r "$d/common.sh" ] && mls_common=$d/common.sh && break
done
[ -n "$mls_common" ] || { echo "jobs/slurm.sh: cannot find jobs/common.sh next to this script" >&2; exit 2; }
# shellcheck source=jobs/common.sh
. "$mls_common"
mls_main "$@"
exit
