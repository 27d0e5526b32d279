#!/usr/bin/env bash
# Dante's SOCKS server (danted, -N 1): a mother process, a monitor, negotiate and request
# children, and io children that relay the established sessions, each io child multiplexing
# its sessions with pselect6 on non-blocking sockets. Load: 8 SOCKS5 sessions to an nginx
# backend, HTTP keep-alive GETs of a 5.5 KB file through each, 5 ms apart.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
rw_need_pkgs dante-server nginx python3 strace

BACKEND=$(rw_free_port)
PORT=$(rw_free_port)
mkdir -p "$WORK/html" "$WORK/tmp"
head -c 4096 /dev/urandom | base64 > "$WORK/html/index.html"
rw_nginx_backend "$BACKEND" index.html

cat > "$WORK/danted.conf" <<CONF
logoutput: stderr
internal: 127.0.0.1 port = $PORT
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
CONF
rw_bg danted danted -f "$WORK/danted.conf" -N 1
rw_wait_port "$PORT"
MOTHER=${RW_PID[danted]}

rw_bg load /usr/bin/python3 "$RW_TOP/tests/realworld/programs/socks/socks_load.py" \
  "$PORT" "$BACKEND" /index.html 8 5 30
sleep 2
# The io child that holds the sessions: its title counts them ("io-child: 8/32").
IO=
for c in $(rw_children "$MOTHER"); do
  if tr '\0' ' ' < /proc/"$c"/cmdline 2>/dev/null | grep -q 'io-child: [1-9]'; then IO=$c; fi
done
[ -n "$IO" ] || rw_die "no io child holds the sessions"

rw_attach -f "$MOTHER"
rw_note "$(danted -v 2>&1 | head -1), mother $MOTHER, io child with the sessions $IO"
for c in $(rw_children "$MOTHER"); do
  rw_note "   child $c: $(tr '\0' ' ' < /proc/"$c"/cmdline | cut -c1-60)"
done
rw_snapshot "$MOTHER" "$IO"
{
  echo "== socket fds of the io child $IO: fdinfo flags (04000 = O_NONBLOCK)"
  for fd in /proc/"$IO"/fd/*; do
    case $(readlink "$fd") in socket:*)
      echo "   fd ${fd##*/} flags $(awk '/^flags:/{print $2}' /proc/"$IO"/fdinfo/"${fd##*/}")" ;;
    esac
  done
} >> "$OUTDIR/evidence.txt"
rw_strace_burst "$IO" 2
rw_strace_burst "$MOTHER" 2
{
  echo "== strace -T -p $IO for 1s: calls, EAGAIN, fds per pselect6"
  timeout -s INT 1 strace -T -o "$WORK/io.strace" -p "$IO" > /dev/null 2>&1 || true
  awk '{c=$1; sub(/\(.*/,"",c); n[c]++} END {for (k in n) print "   " k, n[k]}' "$WORK/io.strace" | sort
  echo "   EAGAIN: $(grep -c EAGAIN "$WORK/io.strace")"
  grep '^pselect6' "$WORK/io.strace" | head -200 |
    awk -F'[][]' '{n += split($2, a, " "); k++} END {if (k) printf "   read-set fds per pselect6: %.1f\n", n / k}'
  grep -v rt_sigprocmask "$WORK/io.strace" | head -12 | cut -c1-200 | sed 's/^/   /'
  echo "   wchan of $IO: $(cat /proc/"$IO"/wchan)"
} >> "$OUTDIR/evidence.txt" || true
