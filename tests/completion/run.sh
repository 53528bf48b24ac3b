#!/bin/sh
# tests/completion/run.sh — the completion scripts in the real shells: bash
# (with Debian's bash-completion), zsh and fish.  Prints "SHELL: command line
# -> candidates" for a few command lines; the golden case compares the lines.
# Needs the qy commands on PATH and QY_RULES set; exits 77 when a shell is missing.
top=$(cd "$(dirname "$0")/../.." && pwd)
for sh in bash zsh fish; do
	command -v $sh >/dev/null 2>&1 || { echo "SKIP: $sh is not installed" >&2; exit 77; }
done
[ -r /usr/share/bash-completion/bash_completion ] || { echo "SKIP: bash-completion is not installed" >&2; exit 77; }
# Under ASan, LeakSanitizer's stop-the-world at exit now and then never ends for a
# command that a zsh completion function starts; leaks are the other cases' concern.
[ -n "$QY_SANITIZED" ] && export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# The command lines both bash and zsh complete, after those of their own.
# shellcheck disable=SC2016
common='t qy-stat --by county,
t qy-stat --by county,severity,c
t qy-rules explain air-daily/pm25
t qy-filter --county 44188
t qy-filter --county 441881,4418
t qy-check --encoding ""'

# shellcheck disable=SC2016 # so are the bash and zsh ones
bash --norc -c '
. /usr/share/bash-completion/bash_completion
. "$1/completions/qy.bash"
t() {
	COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
	if [ "$1" = qy ]; then _qy; else _qy_single "$1"; fi
	printf "bash: %s -> %s\n" "$*" "$(printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " ")"
}
t qy-check --fo
t qy-check --format ""
t qy-check -r ""
t qy-report --format = h
t qy ""
t qy stat --by c
t qy-rules ""
t qy-rules show w
t qy-template pro
t qy-gate --fail-on ""
t qy-fix --eol ""
eval "$2"
cd "$1/tests/workbooks" && t qy-check air.xlsx --sheet ""
' sh "$top" "$common"

# shellcheck disable=SC2016
zsh -f -c '
# outside a completion widget: compadd filters by PREFIX as zsh would, the rest are stand-ins
# (-d NAME prints the descriptions, as the menu shows them; compset -P strips PREFIX as zsh does)
compadd() {
	local -a described
	while [[ $1 == -* && $1 != -- ]]; do [[ $1 == -d ]] && { described=(${(P)2}); shift; }; shift; done
	[[ $1 == -- ]] && shift
	local i
	for (( i = 1; i <= $#; i++ )); do [[ ${@[i]} == ${PREFIX}* ]] && print -r -- "$IPREFIX${described[i]:-${@[i]}}"; done
}
_files() { print -- "(files)"; }
compset() { [[ $1 == -P ]] || return 0; local c=${2#\*}; [[ $PREFIX == *$c* ]] || return 1; IPREFIX+=${PREFIX%$c*}$c; PREFIX=${PREFIX##*$c}; }
compdef() { return 0; }
source "$1/completions/_qy"
t() {
	local -a words=("$@"); local CURRENT=$# PREFIX=${@[-1]}
	print -rn -- "zsh: $* -> "
	_qy | sort | tr "\n" " "
	print
}
t qy-check --fo
t qy-check --format ""
t qy-check -r ""
t qy ""
t qy stat --by c
t qy-rules show w
t qy-template pro
t qy-report data.jsonl ""
t qy-fix --sk
eval "$2"
cd "$1/tests/workbooks" && t qy-check air.xlsx --sheet "" && t qy-check air.xls --sheet 数
' sh "$top" "$common"

# shellcheck disable=SC2016 # the fish program is in single quotes on purpose
fish --no-config -c '
source $argv[1]/completions/qy.fish
for line in "qy-check --fo" "qy-check --format " "qy-check -r " "qy-report --format=j" "qy st" "qy stat --by c" "qy-rules show w" "qy-template pro" "qy-fix --in" "qy-stat --by county," "qy-stat --by=county,severity,c" "qy-rules explain air-daily/pm25" "qy-filter --county 44188" "qy-filter --county 441881,4418" "qy-check --encoding "
    echo "fish: $line -> "(complete -C"$line" | sort | string join " ")
end
cd $argv[1]/tests/workbooks
for line in "qy-check air.xlsx --sheet " "qy-check air.xls --sheet=数"
    echo "fish: $line -> "(complete -C"$line" | sort | string join " ")
end
' "$top"
