# Completes a command line in an interactive zsh on a pseudo-terminal and prints what it saw:
# the listing zsh showed (if any) and then the edited line as BUFFER[...].
# Usage: zsh -f complete_zsh.zsh COMPLETIONS_DIR 'iotrace attach --fo'
setopt extendedglob
zmodload zsh/zpty || exit 1
dir=${1:A} line=$2

zpty z zsh -f -i || exit 1
zpty -w z "PS1='> '; PS2=''; fpath=($dir \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; LISTMAX=10000"
zpty -w z "__dump() { zle -I; print -r -- \"BUFFER[\$BUFFER]\" }; zle -N __dump; bindkey '^Xd' __dump"
# the marker is built at run time so that the echo of this command does not match it
zpty -w z 'print ${(U):-ready}${(U):-mark}'

# Reads until the pattern appears or the time runs out.
read_until() {
  local pattern=$1 chunk
  integer tries=0
  out=
  while (( tries++ < 100 )); do
    if zpty -r -t z chunk; then
      out+=$chunk
      [[ $out == *${~pattern}* ]] && return 0
    else
      sleep 0.1
    fi
  done
  return 1
}

read_until 'READYMARK' || { print -u2 "zsh did not start: $out"; zpty -d z; exit 1 }
zpty -n -w z "$line"$'\t'
sleep 0.5
zpty -n -w z $'\C-xd'
read_until 'BUFFER\[*\]' || { print -u2 "no completion result: $out"; zpty -d z; exit 1 }
zpty -d z
# drop terminal control sequences
out=${out//$'\e'\[[0-9;?]#[A-Za-z]/}
out=${out//$'\r'/}
print -r -- "$out"
