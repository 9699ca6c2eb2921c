#!/bin/sh
# Fatal errors on any rank end every rank fast: each case runs a 4-rank scan that must fail
# and asserts that the job ends within 10 s with the documented exit status (2 for a card or
# a card that may not resume the file, 1 for anything else), that mlscan prints exactly one
# line about it on stderr (mpiexec's own banner lines are printed but not counted), that no
# process of the job is left, and that an existing file is left byte for byte as it was.
# Cases: output in a missing directory, output under a regular file, an existing output
# without --force, --resume on random bytes / a foreign HDF5 file / a truncated mlscan file /
# a damaged commit record / a file of another card, a scratch directory that cannot be made
# (fails on the worker ranks only), and the output's file system filling up mid-run.
# Every case runs; the failures are listed at the end.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
trap 'umount "$tmp/small" 2>/dev/null; rm -rf "$tmp"' EXIT
examples="$top_srcdir/share/examples"
# A hang must cost less than launch's 120 s: the whole test should stay under a minute.
HANG=20
failures=""

bad() {
        echo "FAIL: $name: $*"
        case " $failures " in
        *" $name "*) ;;
        *) failures="$failures $name" ;;
        esac
}

# left_over - the pids of processes whose command line names $tmp (this test's cards and files)
left_over() {
        pgrep -f "$tmp/" | grep -v "^$$\$" || true
}

# fatal NAME STATUS PATTERN CMD... - run CMD on 4 ranks; it must fail as described above, with
# exactly one mlscan line on stderr that matches the grep pattern PATTERN.
fatal() {
        name=$1 want=$2 pat=$3
        shift 3
        echo "=== $name"
        echo "+ $MPIEXEC -n 4 $*"
        t0=$(date +%s.%N)
        timeout -k 5 "$HANG" "$MPIEXEC" -n 4 "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
        rc=$?
        t1=$(date +%s.%N)
        elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
        head -n 20 "$tmp/$name.out"
        head -n 40 "$tmp/$name.err"
        lines=$(grep -c '^mlscan' "$tmp/$name.err")
        echo "--> $name: exit status $rc, $elapsed s, $lines mlscan line(s): $(grep -m 1 '^mlscan' "$tmp/$name.err")"
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
                bad "hung: killed after $HANG s"
        elif [ "$rc" != "$want" ]; then
                bad "exit status $rc, expected $want"
        fi
        awk -v e="$elapsed" 'BEGIN { exit !(e < 10) }' || bad "the job took $elapsed s, expected under 10 s"
        [ "$lines" = 1 ] || bad "$lines lines from mlscan on stderr, expected exactly 1"
        grep '^mlscan' "$tmp/$name.err" | grep -q -- "$pat" || bad "no mlscan line on stderr matches '$pat'"
        i=0
        while [ -n "$(left_over)" ] && [ $i -lt 30 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        pids=$(left_over)
        if [ -n "$pids" ]; then
                ps -o pid,stat,args -p "$(echo $pids | tr ' ' ',')"
                bad "processes left behind: $(echo $pids)"
                kill -9 $pids 2>/dev/null
        fi
}

# unchanged NAME FILE - FILE is byte for byte its copy FILE.orig
unchanged() {
        cmp -s "$2" "$2.orig" || { name=$1; bad "$2 was changed"; }
}

sed -e 's/evaluations: 20000/evaluations: 2000/' -e 's/output: shell3d.h5/output: unused.h5/' \
        "$examples/shell3d.yaml" > "$tmp/scan.yaml"
launch 2 "$MLSCAN" "$tmp/scan.yaml" -o "$tmp/real.h5" -q || fail "the reference scan exited $?"

# Output paths that cannot be created: nothing may be created anywhere.
fatal missing_dir 1 "$tmp/no/such/out.h5.*No such file or directory" "$MLSCAN" "$tmp/scan.yaml" -o "$tmp/no/such/out.h5" -q
[ -e "$tmp/no" ] && bad "a directory was created"
echo "a regular file" > "$tmp/afile"
fatal enotdir 1 "$tmp/afile.*Not a directory" "$MLSCAN" "$tmp/scan.yaml" -o "$tmp/afile/out.h5" -q

# An existing output without --force (exit status 1, man page: EXIT STATUS).
cp "$tmp/real.h5" "$tmp/exists.h5"
cp "$tmp/exists.h5" "$tmp/exists.h5.orig"
fatal exists 1 "exists.h5' exists; pass --force" "$MLSCAN" "$tmp/scan.yaml" -o "$tmp/exists.h5" -q
unchanged exists "$tmp/exists.h5"

# --resume on files that cannot be resumed: an I/O or format problem is status 1.
head -c 200000 /dev/urandom > "$tmp/random.h5"
cp "$tmp/random.h5" "$tmp/random.h5.orig"
fatal resume_random 1 "random.h5.*HDF5" "$MLSCAN" "$tmp/scan.yaml" -o "$tmp/random.h5" --resume -q
unchanged resume_random "$tmp/random.h5"

"$PYTHON3" -c "
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w') as f:
    f['x'] = np.arange(10.0)
    f.attrs['creator'] = 'not mlscan'
" "$tmp/foreign.h5" || fail "h5py could not write foreign.h5"
cp "$tmp/foreign.h5" "$tmp/foreign.h5.orig"
fatal resume_foreign_hdf5 1 "foreign.h5.*not an mlscan file" "$MLSCAN" "$tmp/scan.yaml" -o "$tmp/foreign.h5" --resume -q
unchanged resume_foreign_hdf5 "$tmp/foreign.h5"

size=$(wc -c < "$tmp/real.h5")
head -c $((size / 2)) "$tmp/real.h5" > "$tmp/truncated.h5"
cp "$tmp/truncated.h5" "$tmp/truncated.h5.orig"
fatal resume_truncated 1 "truncated.h5" "$MLSCAN" "$tmp/scan.yaml" -o "$tmp/truncated.h5" --resume -q
unchanged resume_truncated "$tmp/truncated.h5"

cp "$tmp/real.h5" "$tmp/magic.h5"
"$PYTHON3" -c "
import sys, h5py
with h5py.File(sys.argv[1], 'r+') as f:
    c = f['checkpoint/commit']
    v = c[:]
    v[0] ^= 0x5a5a
    c[...] = v
" "$tmp/magic.h5" || fail "h5py could not edit magic.h5"
cp "$tmp/magic.h5" "$tmp/magic.h5.orig"
fatal resume_bad_magic 1 "magic.h5.*damaged" "$MLSCAN" "$tmp/scan.yaml" -o "$tmp/magic.h5" --resume -q
unchanged resume_bad_magic "$tmp/magic.h5"

# A file of another card: a card that may not resume the file is status 2.
sed 's/^  x3:/  y3:/' "$tmp/scan.yaml" > "$tmp/other.yaml"
grep -q '^  y3:' "$tmp/other.yaml" || fail "sed did not rename x3"
cp "$tmp/real.h5" "$tmp/othercard.h5"
cp "$tmp/othercard.h5" "$tmp/othercard.h5.orig"
fatal resume_other_card 2 "cannot resume .*othercard.h5.*x3" "$MLSCAN" "$tmp/other.yaml" -o "$tmp/othercard.h5" --resume -q
unchanged resume_other_card "$tmp/othercard.h5"
# the message must say plainly that x3 is in the file's card and not in this one
grep '^mlscan' "$tmp/resume_other_card.err" | grep -q "is file's in the original card only" &&
        { name=resume_other_card; bad "garbled message: 'is file's in the original card only'"; }

# External programs whose scratch directory cannot be made: only the worker ranks fail
# (rank 0 evaluates nothing when there are workers), and every rank must end.
sed -e "s#from: shell3d_params.tmpl#from: $examples/shell3d_params.tmpl#" \
        -e "s#\./toy_shell.sh#$examples/toy_shell.sh#" -e 's/evaluations: 5000/evaluations: 200/' \
        -e 's/method: dnnr/method: random/' -e "s#^physics:#physics:\n  scratch: $tmp/afile/scratch#" \
        "$examples/shell3d_external.yaml" > "$tmp/external.yaml"
grep -q "scratch: $tmp/afile/scratch" "$tmp/external.yaml" || fail "sed did not set physics.scratch"
fatal scratch 1 "scratch.*Not a directory" "$MLSCAN" "$tmp/external.yaml" -o "$tmp/external.h5" -q

# The output's file system fills up: a 300 KiB tmpfs, and a scan whose first checkpoint
# writes more than that.
mkdir "$tmp/small"
if mount -t tmpfs -o size=300k tmpfs "$tmp/small" 2> "$tmp/mount.err"; then
        sed -e 's/evaluations: 20000/evaluations: 2000000/' -e 's/checkpoint_seconds: 60/checkpoint_seconds: 0.2/' \
                -e 's/output: shell3d.h5/output: unused.h5/' "$examples/shell3d.yaml" > "$tmp/big.yaml"
        fatal disk_full 1 "No space left on device" "$MLSCAN" "$tmp/big.yaml" -o "$tmp/small/out.h5" -q
        df -k "$tmp/small" | tail -n 1
        umount "$tmp/small" || echo "warning: could not unmount $tmp/small"
else
        echo "=== disk_full: SKIPPED: cannot mount a 300 KiB tmpfs here ($(cat "$tmp/mount.err")); /dev/full"
        echo "    cannot stand in: the output is opened by name by HDF5 and --force would not make it writable"
fi

if [ -n "$failures" ]; then
        echo "FAILED cases:$failures"
        exit 1
fi
echo "PASS"
