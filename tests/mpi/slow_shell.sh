#!/bin/sh
# slow_shell.sh - the tests' slow physics program: toy_shell.sh after a pause of $SLOW seconds
# (default 0.02), appending the point it evaluates to $EVAL_LOG (one line per evaluation), so
# a test can count the evaluations a killed run had made.
#   slow_shell.sh params.dat shell.out
sleep "${SLOW:-0.02}"
[ -n "${EVAL_LOG:-}" ] && printf '%s\n' "$(tr '\n' ' ' < "$1")" >> "$EVAL_LOG"
exec "${TOY:?TOY names toy_shell.sh}" "$1" "$2"
