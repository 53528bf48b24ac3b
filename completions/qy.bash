# bash completion for qy and qy-NAME.  Every command lists its options with
# --list-options ("--name", "--name=", "--name=VALUES"), so this script holds
# no option of its own and cannot drift from the commands.
# shellcheck disable=SC2207 # COMPREPLY=($(compgen ...)) is how completions are written

# Offers words ($1) for $2; after a comma (a list such as --by county,), the
# words not yet in the list, each after what is typed up to the last comma.
_qy_words() {
	local cur=$2 head="" w
	local -a left=()
	if [[ $cur == *,* ]]; then
		head=${cur%,*},
	fi
	for w in $1; do
		[[ ,$head == *,"$w",* ]] || left+=("$head$w")
	done
	COMPREPLY=($(compgen -W "${left[*]}" -- "$cur"))
}

# Prints the candidate values of an option's hint: words, rule-set ids, county codes,
# the sheets of the workbooks named, files.
_qy_values() {
	local hint=$1 cur=$2
	case $hint in
	RULESET) COMPREPLY=($(compgen -W "$(qy-rules list --ids 2>/dev/null)" -- "$cur")) ;;
	COUNTY) _qy_words "$(qy-rules list --counties 2>/dev/null | cut -f1)" "$cur" ;;
	SHEET) # the sheets of the workbooks on the command line
		local w IFS=$'\n'
		local -a books=()
		for w in "${COMP_WORDS[@]}"; do
			case ${w,,} in *.xlsx | *.xlsm | *.xls) books+=("$w") ;; esac
		done
		COMPREPLY=($(compgen -W "$(qy-check --list-sheets "${books[@]}" 2>/dev/null)" -- "$cur"))
		;;
	FILE) COMPREPLY=($(compgen -f -- "$cur")) ;;
	DIR) COMPREPLY=($(compgen -d -- "$cur")) ;;
	'') COMPREPLY=() ;;
	*) _qy_words "$hint" "$cur" ;;
	esac
}

# Completes the words of one command ($1) from word index $2 on.
_qy_command() {
	local cmd=$1 first=$2 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local opts line name
	opts=$("$cmd" --list-options 2>/dev/null) || return
	# --opt=value arrives as "--opt" "=" "value" (= is a word break)
	if [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [ "$cur" = "=" ]; then
		cur=""
	fi
	if [ "$COMP_CWORD" -gt "$first" ]; then
		while IFS= read -r line; do
			name=${line%%=*}
			if [ "$name" = "$prev" ] && [ "$name" != "$line" ]; then
				_qy_values "${line#*=}" "$cur"
				return
			fi
		done <<<"$opts"
	fi
	if [[ $cur == -* ]]; then
		local words=""
		while IFS= read -r line; do
			words+=" ${line%%=*}"
		done <<<"$opts"
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	case $cmd in
	qy-rules)
		local sub="" i
		for ((i = first; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in list | show | lint | explain | check-functions) sub=${COMP_WORDS[i]} ;; esac
		done
		case $sub in
		"") COMPREPLY=($(compgen -W "list show lint explain check-functions" -- "$cur")) ;;
		show) COMPREPLY=($(compgen -W "$(qy-rules list --ids 2>/dev/null)" -- "$cur")) ;;
		explain) COMPREPLY=($(compgen -W "$(qy-rules list --rule-ids 2>/dev/null)" -- "$cur")) ;;
		lint) COMPREPLY=($(compgen -f -- "$cur")) ;;
		*) COMPREPLY=() ;;
		esac
		;;
	qy-template) COMPREPLY=($(compgen -W "$(qy-rules list --ids 2>/dev/null)" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

_qy_single() { _qy_command "$1" 1; }

_qy() {
	if [ "$COMP_CWORD" -eq 1 ]; then
		local names
		names=$(qy --list-options 2>/dev/null | grep -v '^-')
		COMPREPLY=($(compgen -W "$names" -- "${COMP_WORDS[1]}"))
	elif [ "${COMP_WORDS[1]}" = help ]; then
		COMPREPLY=($(compgen -W "$(qy --list-options 2>/dev/null | grep -v '^-')" -- "${COMP_WORDS[COMP_CWORD]}"))
	else
		_qy_command "qy-${COMP_WORDS[1]}" 2
	fi
}

complete -F _qy qy
complete -F _qy_single qy-check qy-rules qy-template qy-fix qy-annotate qy-reconcile qy-filter qy-stat qy-report qy-gate
