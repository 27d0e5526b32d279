# fish completion for iotrace(8)
#
# Installed into fish/vendor_completions.d. tests/docs checks that every command and long
# option of the program appears here: a new command gets a line in the command list and a
# block of its own below.

set -l iotrace_commands attach run top exporter doctor demo report diff

# Finding ids and severities, for --fail-on.
function __iotrace_finding_ids
    printf '%s\n' blocking-call-on-loop slow-call-on-loop preempted-on-loop \
        blocking-risk-on-loop lock-wait-on-loop loop-preempted loop-stall cpu-stall sync-dns-on-loop et-not-drained select-fd-over-setsize \
        scan-waste busy-poll eagain-waste epoll-ctl-churn tiny-reads uring-unbatched \
        uring-iowq-punts uring-cq-overflow aio-submit-blocked thread-per-connection-scale
    printf '%s\n' info low medium high info+ low+ medium+ high+
end

# Running processes (not threads), with their command names.
function __iotrace_pids
    if command -q ps
        ps -e -o pid= -o comm= | string trim | string replace -r -- '\s+' \t
    else
        # fish globs have no character classes: keep the numeric entries of /proc
        string match -r -- '^\d+$' (string replace /proc/ '' -- /proc/*)
    end
end

complete -c iotrace -f

# Global options
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -s h -l help -d 'Print help and exit'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -l version -d 'Print the version and exit'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -s v -l verbose -d 'Log probe strategies and libbpf messages'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -l no-feature -x -a 'tp_btf io_uring sched_info unwind kfuncs' -d 'Treat a kernel feature as absent'

# Commands
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -a attach -d 'Trace running processes and report'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -a run -d 'Start a command, trace it and check a policy'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -a top -d 'Live view of every process doing I/O'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -a exporter -d 'Serve loop stalls and I/O models as Prometheus metrics'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -a doctor -d 'Check which iotrace features will work here'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -a demo -d 'Trace a bundled sample event-loop server'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -a report -d 'Render a capture saved with --save-capture'
complete -c iotrace -n "not __fish_seen_subcommand_from $iotrace_commands" -a diff -d 'Compare two runs and show what changed'

# attach
set -l c '__fish_seen_subcommand_from attach'
complete -c iotrace -n $c -s i -l interval -x -a '1s 5s 10s 30s' -d 'Also print a compact report this often'
complete -c iotrace -n $c -a '(__iotrace_pids)' -d 'Process id'
complete -c iotrace -n $c -s h -l help -d 'Print help and exit'
complete -c iotrace -n $c -s d -l duration -x -a '10s 30s 1m 5m' -d 'Stop after this long'
complete -c iotrace -n $c -l json -d 'Write the report as JSON'
complete -c iotrace -n $c -s o -l output -r -F -d 'Write the report to FILE'
complete -c iotrace -n $c -s f -l follow-children -d "Also trace the targets' child processes"
complete -c iotrace -n $c -l stall-threshold -x -a '5ms 10ms 20ms 50ms 100ms' -d 'Loop iterations longer than this are stalls (20ms)'
complete -c iotrace -n $c -l block-threshold -x -a '1ms 5ms 10ms 20ms' -d 'Loop calls slower than this are flagged (5ms)'
complete -c iotrace -n $c -l save-capture -r -F -d 'Also save the raw capture as JSON'
complete -c iotrace -n $c -l all-threads -d 'Give every thread its own entry'
complete -c iotrace -n $c -l loop-watch -d 'Watch event loops only: waits and context switches, not every syscall'
complete -c iotrace -n $c -l hist -d 'Also print latency histograms per syscall'
complete -c iotrace -n $c -l folded -r -F -d 'Also write folded stacks of blocked loop time to FILE'
complete -c iotrace -n $c -l pprof -r -F -d 'Also write blocked loop time as a pprof profile to FILE'
complete -c iotrace -n $c -l timeline -r -F -d 'Also write a timeline (Trace Event JSON) to FILE'
complete -c iotrace -n $c -l timeline-limit -x -a '100000 1000000 5000000' -d 'Write at most N timeline events'
complete -c iotrace -n $c -l fail-on -x -a '(__iotrace_finding_ids)' -d 'Fail on these finding ids or severities'
complete -c iotrace -n $c -l max-stall -x -a '10ms 20ms 50ms 100ms' -d 'Fail on a longer loop iteration'
complete -c iotrace -n $c -l max-syscalls-per-op -x -a '2 4 8 16' -d 'Fail above N syscalls per operation'
complete -c iotrace -n $c -l policy -r -F -d 'Read rules and suppressions from FILE'
complete -c iotrace -n $c -l junit -r -F -d 'Also write JUnit XML to FILE'

# top
set -l c '__fish_seen_subcommand_from top'
complete -c iotrace -n $c -s h -l help -d 'Print help and exit'
complete -c iotrace -n $c -s p -l pid -x -a '(__iotrace_pids)' -d 'Only this process (repeatable)'
complete -c iotrace -n $c -s i -l interval -x -a '500ms 1s 2s 5s' -d 'Refresh this often (1s)'
complete -c iotrace -n $c -s b -l once -d 'Batch mode: plain snapshots, no keys'
complete -c iotrace -n $c -s n -l iterations -x -a '1 5 10 0' -d 'Stop after N refreshes'
complete -c iotrace -n $c -s s -l sort -x -a 'syscalls iterations pid stalls sys-per-op model command' -d 'Initial order'
complete -c iotrace -n $c -l loop-watch -d 'Watch event loops only: waits and context switches, not every syscall'
complete -c iotrace -n $c -l stall-threshold -x -a '5ms 10ms 20ms 50ms 100ms' -d 'Loop iterations longer than this are stalls (20ms)'

# exporter
set -l c '__fish_seen_subcommand_from exporter'
complete -c iotrace -n $c -s h -l help -d 'Print help and exit'
complete -c iotrace -n $c -l listen -x -a '127.0.0.1:19731 0.0.0.0:19731' -d 'Serve /metrics on ADDR:PORT'
complete -c iotrace -n $c -s p -l pid -x -a '(__iotrace_pids)' -d 'Only this process (repeatable)'
complete -c iotrace -n $c -l comm -x -a '(cat /proc/[0-9]*/comm 2>/dev/null | sort -u)' -d 'Only processes whose name matches REGEX'
complete -c iotrace -n $c -l cgroup -x -a '(sed -n "s/^0:://p" /proc/[0-9]*/cgroup 2>/dev/null | sort -u)' -d 'Only processes in this cgroup or below'
complete -c iotrace -n $c -l duty -x -a '5s/60s 10s/60s 15s/60s always' -d 'Trace ON out of every PERIOD (5s/60s)'
complete -c iotrace -n $c -l stall-threshold -x -a '5ms 10ms 20ms 50ms 100ms' -d 'Loop iterations longer than this are stalls (20ms)'
complete -c iotrace -n $c -l block-threshold -x -a '1ms 5ms 10ms 20ms' -d 'Loop calls slower than this are flagged (5ms)'
complete -c iotrace -n $c -l max-processes -x -a '16 50 100 200' -d 'Processes with series of their own (100)'
complete -c iotrace -n $c -l max-threads -x -a '4 16 64' -d 'Thread names per process with series of their own (16)'
complete -c iotrace -n $c -l web-config -r -F -d 'TLS and basic auth from this web configuration file'
complete -c iotrace -n $c -l max-connections -x -a '64 256 1024' -d 'HTTP connections held at once (256)'
complete -c iotrace -n $c -l no-loop-watch -d 'Do not watch event loops between windows'
complete -c iotrace -n $c -l windows -x -a '1 2 5 0' -d 'Exit after N tracing windows'

# doctor
set -l c '__fish_seen_subcommand_from doctor'
complete -c iotrace -n $c -s h -l help -d 'Print help and exit'
complete -c iotrace -n $c -l json -d 'Write the checks as JSON'

# run
# after 'run ... --' the words belong to the command
function __iotrace_run_cmd_started
    contains -- -- (commandline -opc)
end
set -l c '__fish_seen_subcommand_from run; and not __iotrace_run_cmd_started'
complete -c iotrace -n $c -s h -l help -d 'Print help and exit'
complete -c iotrace -n $c -s d -l duration -x -a '10s 30s 1m 5m' -d 'Stop the command after this long'
complete -c iotrace -n $c -l json -d 'Write the report as JSON'
complete -c iotrace -n $c -s o -l output -r -F -d 'Write the report to FILE'
complete -c iotrace -n $c -l stall-threshold -x -a '5ms 10ms 20ms 50ms 100ms' -d 'Loop iterations longer than this are stalls (20ms)'
complete -c iotrace -n $c -l block-threshold -x -a '1ms 5ms 10ms 20ms' -d 'Loop calls slower than this are flagged (5ms)'
complete -c iotrace -n $c -l kill-after -x -a '500ms 2s 5s 10s' -d 'SIGKILL this long after SIGTERM (2s)'
complete -c iotrace -n $c -l user -x -a '(__fish_complete_users)' -d 'Run the command as USER'
complete -c iotrace -n $c -l save-capture -r -F -d 'Also save the raw capture as JSON'
complete -c iotrace -n $c -l require-success -d 'Fail when the command fails or crashes'
complete -c iotrace -n $c -l all-threads -d 'Give every thread its own entry'
complete -c iotrace -n $c -l loop-watch -d 'Watch event loops only: waits and context switches, not every syscall'
complete -c iotrace -n $c -l hist -d 'Also print latency histograms per syscall'
complete -c iotrace -n $c -l folded -r -F -d 'Also write folded stacks of blocked loop time to FILE'
complete -c iotrace -n $c -l pprof -r -F -d 'Also write blocked loop time as a pprof profile to FILE'
complete -c iotrace -n $c -l timeline -r -F -d 'Also write a timeline (Trace Event JSON) to FILE'
complete -c iotrace -n $c -l timeline-limit -x -a '100000 1000000 5000000' -d 'Write at most N timeline events'
complete -c iotrace -n $c -l fail-on -x -a '(__iotrace_finding_ids)' -d 'Fail on these finding ids or severities'
complete -c iotrace -n $c -l max-stall -x -a '10ms 20ms 50ms 100ms' -d 'Fail on a longer loop iteration'
complete -c iotrace -n $c -l max-syscalls-per-op -x -a '2 4 8 16' -d 'Fail above N syscalls per operation'
complete -c iotrace -n $c -l policy -r -F -d 'Read rules and suppressions from FILE'
complete -c iotrace -n $c -l junit -r -F -d 'Also write JUnit XML to FILE'
complete -c iotrace -n '__fish_seen_subcommand_from run; and __iotrace_run_cmd_started' -a '(__fish_complete_subcommand -- --)'

# demo
set -l c '__fish_seen_subcommand_from demo'
complete -c iotrace -n $c -s h -l help -d 'Print help and exit'
complete -c iotrace -n $c -s d -l duration -x -a '3s 10s 30s' -d 'How long to run the sample (3s)'
complete -c iotrace -n $c -l json -d 'Write the report as JSON'
complete -c iotrace -n $c -s o -l output -r -F -d 'Write the report to FILE'

# report
set -l c '__fish_seen_subcommand_from report'
complete -c iotrace -n $c -F -d 'Capture file'
complete -c iotrace -n $c -s h -l help -d 'Print help and exit'
complete -c iotrace -n $c -l json -d 'Write the report as JSON'
complete -c iotrace -n $c -s o -l output -r -F -d 'Write the report to FILE'
complete -c iotrace -n $c -l all-threads -d 'Give every thread its own entry'
complete -c iotrace -n $c -l hist -d 'Also print latency histograms per syscall'
complete -c iotrace -n $c -l folded -r -F -d 'Also write folded stacks of blocked loop time to FILE'
complete -c iotrace -n $c -l pprof -r -F -d 'Also write blocked loop time as a pprof profile to FILE'
complete -c iotrace -n $c -l debug-dir -x -a '(__fish_complete_directories)' -d 'Name stripped frames from debug files in DIR'
complete -c iotrace -n $c -l fail-on -x -a '(__iotrace_finding_ids)' -d 'Fail on these finding ids or severities'
complete -c iotrace -n $c -l max-stall -x -a '10ms 20ms 50ms 100ms' -d 'Fail on a longer loop iteration'
complete -c iotrace -n $c -l max-syscalls-per-op -x -a '2 4 8 16' -d 'Fail above N syscalls per operation'
complete -c iotrace -n $c -l policy -r -F -d 'Read rules and suppressions from FILE'
complete -c iotrace -n $c -l junit -r -F -d 'Also write JUnit XML to FILE'

# diff
set -l c '__fish_seen_subcommand_from diff'
complete -c iotrace -n $c -F -d 'Capture or JSON report'
complete -c iotrace -n $c -s h -l help -d 'Print help and exit'
complete -c iotrace -n $c -l json -d 'Write the comparison as JSON'
complete -c iotrace -n $c -s o -l output -r -F -d 'Write the comparison to FILE'
complete -c iotrace -n $c -l threshold -x -a '10 25 50 100' -d 'Report what moved by more than PCT percent (25)'
complete -c iotrace -n $c -l min-calls -x -a '10 100 1000' -d 'Compare only rows with N calls in both runs (100)'
complete -c iotrace -n $c -l fail-on -x -a '(__iotrace_finding_ids)' -d 'Fail on new findings with these ids or severities'
complete -c iotrace -n $c -l policy -r -F -d 'Read fail-on rules and suppressions from FILE'
complete -c iotrace -n $c -l junit -r -F -d 'Also write JUnit XML to FILE'
