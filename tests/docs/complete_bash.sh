# Prints, one per line, what bash completion offers for the words given as arguments; the last
# word is the one being completed. With bash-completion installed it is loaded first, as in an
# interactive shell; IOTRACE_PLAIN_BASH=1 tests the completion without it.
# Usage: bash complete_bash.sh iotrace attach --fo
if [[ -z $IOTRACE_PLAIN_BASH && -r /usr/share/bash-completion/bash_completion ]]; then
    # shellcheck disable=SC1091
    source /usr/share/bash-completion/bash_completion
fi
source completions/iotrace.bash || exit 1
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_iotrace iotrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
