# bash completion for iotrace(8)
#
# Installed as bash-completion/completions/iotrace. tests/docs checks that every command
# and long option of the program appears here: a new command gets its own block in
# _iotrace_command_opts and, if it takes values, in _iotrace_complete_value.

_iotrace_commands="attach run top exporter doctor demo report diff"
_iotrace_global_opts="-h --help --version -v --verbose --no-feature"
_iotrace_features="tp_btf io_uring sched_info unwind kfuncs"
# Finding ids and severities, for --fail-on.
_iotrace_finding_ids="blocking-call-on-loop slow-call-on-loop preempted-on-loop
blocking-risk-on-loop lock-wait-on-loop loop-preempted loop-stall cpu-stall sync-dns-on-loop et-not-drained select-fd-over-setsize scan-waste
busy-poll eagain-waste epoll-ctl-churn tiny-reads uring-unbatched uring-iowq-punts
uring-cq-overflow aio-submit-blocked thread-per-connection-scale"
_iotrace_severities="info low medium high info+ low+ medium+ high+"
_iotrace_policy_opts="--fail-on --max-stall --max-syscalls-per-op --policy --junit"

# Options of each command.
_iotrace_command_opts() {
    case $1 in
        attach)
            echo "-h --help -i --interval -d --duration --json -o --output -f --follow-children
                  --stall-threshold --block-threshold --save-capture --all-threads --loop-watch --hist --folded --pprof
                  --timeline --timeline-limit $_iotrace_policy_opts" ;;
        top)
            echo "-h --help -p --pid -i --interval -b --once -n --iterations -s --sort
                  --loop-watch --stall-threshold" ;;
        exporter)
            echo "-h --help --listen -p --pid --comm --cgroup --duty --stall-threshold
                  --block-threshold --max-processes --max-threads --web-config --max-connections --no-loop-watch --windows" ;;
        doctor)
            echo "-h --help --json" ;;
        run)
            echo "-h --help -d --duration --json -o --output --stall-threshold
                  --block-threshold --kill-after --user --save-capture --require-success --all-threads --loop-watch
                  --hist --folded --pprof --timeline --timeline-limit $_iotrace_policy_opts" ;;
        demo)
            echo "-h --help -d --duration --json -o --output" ;;
        report)
            echo "-h --help --json -o --output --all-threads --hist --folded --pprof --debug-dir $_iotrace_policy_opts" ;;
        diff)
            echo "-h --help --json -o --output --threshold --min-calls --fail-on --policy
                  --junit" ;;
    esac
}

# Process ids of running processes (not threads), for attach.
_iotrace_pids() {
    local d
    for d in /proc/[0-9]*; do
        printf '%s\n' "${d#/proc/}"
    done
}

# Completes the value of option $1; returns 1 when $1 takes no value.
_iotrace_complete_value() {
    local cur=$2
    case $1 in
        --no-feature)
            COMPREPLY=($(compgen -W "$_iotrace_features" -- "$cur")) ;;
        -o | --output | --save-capture | --folded | --pprof | --timeline)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur")) ;;
        -i | --interval)
            COMPREPLY=($(compgen -W "1s 2s 5s 10s 30s" -- "$cur")) ;;
        -p | --pid)
            COMPREPLY=($(compgen -W "$(_iotrace_pids)" -- "$cur")) ;;
        -n | --iterations)
            COMPREPLY=($(compgen -W "1 5 10 0" -- "$cur")) ;;
        --timeline-limit)
            COMPREPLY=($(compgen -W "100000 1000000 5000000" -- "$cur")) ;;
        -s | --sort)
            COMPREPLY=($(compgen -W "syscalls iterations pid stalls sys-per-op model command" -- "$cur")) ;;
        --fail-on)
            # a comma list: complete the part after the last comma
            local head=
            [[ $cur == *,* ]] && head=${cur%,*},
            COMPREPLY=($(compgen -P "$head" -W "$_iotrace_finding_ids $_iotrace_severities" \
                -- "${cur##*,}")) ;;
        --policy | --junit)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur")) ;;
        --debug-dir)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur")) ;;
        --max-stall | --kill-after)
            COMPREPLY=($(compgen -W "10ms 20ms 50ms 100ms 1s 2s 5s" -- "$cur")) ;;
        --max-syscalls-per-op)
            COMPREPLY=($(compgen -W "2 4 8 16" -- "$cur")) ;;
        --threshold)
            COMPREPLY=($(compgen -W "10 25 50 100" -- "$cur")) ;;
        --min-calls)
            COMPREPLY=($(compgen -W "10 100 1000" -- "$cur")) ;;
        --user)
            COMPREPLY=($(compgen -u -- "$cur")) ;;
        --listen)
            COMPREPLY=($(compgen -W "127.0.0.1:19731 0.0.0.0:19731" -- "$cur")) ;;
        --duty)
            COMPREPLY=($(compgen -W "5s/60s 10s/60s 15s/60s always" -- "$cur")) ;;
        --comm)
            COMPREPLY=($(compgen -W "$(cat /proc/[0-9]*/comm 2>/dev/null | sort -u)" -- "$cur")) ;;
        --cgroup)
            COMPREPLY=($(compgen -W "$(sed -n 's/^0:://p' /proc/[0-9]*/cgroup 2>/dev/null | sort -u)" -- "$cur")) ;;
        --max-processes | --max-threads)
            COMPREPLY=($(compgen -W "16 50 100 200" -- "$cur")) ;;
        --windows)
            COMPREPLY=($(compgen -W "1 2 5 0" -- "$cur")) ;;
        --web-config)
            COMPREPLY=($(compgen -f -- "$cur")) ;;
        --max-connections)
            COMPREPLY=($(compgen -W "64 256 1024" -- "$cur")) ;;
        -d | --duration)
            COMPREPLY=($(compgen -W "10s 30s 1m 5m" -- "$cur")) ;;
        --stall-threshold | --block-threshold)
            COMPREPLY=($(compgen -W "1ms 5ms 10ms 20ms 50ms 100ms" -- "$cur")) ;;
        *)
            return 1 ;;
    esac
    return 0
}

_iotrace() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n = || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    # an option and its value in one word, joined by '='
    if [[ $cur == --*=* ]]; then
        local opt=${cur%%=*}
        cur=${cur#*=}
        _iotrace_complete_value "$opt" "$cur" && return
        COMPREPLY=()
        return
    fi

    # The command is the first word that is not an option or an option's value.
    local i cmd=
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --no-feature) ((i++)) ;;
            -*) ;;
            *) cmd=${words[i]}; break ;;
        esac
    done

    if [[ $prev == -* ]] && _iotrace_complete_value "$prev" "$cur"; then
        return
    fi

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$_iotrace_global_opts" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_iotrace_commands" -- "$cur"))
        fi
        return
    fi

    if [[ $cmd == run ]]; then
        local j
        for ((j = i + 1; j < cword; j++)); do
            if [[ ${words[j]} == -- ]]; then
                if ((j + 1 == cword)); then
                    COMPREPLY=($(compgen -c -- "$cur"))
                else
                    compopt -o filenames 2>/dev/null
                    COMPREPLY=($(compgen -f -- "$cur"))
                fi
                return
            fi
        done
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_iotrace_command_opts "$cmd")" -- "$cur"))
        return
    fi

    # Positional arguments of each command.
    case $cmd in
        attach)
            COMPREPLY=($(compgen -W "$(_iotrace_pids)" -- "$cur")) ;;
        report | diff)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}

complete -F _iotrace iotrace
