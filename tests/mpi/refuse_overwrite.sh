#!/bin/sh
# An existing output file is never touched without --force; bad output paths fail cleanly
# on every rank, with one message and a non-zero status, and no rank left waiting.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
card="$cases/scan/shell3d.yaml"
out="$tmp/out.h5"
echo "precious results" > "$out"
before=$(cksum < "$out")
launch 4 "$MLSCAN" "$card" -o "$out" > "$tmp/log" 2>&1
rc=$?
cat "$tmp/log"
[ $rc -ne 0 ] || fail "an existing output was accepted"
[ "$(cksum < "$out")" = "$before" ] || fail "the existing file was modified"
[ "$(grep -c "exists; pass --force" "$tmp/log")" = 1 ] || fail "expected exactly one 'exists' message"
launch 2 "$MLSCAN" "$card" -o "$out" --force -q || fail "--force did not overwrite"
[ "$(cksum < "$out")" != "$before" ] || fail "--force left the old file"
launch 2 "$MLSCAN" "$card" -o "$tmp/no/such/dir/out.h5" > "$tmp/log" 2>&1
rc=$?
cat "$tmp/log"
[ $rc -eq 1 ] || fail "a missing output directory gave status $rc, expected 1"
grep -q "cannot create output file" "$tmp/log" || fail "no message for a missing directory"
mkdir "$tmp/dir.h5"
launch 2 "$MLSCAN" "$card" -o "$tmp/dir.h5" --force > "$tmp/log" 2>&1 && fail "a directory was accepted as output"
echo "PASS"
