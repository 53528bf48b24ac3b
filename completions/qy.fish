# fish completion for qy and qy-NAME, driven by each command's --list-options
# ("--name", "--name=", "--name=VALUES"), so it cannot drift from the commands.

# Prints the candidates for the command line being completed.
function __qy_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l cmd (basename $tokens[1])
    set -l first 2
    if test $cmd = qy
        if test (count $tokens) -eq 1; or begin; test (count $tokens) -eq 2; and test $tokens[2] = help; end
            qy --list-options 2>/dev/null | string match -v -- '-*'
            return
        end
        set cmd qy-$tokens[2]
        set first 3
    end
    set -l opts ($cmd --list-options 2>/dev/null)
    set -l prev $tokens[-1]
    set -l prefix ""
    if string match -q -- '--*=*' $cur
        set prev (string split -m1 = -- $cur)[1]
        set prefix $prev=
    end
    if test (count $tokens) -ge $first; or test -n "$prefix"
        for line in $opts
            set -l parts (string split -m1 = -- $line)
            if test $parts[1] = $prev; and test (count $parts) -eq 2
                # in a list (--by county,) the words not yet in it, after what is typed
                set -l value (string replace -- $prefix '' $cur)
                set -l head (string match -r -- '^.*,' $value)
                set -l listed (string split , -- $head)
                switch $parts[2]
                    case RULESET
                        for id in (qy-rules list --ids 2>/dev/null)
                            echo $prefix$id
                        end
                    case COUNTY
                        for line in (qy-rules list --counties 2>/dev/null)
                            contains -- (string split -m1 \t -- $line)[1] $listed; or echo "$prefix$head$line"
                        end
                    case SHEET # the sheets of the workbooks on the command line
                        for name in (qy-check --list-sheets (string match -r -i -- '^.*\.xls[xm]?$' $tokens) 2>/dev/null)
                            echo "$prefix$name"
                        end
                    case FILE DIR
                        __fish_complete_path $value
                    case ''
                    case '*'
                        for word in (string split ' ' -- $parts[2])
                            contains -- $word $listed; or echo "$prefix$head$word"
                        end
                end
                return
            end
        end
    end
    if string match -q -- '-*' $cur
        for line in $opts
            string split -m1 = -- $line | head -n1
        end
        return
    end
    switch $cmd
        case qy-rules
            set -l sub (string match -r -- '^(list|show|lint|explain|check-functions)$' $tokens)
            if test -z "$sub"
                printf '%s\n' list show lint explain check-functions
            else if test $sub[1] = show
                qy-rules list --ids 2>/dev/null
            else if test $sub[1] = explain
                qy-rules list --rule-ids 2>/dev/null
            else if test $sub[1] = lint
                __fish_complete_path $cur
            end
        case qy-template
            qy-rules list --ids 2>/dev/null
        case '*'
            __fish_complete_path $cur
    end
end

for c in qy qy-check qy-rules qy-template qy-fix qy-annotate qy-reconcile qy-filter qy-stat qy-report qy-gate
    complete -c $c -f -a '(__qy_complete)'
end
