#!/bin/sh
# toy_shell.sh - mlscan's built-in shell3d model as an external program (POSIX sh + awk).
#
#   toy_shell.sh params.dat shell.out
#
# params.dat holds `name value` lines for x1, x2 and x3 ('#' comments and blank lines are
# skipped; other names are ignored). shell.out gets a comment line and the line
#   L <value>    with L = (2 + cos(x1/7) cos(x2/7) cos(x3/7))^5,
# the observable of `builtin: shell3d` (there called F), printed with %.17g so that it matches
# the built-in model to rounding. The example scan box is x_i in [0, 10 pi].
# Exit status: 0 on success; 1 with a one-line message on stderr if the input cannot be read,
# a parameter is missing, repeated or not a number, or the output cannot be written. On
# failure shell.out is not created.

if [ $# -ne 2 ]; then
        echo "usage: toy_shell.sh params.dat shell.out" >&2
        exit 1
fi
if [ ! -r "$1" ] || [ -d "$1" ]; then
        echo "toy_shell.sh: cannot read $1" >&2
        exit 1
fi

result=$(awk -v in_name="$1" '
function fail(msg) { printf "toy_shell.sh: %s: %s\n", in_name, msg > "/dev/stderr"; bad = 1; exit 1 }
{ sub(/#.*/, "") }
NF == 0 { next }
$1 == "x1" || $1 == "x2" || $1 == "x3" {
        if (NF != 2)
                fail("line " NR ": want `name value`")
        if ($2 !~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/)
                fail("line " NR ": " $1 " = " $2 " is not a number")
        if ($1 in x)
                fail("line " NR ": " $1 " given twice")
        x[$1] = $2 + 0
}
END {
        if (bad)
                exit 1
        for (i = 1; i <= 3; i++)
                if (!(("x" i) in x))
                        fail("parameter x" i " is missing")
        printf "# toy_shell.sh: L = (2 + cos(x1/7) cos(x2/7) cos(x3/7))^5\n"
        printf "L %.17g\n", (2 + cos(x["x1"] / 7) * cos(x["x2"] / 7) * cos(x["x3"] / 7)) ^ 5
}' "$1") || exit 1

if ! { printf '%s\n' "$result" >"$2"; } 2>/dev/null; then
        echo "toy_shell.sh: cannot write $2" >&2
        exit 1
fi
