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
' sh "$top"

# shellcheck disable=SC2016
zsh -f -c '
# outside a completion widget: compadd filters by PREFIX as zsh would, the rest are stand-ins
compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -l -- ${(M)@:#${PREFIX}*}; }
_files() { print -- "(files)"; }
compset() { return 0; }
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
' sh "$top"

# shellcheck disable=SC2016 # the fish program is in single quotes on purpose
fish --no-config -c '
source $argv[1]/completions/qy.fish
for line in "qy-check --fo" "qy-check --format " "qy-check -r " "qy-report --format=j" "qy st" "qy stat --by c" "qy-rules show w" "qy-template pro" "qy-fix --in"
    echo "fish: $line -> "(complete -C"$line" | sort | string join " ")
end
' "$top"
