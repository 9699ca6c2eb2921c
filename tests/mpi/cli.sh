#!/bin/sh
# The command line: --help, --version, usage errors, card errors (one line, file:line:col,
# status 2, also under mpiexec) and 'mlscan check'.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
"$MLSCAN" --help > "$tmp/out" || fail "--help exited $?"
grep -q '^Usage: ' "$tmp/out" || fail "--help prints no usage"
for word in check --output --force; do
        grep -q -- "$word" "$tmp/out" || fail "--help does not mention $word"
done
"$MLSCAN" --version | grep -q '^mlscan [0-9]' || fail "--version"

expect_error() { # expect_error STATUS PATTERN CMD...
        want=$1 pat=$2
        shift 2
        "$@" > "$tmp/out" 2> "$tmp/err"
        rc=$?
        cat "$tmp/err"
        [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want"
        # mpiexec adds its own banner about the non-zero status; mlscan's own line comes once.
        [ "$(grep -c '^mlscan' "$tmp/err")" = 1 ] || fail "'$*' printed $(grep -c '^mlscan' "$tmp/err") mlscan lines, expected 1"
        grep -q -- "$pat" "$tmp/err" || fail "'$*': message does not match '$pat'"
}
expect_error 2 "unknown option '--bogus'" "$MLSCAN" --bogus x.yaml
expect_error 2 "no run card given" "$MLSCAN"
expect_error 2 "needs a file name" "$MLSCAN" x.yaml --output
expect_error 2 "--threads needs a number from 1 to 1024" "$MLSCAN" x.yaml --threads 0
expect_error 2 "--threads is for run" "$MLSCAN" info x.h5 --threads 2
expect_error 2 "cannot open: No such file" "$MLSCAN" "$tmp/missing.yaml"
sed 's/^run: {name: shell3d_test,/run: {name: shell3d_test, sed: 3,/' "$cases/scan/shell3d.yaml" > "$tmp/bad.yaml"
expect_error 2 "^mlscan: $tmp/bad.yaml:2:27: run: unknown key 'sed'" "$MLSCAN" "$tmp/bad.yaml"
# Under mpiexec every rank parses the card, but the message is printed once.
expect_error 2 "bad.yaml:2:27: run: unknown key" timeout 60 "$MPIEXEC" -n 3 "$MLSCAN" "$tmp/bad.yaml"
[ ! -e unused.h5 ] || fail "a failed run created an output file"

"$MLSCAN" check "$cases/scan/shell3d.yaml" > "$tmp/out" || fail "check exited $?"
cat "$tmp/out"
grep -q '^run card .*: valid (3 parameters' "$tmp/out" || fail "check: no validity line"
grep -Eq '^  F +=' "$tmp/out" || fail "check: no observable F"
grep -Eq '^nll: [-0-9.e]+ \(good when below 0.1053605157\)' "$tmp/out" || fail "check: no nll line"
[ ! -e unused.h5 ] || fail "check wrote an output file"
# an output without a directory part goes into the current directory (was refused once)
(cd "$tmp" && timeout 60 "$MLSCAN" "$cases/scan/shell3d.yaml" -o plain.h5 --threads 2 -q) || fail "run -o plain.h5 (no directory) exited $?"
[ -s "$tmp/plain.h5" ] || fail "run -o plain.h5 wrote no file"
echo "PASS"
