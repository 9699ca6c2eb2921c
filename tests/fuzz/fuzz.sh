#!/bin/sh
# fuzz.sh [SECONDS] - build mlscan's libFuzzer harnesses (tests/fuzz/fuzz_*.c) and run each for
# SECONDS (default 20; 0: only build and check the regressions) on a copy of its seed corpus.
# Exits non-zero when a harness crashed, leaked, hit undefined behaviour, ran out of memory or
# timed out; the input is then saved under the build directory and its path printed.
# tests/fuzz/README.md says more.
#
# Environment:
#   FUZZ_BUILD    build directory (default: ./fuzz-build, i.e. the top build directory under make)
#   FUZZ_TARGETS  the harnesses to run (default: card slha table template)
#   CLANG         the compiler (default: clang; it must ship libFuzzer, as Debian's clang does)
#   FUZZ_JOBS     parallel compiles (default: 2)
#   FUZZ_ARGS     extra libFuzzer options for every harness (e.g. -jobs=2 -workers=2)
set -u

secs=${1:-20}
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS]" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$PWD/fuzz-build}
targets=${FUZZ_TARGETS:-card slha table template}
clang=${CLANG:-clang}
jobs=${FUZZ_JOBS:-2}
t_start=$(date +%s)

# config.h is in the build directory (the top directory of an in-tree build).
if [ -f "$PWD/config.h" ]; then
	confdir=$PWD
elif [ -f "$top/config.h" ]; then
	confdir=$top
else
	echo "fuzz.sh: no config.h here or in $top: run ./configure (or make) first" >&2
	exit 2
fi
if ! command -v "$clang" >/dev/null 2>&1; then
	echo "fuzz.sh: $clang not found: install the Debian package clang" >&2
	exit 2
fi
mkdir -p "$build/obj" "$build/bin" "$build/corpus" "$build/crashes" "$build/logs" || exit 2
# never part of the source tree's status
[ -f "$build/.gitignore" ] || echo '*' >"$build/.gitignore"

# ------------------------------------------------------------------ build
# The harness and the code under test, with libFuzzer's coverage, AddressSanitizer (leaks
# included) and UndefinedBehaviorSanitizer (every report fatal).
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
mpi_cflags=$(mpicc --showme:compile 2>/dev/null)
pkg_cflags=$(pkg-config --cflags hdf5-openmpi yaml-0.1 2>/dev/null)
cflags="-std=c11 -g -O1 $san -I$top/include -I$confdir -I$top -D_POSIX_C_SOURCE=200809L $mpi_cflags $pkg_cflags"
warn="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes"
mpi_libs=$(mpicc --showme:link 2>/dev/null || echo -lmpi)

# The smallest source sets that link. err.c (MLS_ABORT, MPI_Abort when MPI is up) needs log.c and
# libmpi; nothing here calls MPI_Init, so the harnesses run without mpirun. The card parser needs
# the method table, hence the learning methods (learn.c, nn.c on oneDNN with OpenMP, smote.c).
base_srcs="src/util.c src/err.c src/log.c"
card_srcs="src/card.c src/template.c src/expr.c src/method.c src/physics/builtin.c src/likelihood.c
	src/method/random.c src/method/learn.c src/blob.c src/nn.c src/rng.c src/smote.c $base_srcs"
slha_srcs="src/slha.c $base_srcs"
table_srcs="src/table.c src/slha.c $base_srcs"
template_srcs="src/template.c $base_srcs"
card_libs="-lyaml -lmatheval -ldnnl -lgomp $mpi_libs -lm"
base_libs="$mpi_libs -lm"

for t in $targets; do
	case $t in
	card | slha | table | template) ;;
	*)
		echo "fuzz.sh: unknown target '$t' (card, slha, table, template)" >&2
		exit 2
		;;
	esac
done

obj_of() {
	echo "$build/obj/$(echo "$1" | sed 's|^src/||; s|/|_|g; s|\.c$|.o|')"
}

# An object is rebuilt when its source, a header or the flags changed.
flagfile=$build/obj/flags
if [ ! -f "$flagfile" ] || [ "$(cat "$flagfile")" != "$clang $cflags" ]; then
	rm -f "$build"/obj/*.o
	echo "$clang $cflags" >"$flagfile"
fi
todo=
for s in $(for t in $targets; do eval "echo \$${t}_srcs"; done | tr ' \t' '\n\n' | sort -u); do
	o=$(obj_of "$s")
	if [ ! -f "$o" ] || [ "$top/$s" -nt "$o" ] ||
		[ -n "$(find "$top/include/mlscan" "$confdir/config.h" -newer "$o" 2>/dev/null | head -n 1)" ]; then
		todo="$todo $s"
	fi
done
compile() {
	# shellcheck disable=SC2086
	$clang -fsanitize=fuzzer-no-link $cflags -c "$top/$1" -o "$(obj_of "$1").tmp" &&
		mv "$(obj_of "$1").tmp" "$(obj_of "$1")" || {
		rm -f "$(obj_of "$1").tmp"
		echo "$1" >>"$build/obj/failed"
	}
}
if [ -n "$todo" ]; then
	echo "fuzz.sh: compiling$todo"
	rm -f "$build"/obj/failed "$build"/obj/batch.*
	i=0
	for s in $todo; do
		echo "$s" >>"$build/obj/batch.$((i % jobs))"
		i=$((i + 1))
	done
	for b in "$build"/obj/batch.*; do
		(while read -r s; do compile "$s"; done <"$b") &
	done
	wait
	rm -f "$build"/obj/batch.*
	if [ -f "$build/obj/failed" ]; then
		echo "fuzz.sh: compiling $(tr '\n' ' ' <"$build/obj/failed")failed" >&2
		exit 2
	fi
fi
for t in $targets; do
	srcs=$(eval "echo \$${t}_srcs")
	[ "$t" = card ] && libs=$card_libs || libs=$base_libs
	objs=
	for s in $srcs; do
		objs="$objs $(obj_of "$s")"
	done
	# shellcheck disable=SC2086
	if ! $clang -fsanitize=fuzzer $cflags $warn "$here/fuzz_$t.c" $objs -o "$build/bin/fuzz_$t" $libs; then
		echo "fuzz.sh: building fuzz_$t failed" >&2
		exit 2
	fi
done
t_built=$(date +%s)
echo "fuzz.sh: built $(echo "$targets" | wc -w) harnesses in $((t_built - t_start)) s into $build/bin"

# ------------------------------------------------------------------ seeds
max_len_of() {
	case $1 in
	slha) echo 65536 ;;
	*) echo 16384 ;;
	esac
}

# tests/fuzz/corpus/TARGET, plus the project's own cases (so that new ones are fuzzed too) that
# are no longer than the target's -max_len.
seeds() {
	cp "$here/corpus/$1"/* "$2"/ 2>/dev/null
	case $1 in
	card) set -- "$1" "$2" "$top"/tests/cases/cards/good/*.yaml "$top"/tests/cases/cards/bad/*.yaml \
		"$top"/share/examples/*.yaml "$top"/share/examples/chain/*.yaml "$here"/regressions/*.yaml ;;
	slha) set -- "$1" "$2" "$top"/tests/cases/slha/*.slha "$top"/tests/cases/cards/templates/*.slha \
		"$top"/share/examples/chain/LesHouches.in.* ;;
	table) set -- "$1" "$2" "$top"/tests/cases/slha/*.dat ;;
	template) set -- "$1" "$2" "$top"/tests/cases/cards/templates/* "$top"/share/examples/*.tmpl \
		"$top"/share/examples/chain/LesHouches.in.* ;;
	esac
	limit=$(max_len_of "$1")
	dir=$2
	shift 2
	for f in "$@"; do
		[ -f "$f" ] && [ "$(wc -c <"$f")" -le "$limit" ] &&
			cp "$f" "$dir/$(basename "$(dirname "$f")")_$(basename "$f")"
	done
	return 0
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
unset MLS_FUZZ_PRINT

failed=0
report() {
	echo "fuzz.sh: $1: FAILED ($2)"
	grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|.*contract broken|.*fatal:)" "$3" | head -n 5 | sed 's/^/    /'
	for a in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$3"); do
		echo "    input saved: $a"
		echo "    reproduce:   $build/bin/fuzz_$1 $a"
	done
	echo "    log: $3"
	failed=1
}

# Regressions of the card parser: each card must be refused with the message of its .err file
# (written as for tests/cases/cards/bad: "NAME.yaml:line:col: message").
if echo " $targets " | grep -q " card "; then
	nreg=0
	for y in "$here"/regressions/*.yaml; do
		[ -f "$y" ] || continue
		name=$(basename "$y")
		want=$(head -n 1 "${y%.yaml}.err" 2>/dev/null | sed "s|^$name:|/tmp/fuzz/card.yaml:|")
		MLS_FUZZ_PRINT=1 "$build/bin/fuzz_card" "$y" >"$build/logs/regression.out" 2>"$build/logs/regression.log"
		rc=$?
		got=$(sed -n "s/^mls_card_parse: //p" "$build/logs/regression.out" | head -n 1)
		if [ "$rc" -ne 0 ] || [ "$got" != "$want" ]; then
			echo "fuzz.sh: regression $name: FAILED"
			echo "    want: $want"
			echo "    got:  $got"
			[ "$rc" -ne 0 ] && echo "    the harness failed (exit status $rc): see $build/logs/regression.log"
			failed=1
		fi
		nreg=$((nreg + 1))
	done
	[ "$failed" -eq 0 ] && echo "fuzz.sh: card: $nreg regression cards refused with their messages"
fi

[ "$secs" -eq 0 ] && exit $failed # 0 seconds: build and check the regressions only

for t in $targets; do
	work=$build/corpus/$t
	log=$build/logs/$t.log
	mkdir -p "$work" "$build/crashes/$t"
	seeds "$t" "$work"
	dict=
	[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	"$build/bin/fuzz_$t" -max_total_time="$secs" -max_len="$(max_len_of "$t")" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" \
		$dict ${FUZZ_ARGS:-} "$work" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - t0))
	# "Done N runs in S second(s)" at a normal end; the final stats after a crash too
	runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)
	[ -n "$runs" ] || runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	echo "fuzz.sh: $t: ${runs:-0} runs in $took s (${rate:-0} exec/s), corpus $(ls "$work" | wc -l) inputs"
	if [ "$rc" -ne 0 ]; then
		if grep -q "ERROR: libFuzzer: timeout" "$log"; then
			report "$t" "timeout" "$log"
		elif grep -q "ERROR: LeakSanitizer" "$log"; then
			report "$t" "leak" "$log"
		elif grep -q "out-of-memory" "$log"; then
			report "$t" "out of memory" "$log"
		else
			report "$t" "crash, exit status $rc" "$log"
		fi
	fi
done
echo "fuzz.sh: done in $(($(date +%s) - t_start)) s; crashes go to $build/crashes/TARGET/"
exit $failed
