# jobs/common.sh - what jobs/slurm.sh and jobs/pbs.sh share. Sourced by them; not run alone.
# Needs bash >= 4.2 (associative arrays). jobs/README.md explains the chain for users.
#
# One scan runs as a chain of batch jobs. Each job first submits its successor (dependency
# afterany: it starts when this job ends, however it ends), then runs
#       mlscan CARD --output OUTPUT --resume
# so the first job starts the run and every later job continues it from the last checkpoint.
# mlscan is stopped STOP_MARGIN seconds before the time limit (SIGUSR1 to rank 0, which stops
# the workers; mlscan writes a final checkpoint and exits 3). Three small files sit next to
# OUTPUT:
#       OUTPUT.chain       the chain's state (key=value lines), read by the next job
#       OUTPUT.chain.log   one line per event: submissions, starts, ends, why the chain stopped
#       OUTPUT.run.log     mlscan's output, every job of the chain appended
# and OUTPUT.chain.stop, if someone creates it, ends the chain before its next job runs.
#
# How a job decides (mls_job):
#   - the chain has ended (complete, failed, limit, no-progress, stop file): exit 0 at once;
#   - the previous job made no progress (the file's committed rows did not grow) and did not
#     complete: the chain stops (no-progress) rather than resubmitting a job that cannot work;
#   - otherwise: count the job, submit the successor unless this is the last allowed job
#     (1 + MAX_RESUBMIT jobs in all), run mlscan, record how it ended:
#       exit 0  the run is complete (or, when mlscan says "stopping: the wall-time limit was
#               reached", stop.walltime ended this job's share: the chain goes on);
#       exit 3  stopped on a signal with a final checkpoint: the chain goes on;
#       other   an error: the chain stops and the successor is cancelled.
#
# A scheduler script defines, before calling mls_main:
#   SCHED, MLS_USAGE, the settings (RANK0_CORES, WORKERS, TIME_LIMIT, STOP_MARGIN, MAX_RESUBMIT,
#   JOB_NAME, OUTPUT, MLSCAN, SCRATCH_DIR, CHECK_CARD) and the functions
#   sched_job_id          print this job's id (nothing outside a job)
#   sched_submit_dir      the directory the job was submitted from
#   sched_self            the path of the job script, for resubmission
#   sched_tools           the scheduler's commands that must exist to submit
#   sched_submit_cmd DEP  fill the array CMD with the submission command (DEP: job to wait for)
#   sched_submit DEP      submit (CMD from sched_submit_cmd), print the new job's id
#   sched_cancel ID       cancel a queued job
#   sched_active ID       true when job ID is still queued or running
#   sched_launch_cmd      fill the array CMD with the MPI launch of "${ARGS[@]}"
#   sched_timer_start / sched_timer_stop   (PBS) the timer that stops mlscan before the limit
#   sched_describe_stop   dry run: how the stop signal reaches mlscan (prints commented lines)

MLS_NAME=${MLS_NAME:-jobs/$SCHED.sh}

mls_die() { # MESSAGE [STATUS] - one line on stderr, exit STATUS (default 2)
        printf '%s: %s\n' "$MLS_NAME" "$1" >&2
        exit "${2:-2}"
}

mls_say() { printf '%s: %s\n' "$MLS_NAME" "$*"; }

# mls_quote WORD... - the words as one shell command line; only words that need it are quoted
# ($ is left alone so that $SLURM_JOB_ID and the like read as what they stand for).
mls_quote() {
        local w out= special='[^-A-Za-z0-9_./:=,@%+$]'
        for w in "$@"; do
                if [ -z "$w" ]; then
                        w="''"
                elif [[ $w =~ $special ]]; then
                        w="'${w//\'/\'\\\'\'}'"
                fi
                out="$out${out:+ }$w"
        done
        printf '%s\n' "$out"
}

mls_is_count() { [[ $1 =~ ^[0-9]+$ ]]; }

# mls_seconds TIME - [D-]HH:MM:SS, HH:MM:SS, MM:SS or SS in seconds (nothing if malformed)
mls_seconds() {
        local t=$1 d=0 h=0 m=0 s=0
        if [[ $t =~ ^([0-9]+)-([0-9]+)(:([0-9]+))?(:([0-9]+))?$ ]]; then
                d=${BASH_REMATCH[1]} h=${BASH_REMATCH[2]} m=${BASH_REMATCH[4]:-0} s=${BASH_REMATCH[6]:-0}
        elif [[ $t =~ ^([0-9]+):([0-9]+):([0-9]+)$ ]]; then
                h=${BASH_REMATCH[1]} m=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
        elif [[ $t =~ ^([0-9]+):([0-9]+)$ ]]; then
                m=${BASH_REMATCH[1]} s=${BASH_REMATCH[2]}
        elif [[ $t =~ ^([0-9]+)$ ]]; then
                s=${BASH_REMATCH[1]}
        else
                return 1
        fi
        echo $((10#$d * 86400 + 10#$h * 3600 + 10#$m * 60 + 10#$s))
}

# mls_card_get SECTION KEY - the scalar SECTION.KEY of the run card, in block style
# ("SECTION:" then "  KEY: value") or one-line flow style ("SECTION: {KEY: value, ...}");
# nothing when absent. Enough for run.output, run.name, run.method and model.threads; mlscan
# itself is the judge of the card (mlscan check).
mls_card_get() {
        awk -v sec="$1" -v key="$2" '
        function unq(v) {
                sub(/^[ \t]+/, "", v)
                if (v ~ /^"/) { v = substr(v, 2); sub(/".*/, "", v); return v }
                if (v ~ /^\047/) { v = substr(v, 2); sub(/\047.*/, "", v); return v }
                sub(/[ \t]+#.*/, "", v); sub(/[ \t]+$/, "", v); return v
        }
        { sub(/\r$/, "") }
        $0 ~ "^" sec ":[ \t]*[{]" {
                s = $0; sub(/^[^{]*[{]/, "", s); sub(/[}][^}]*$/, "", s)
                n = split(s, kv, ",")
                for (i = 1; i <= n; i++) {
                        k = kv[i]; sub(/^[ \t]+/, "", k)
                        if (index(k, key ":") == 1) { val = unq(substr(k, length(key) + 2)); found = 1 }
                }
                insec = 0; next
        }
        $0 ~ "^" sec ":[ \t]*(#.*)?$" { insec = 1; next }
        /^[^ \t#]/ { insec = 0 }
        insec && $0 ~ "^[ \t]+" key ":" { v = $0; sub("^[ \t]+" key ":", "", v); val = unq(v); found = 1 }
        END { if (found) print val }' "$CARD"
}

# mls_resolve - check the settings and the card; set CARD and OUTPUT (absolute) and the
# chain's file names. Relative paths are relative to the current (submission) directory.
mls_resolve() {
        local name v dir
        case $CARD in /*) ;; *) CARD=$PWD/$CARD ;; esac
        [ -e "$CARD" ] || mls_die "run card '$CARD' does not exist (usage: $MLS_USAGE)"
        [ -f "$CARD" ] && [ -r "$CARD" ] || mls_die "run card '$CARD' is not a readable file"
        if [ -z "$OUTPUT" ]; then
                OUTPUT=$(mls_card_get run output)
        fi
        if [ -z "$OUTPUT" ]; then # mlscan's default: run.name, else the card's file name, + .h5
                name=$(mls_card_get run name)
                if [ -z "$name" ]; then
                        name=${CARD##*/}
                        [ "${name%.*}" != "" ] && name=${name%.*}
                        [ -n "$name" ] || name=mlscan
                fi
                OUTPUT=$name.h5
        fi
        case $OUTPUT in /*) ;; *) OUTPUT=$PWD/$OUTPUT ;; esac
        dir=${OUTPUT%/*}
        [ -d "${dir:-/}" ] || mls_die "the output's directory '$dir' does not exist (output $OUTPUT)"
        case "$CARD$OUTPUT" in *,*) mls_die "a comma in the card or output path cannot be passed to the batch system: rename it" ;; esac
        for v in RANK0_CORES WORKERS STOP_MARGIN MAX_RESUBMIT; do
                mls_is_count "${!v}" || mls_die "$v must be a whole number, not '${!v}'"
        done
        [ "$RANK0_CORES" -ge 1 ] || mls_die "RANK0_CORES must be at least 1"
        [ "$WORKERS" -ge 1 ] || mls_die "WORKERS must be at least 1"
        LIMIT_SECONDS=$(mls_seconds "$TIME_LIMIT") ||
                mls_die "TIME_LIMIT '$TIME_LIMIT' is not [D-]HH:MM:SS, HH:MM:SS, MM:SS or seconds"
        [ "$STOP_MARGIN" -lt "$LIMIT_SECONDS" ] ||
                mls_die "STOP_MARGIN ($STOP_MARGIN s) must be shorter than TIME_LIMIT ($TIME_LIMIT)"
        STATE=$OUTPUT.chain
        HISTORY=$OUTPUT.chain.log
        RUNLOG=$OUTPUT.run.log
        STOPFILE=$OUTPUT.chain.stop
        PIDFILE=$OUTPUT.chain.rank0
        # Every rank runs through bash -c, which execs mlscan; rank 0 first writes its host and
        # pid (the same after exec) to PIDFILE, so that the stop signal can go to rank 0 alone.
        ARGS=(bash -c 'case ${OMPI_COMM_WORLD_RANK:-${SLURM_PROCID:-}} in 0) echo "$HOSTNAME $$" > "$0" ;; esac; exec "$@"'
                "$PIDFILE" "$MLSCAN" "$CARD" --output "$OUTPUT" --resume)
        # rank 0 trains with as many threads as it has cores (LAYOUT=flat: the card's model.threads)
        [ "${LAYOUT:-het}" = flat ] || ARGS+=(--threads "$RANK0_CORES")
}

# mls_notes - what the card says that the layout should agree with (printed, never fatal)
mls_notes() {
        local method
        method=$(mls_card_get run method)
        if [ "${method:-random}" = random ] && [ "$RANK0_CORES" -gt 1 ]; then
                echo "note: method ${method:-random} trains no network: rank 0 needs 1 core (RANK0_CORES=1)"
        fi
}

# ------------------------------------------------------------------ the chain's state file

declare -A ST=()
MLS_KEYS="chain jobs job next status exit rows_start rows reason updated"

mls_state_read() {
        local k v
        ST=()
        [ -f "$STATE" ] || return 0
        while IFS='=' read -r k v; do
                case $k in '' | \#*) continue ;; esac
                ST[$k]=$v
        done < "$STATE"
}

mls_state_write() {
        local k tmp=$STATE.tmp.$$
        ST[updated]=$(date '+%Y-%m-%d %H:%M:%S')
        {
                echo "# mlscan job chain for $OUTPUT (written by $MLS_NAME; see jobs/README.md)"
                for k in $MLS_KEYS; do
                        printf '%s=%s\n' "$k" "${ST[$k]}"
                done
        } > "$tmp" && mv -f "$tmp" "$STATE" || mls_say "warning: cannot write $STATE"
}

mls_history() { # MESSAGE - append to OUTPUT.chain.log and print
        printf '%s %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*" >> "$HISTORY" 2> /dev/null
        mls_say "$*"
}

# mls_rows - the committed rows of OUTPUT (0 when it does not exist yet, nothing when unknown)
mls_rows() {
        local t=
        [ -e "$OUTPUT" ] || { echo 0; return; }
        command -v timeout > /dev/null && t="timeout 120"
        $t "$MLSCAN" info "$OUTPUT" < /dev/null 2> /dev/null | awk '/^points:/ { print $2; exit }'
}

# ------------------------------------------------------------------ running mlscan

MLS_PID=
MLS_STOP=
MLS_WOKEN=0

# mls_on_signal SIGNAL - ask mlscan to stop, once. SIGUSR1 goes to rank 0 alone when it runs on
# this node (the usual case: it is the first task); rank 0 then has the workers end their
# programs (SIGTERM to each program's process group) and leave those points for --resume, and
# everyone writes the final checkpoint. Otherwise it goes to the launcher, which forwards it
# to every rank; srun's forwarding reaches the physics programs too (mlscan counts a program
# killed by SIGTERM/SIGINT/SIGHUP while it stops as interrupted: evaluated again on resume).
mls_on_signal() {
        MLS_WOKEN=1
        [ -z "$MLS_STOP" ] || return 0
        MLS_STOP=$1
        if [ -z "$MLS_PID" ]; then
                mls_say "got SIG$1 while mlscan is not running: it will not be started"
        else
                mls_stop_mlscan "$1"
        fi
}

# mls_stop_mlscan SIGNAL - SIGUSR1 to rank 0 once it catches it (a rank still starting, before
# mlscan's handler is installed, would die of it: wait for the handler, up to 2 minutes), else
# to the launcher.
mls_stop_mlscan() {
        local host pid mask i=0
        while [ "$i" -lt 240 ] && kill -0 "$MLS_PID" 2> /dev/null; do
                if read -r host pid < "$PIDFILE" 2> /dev/null; then
                        [ "$host" = "$HOSTNAME" ] && mls_is_count "$pid" && [ -r "/proc/$pid/status" ] || break
                        mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status" 2> /dev/null)
                        if [ -n "$mask" ] && (((0x$mask >> 9) & 1)) && kill -USR1 "$pid" 2> /dev/null; then
                                mls_history "job $JOB_ID: got SIG$1: asking mlscan to stop (SIGUSR1 to rank 0, pid $pid; it writes a final checkpoint)"
                                return 0
                        fi
                fi
                sleep 0.5
                i=$((i + 1))
        done
        if kill -0 "$MLS_PID" 2> /dev/null; then
                mls_history "job $JOB_ID: got SIG$1: asking mlscan to stop (SIGUSR1 to ${CMD[0]}, pid $MLS_PID, for every rank)"
                kill -USR1 "$MLS_PID" 2> /dev/null
        fi
}

# mls_run - run "${CMD[@]}" with its output on stdout and appended to RUNLOG; stop signals to
# this shell are passed on as SIGUSR1. Sets MLS_RC to its exit status.
mls_run() {
        local dir fifo tee_pid r rc=
        dir=$(mktemp -d "${TMPDIR:-/tmp}/mlscan-job.XXXXXX") || mls_die "cannot make a temporary directory" 1
        fifo=$dir/output
        mkfifo "$fifo" || mls_die "cannot make a fifo in $dir" 1
        tee -a "$RUNLOG" < "$fifo" &
        tee_pid=$!
        if [ -n "$MLS_STOP" ]; then
                echo "not started: the job got SIG$MLS_STOP first" > "$fifo"
                MLS_RC=3
        else
                "${CMD[@]}" > "$fifo" 2>&1 < /dev/null &
                MLS_PID=$!
                # bash runs a trap only once the wait it interrupts returns: wait again after one,
                # and keep the status already read if the launcher had been reaped in between.
                while :; do
                        MLS_WOKEN=0
                        wait "$MLS_PID"
                        r=$?
                        if [ "$r" = 127 ] && [ -n "$rc" ]; then
                                break
                        fi
                        rc=$r
                        [ "$MLS_WOKEN" = 1 ] && [ "$r" -gt 128 ] || break
                done
                MLS_PID=
                MLS_RC=$rc
        fi
        wait "$tee_pid"
        rm -rf "$dir"
}

# ------------------------------------------------------------------ the three modes

mls_main() {
        if [ $# -gt 1 ]; then
                mls_die "one run card at a time (usage: $MLS_USAGE)"
        fi
        CARD=${1:-${CARD:-}}
        [ -n "$CARD" ] || mls_die "no run card given (usage: $MLS_USAGE)"
        JOB_ID=$(sched_job_id)
        if [ -n "${DRY_RUN:-}" ] && [ "$DRY_RUN" != 0 ]; then
                mls_dry_run
        elif [ -n "$JOB_ID" ]; then
                mls_job
        else
                mls_submit
        fi
}

# mls_dry_run - print what the submission and every job would run; touch nothing.
mls_dry_run() {
        local dep
        mls_resolve
        SELF=$(sched_self)
        MLSCAN_CHAIN=DRYRUN
        echo "# $MLS_NAME: dry run for $SCHED: nothing is submitted, run or written"
        echo "# card    $CARD"
        echo "# output  $OUTPUT"
        echo "# files   $STATE (state), $HISTORY (history), $RUNLOG (mlscan's output)"
        echo "# layout  rank 0: $RANK0_CORES cores (training); $WORKERS workers: 1 core each"
        echo "# time    $TIME_LIMIT per job; mlscan is stopped $STOP_MARGIN s before; at most $((MAX_RESUBMIT + 1)) jobs (MAX_RESUBMIT=$MAX_RESUBMIT)"
        mls_notes | sed 's/^/# /'
        echo "# 1. submission (bash $MLS_NAME CARD): checks the card, then submits the first job"
        [ "$CHECK_CARD" = 0 ] || mls_quote "$MLSCAN" check "$CARD"
        sched_submit_cmd ""
        mls_quote "${CMD[@]}"
        echo "# 2. each job, before its run (except the chain's last job): submits its successor"
        dep=$(sched_job_var)
        sched_submit_cmd "$dep"
        mls_quote "${CMD[@]}"
        echo "# 3. each job: the run (always --resume: the first job starts it, the others continue it)"
        mls_export
        echo "export MLSCAN_SCRATCH=$MLSCAN_SCRATCH OMP_NUM_THREADS=1 OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_odls_base_signal_direct_children_only=1"
        sched_launch_cmd
        mls_quote "${CMD[@]}"
        sched_describe_stop
        echo "# 4. after the run: exit 0 = complete (or stop.walltime reached: the chain goes on);"
        echo "#    3 = stopped with a checkpoint: the successor resumes; anything else = failed:"
        echo "#    the chain stops. When the chain stops, the successor is cancelled:"
        mls_quote "$(sched_cancel_name)" '$NEXT_JOB'
        echo "#    and a successor that runs anyway (or after MAX_RESUBMIT) exits 0 without running mlscan."
}

# mls_submit - check the card and that no chain is running for OUTPUT; submit the first job.
mls_submit() {
        local t out id
        mls_resolve
        for t in $(sched_tools); do
                command -v "$t" > /dev/null ||
                        mls_die "$t not found: submit from a $SCHED login node (DRY_RUN=1 prints the commands)"
        done
        mls_state_read
        [ "${ST[status]}" = running ] || ST[job]= # else job is known to have ended
        for t in "${ST[next]}" "${ST[job]}"; do
                [ -n "$t" ] && sched_active "$t" &&
                        mls_die "a job chain is already running for $OUTPUT: job $t is queued or running ($(sched_cancel_name) $t to end it, or wait)"
        done
        setup_env
        export MLSCAN_SCRATCH
        MLSCAN_SCRATCH=$(mls_scratch) # for a card whose physics.scratch is ${MLSCAN_SCRATCH}
        if [ "$CHECK_CARD" != 0 ]; then
                command -v "$MLSCAN" > /dev/null ||
                        mls_die "$MLSCAN not found: load its module in setup_env, set MLSCAN=/path/to/mlscan, or CHECK_CARD=0"
                out=$("$MLSCAN" check "$CARD" 2>&1 < /dev/null) ||
                        mls_die "mlscan check failed: $(printf '%s\n' "$out" | grep -v '^ ' | tail -n 1)"
        fi
        mls_notes
        rm -f "$STOPFILE"
        SELF=$(sched_self)
        MLSCAN_CHAIN=$(date '+%Y%m%d-%H%M%S')-$$
        id=$(sched_submit "") || mls_die "the submission failed (see above)" 1
        ST=([chain]=$MLSCAN_CHAIN [jobs]=0 [next]=$id [status]=queued
                [reason]="submitted by $(id -un 2> /dev/null)@$(hostname 2> /dev/null)")
        mls_state_write
        mls_history "chain $MLSCAN_CHAIN: submitted job $id: card $CARD, output $OUTPUT, at most $((MAX_RESUBMIT + 1)) jobs of $TIME_LIMIT"
        echo "follow it: tail -f $RUNLOG; its history: $HISTORY; its state: $STATE"
}

# mls_end STATUS REASON [EXIT] - record how the chain ended, cancel the successor, exit
mls_end() {
        ST[status]=$1
        ST[reason]=$2
        if [ -n "${ST[next]}" ]; then
                if sched_cancel "${ST[next]}" < /dev/null > /dev/null 2>&1; then
                        mls_history "job $JOB_ID: cancelled the successor ${ST[next]}"
                else
                        mls_history "job $JOB_ID: could not cancel the successor ${ST[next]}: it will exit at once when it starts"
                fi
                ST[next]=
        fi
        mls_state_write
        mls_history "job $JOB_ID: the chain stops: $1: $2"
        exit "${3:-0}"
}

# mls_job - one job of the chain (see the top of this file).
mls_job() {
        local chain rows jobs next rc status reason offset
        cd "$(sched_submit_dir)" || mls_die "cannot enter the submission directory $(sched_submit_dir)" 1
        mls_resolve
        SELF=$(sched_self)
        setup_env
        mls_state_read
        chain=${MLSCAN_CHAIN:-}
        if [ -z "$chain" ]; then # sbatch/qsub of the script itself: the resources are not the script's
                mls_die "job $JOB_ID was not submitted by the script: submit with $MLS_USAGE" 2
        elif [ -n "${ST[chain]}" ] && [ "${ST[chain]}" != "$chain" ]; then
                mls_say "job $JOB_ID belongs to chain $chain, but $OUTPUT now belongs to chain ${ST[chain]}: not running"
                exit 0
        fi
        ST[chain]=$chain
        case ${ST[status]} in
        complete | failed | limit | no-progress | stop-requested | no-successor)
                mls_history "job $JOB_ID: not running mlscan: the chain has ended (${ST[status]}: ${ST[reason]})"
                exit 0
                ;;
        esac
        [ "${ST[next]}" = "$JOB_ID" ] && ST[next]=
        if [ -e "$STOPFILE" ]; then
                mls_end stop-requested "$STOPFILE exists (remove it and submit again to continue)"
        fi
        if [ "${ST[status]}" = running ]; then
                mls_history "job ${ST[job]} ended without recording how (time limit, node failure or cancelled): resuming from its last checkpoint"
                ST[status]=killed
        fi
        # the committed rows now: as the previous job recorded them when it ended normally, else
        # from the file (mlscan info reads every row: on a large file that takes a while)
        case ${ST[status]} in
        stopped | walltime) rows=${ST[rows]} ;;
        *) rows= ;;
        esac
        mls_is_count "$rows" || rows=$(mls_rows)
        if [ -n "${ST[job]}" ] && mls_is_count "${ST[rows_start]}" && mls_is_count "$rows" &&
                [ "$rows" -le "${ST[rows_start]}" ]; then
                mls_end no-progress "job ${ST[job]} (${ST[status]}) added no rows to $OUTPUT ($rows): look at $RUNLOG; submit again to retry"
        fi
        jobs=$((${ST[jobs]:-0} + 1))
        if [ "$jobs" -gt $((MAX_RESUBMIT + 1)) ]; then
                mls_end limit "MAX_RESUBMIT=$MAX_RESUBMIT resubmissions done; the run is not complete: submit again to continue"
        fi
        ST[jobs]=$jobs ST[job]=$JOB_ID ST[status]=running ST[exit]= ST[rows_start]=$rows ST[rows]=$rows
        ST[reason]="running on $(hostname 2> /dev/null)"
        mls_state_write
        mls_history "job $JOB_ID: job $jobs of at most $((MAX_RESUBMIT + 1)) of chain $chain; ${rows:-?} rows in $OUTPUT"
        mls_notes
        if [ "$jobs" -le "$MAX_RESUBMIT" ]; then
                if next=$(sched_submit "$JOB_ID" < /dev/null) && [ -n "$next" ]; then
                        ST[next]=$next
                        mls_history "job $JOB_ID: submitted its successor $next (afterany:$JOB_ID)"
                else
                        mls_history "job $JOB_ID: could not submit a successor: this is the chain's last job"
                fi
        else
                mls_history "job $JOB_ID: the chain's last job (MAX_RESUBMIT=$MAX_RESUBMIT): no successor"
        fi
        mls_state_write

        mls_export
        trap 'mls_on_signal TERM' TERM
        trap 'mls_on_signal INT' INT
        trap 'mls_on_signal USR1' USR1
        sched_launch_cmd
        offset=0
        [ ! -f "$RUNLOG" ] || offset=$(wc -c < "$RUNLOG")
        rm -f "$PIDFILE"
        printf '=== job %s (%d of chain %s) on %s, %s: %s\n' "$JOB_ID" "$jobs" "$chain" \
                "$(hostname 2> /dev/null)" "$(date '+%Y-%m-%d %H:%M:%S')" "$(mls_quote "${CMD[@]}")" >> "$RUNLOG"
        mls_say "scratch: $MLSCAN_SCRATCH (as \$MLSCAN_SCRATCH; mlscan's default is /dev/shm)"
        mls_say "+ $(mls_quote "${CMD[@]}")"
        sched_timer_start
        mls_run
        sched_timer_stop
        rm -f "$PIDFILE"
        rc=$MLS_RC
        ST[exit]=$rc
        # this job's part of the run log: mlscan's last "rows in file N" is the committed rows
        tail -c +$((offset + 1)) "$RUNLOG" > "$RUNLOG.job.$$" 2> /dev/null
        ST[rows]=$(sed -n 's/.*, rows in file \([0-9][0-9]*\).*/\1/p' "$RUNLOG.job.$$" | tail -n 1)
        mls_is_count "${ST[rows]}" || ST[rows]=$(mls_rows)
        grep -q 'stopping: the wall-time limit was reached' "$RUNLOG.job.$$" && status=walltime || status=
        rm -f "$RUNLOG.job.$$"
        case $rc in
        0)
                if [ "$status" = walltime ]; then
                        status=walltime reason="stop.walltime ended this job's share"
                else
                        mls_end complete "mlscan exited 0: the run is complete (${ST[rows]:-?} rows in $OUTPUT)"
                fi
                ;;
        3) status=stopped reason="mlscan stopped on a signal with a final checkpoint" ;;
        *)
                mls_end failed "mlscan exited with status $rc: see $RUNLOG; fix the cause, then submit again (the run resumes from its last checkpoint)" "$rc"
                ;;
        esac
        reason="$reason; ${ST[rows]:-?} rows in $OUTPUT"
        if [ -z "${ST[next]}" ]; then
                if [ "$jobs" -gt "$MAX_RESUBMIT" ]; then
                        mls_end limit "$reason; MAX_RESUBMIT=$MAX_RESUBMIT resubmissions done: submit again to continue"
                fi
                mls_end no-successor "$reason, but no successor could be submitted: submit again to continue"
        fi
        ST[status]=$status ST[reason]="$reason; job ${ST[next]} continues"
        mls_state_write
        mls_history "job $JOB_ID: mlscan exited $rc: ${ST[reason]}"
        exit 0
}

# mls_export - the environment of the run: the scratch parent; one thread per worker (its
# physics programs; rank 0 trains with model.threads whatever OMP_NUM_THREADS says); idle MPI
# ranks yield their core; mpiexec passes a forwarded signal to the ranks, not to their
# process groups.
mls_export() {
        export MLSCAN_SCRATCH OMP_NUM_THREADS=1 OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_odls_base_signal_direct_children_only=1
        MLSCAN_SCRATCH=$(mls_scratch)
}

# mls_scratch - the parent of the physics scratch directories offered to the card as
# $MLSCAN_SCRATCH: SCRATCH_DIR, else /dev/shm (node-local memory), else $TMPDIR, else /tmp
mls_scratch() {
        if [ -n "$SCRATCH_DIR" ]; then
                echo "$SCRATCH_DIR"
        elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
                echo /dev/shm
        else
                echo "${TMPDIR:-/tmp}"
        fi
}
