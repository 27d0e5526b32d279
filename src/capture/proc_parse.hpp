// Parsers for the /proc text formats iotrace reads. Pure functions on bytes, so they can be
// unit-tested and fuzzed; probes/ does the reading.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/capture/capture.hpp"

namespace iotrace {

struct ProcStatus {
  std::string name;
  char state = '?';
  uint32_t tgid = 0, pid = 0, ppid = 0;
  uint32_t threads = 0;
  uint32_t ns_pid = 0;  // innermost pid namespace's pid (last NSpid field); 0 when only one
  uint64_t vm_rss_bytes = 0;
  bool has_vm = false;  // kernel threads have no VmSize line
};
std::optional<ProcStatus> parse_status(std::string_view text);

struct ProcStat {
  uint32_t pid = 0;
  std::string comm;
  char state = '?';
  uint32_t ppid = 0;
  uint64_t flags = 0;
  uint64_t start_time_ticks = 0;
};
// /proc/PID/stat: the comm field may hold spaces and parentheses; the last ')' ends it.
std::optional<ProcStat> parse_stat(std::string_view text);

// /proc/PID/fdinfo/<epfd>: one entry per "tfd:" line.
std::vector<EpollEntry> parse_epoll_fdinfo(std::string_view text);

// /proc/PID/net/{tcp,tcp6,udp,udp6,unix}: the sockets listed, one per line after the header.
struct NetSocket {
  uint64_t inode = 0;
  bool listening = false;  // tcp: state 0A (LISTEN); unix: flag __SO_ACCEPTCON (0x10000)
};
enum class NetTable { inet, unix_sockets };
std::vector<NetSocket> parse_net_sockets(std::string_view text, NetTable table);

// /proc/PID/limits: the soft "Max stack size" in bytes; nullopt when unlimited or absent.
std::optional<uint64_t> parse_stack_limit(std::string_view text);

struct MapsEntry {
  uint64_t start = 0, end = 0, offset = 0;
  bool exec = false;
  std::string path;
};
std::vector<MapsEntry> parse_maps(std::string_view text);

// /proc/PID/task/TID/syscall: the call a blocked thread is parked in ("nr arg0 ... sp pc").
// nullopt when the thread is running or not in a syscall.
struct TaskSyscall {
  int nr = -1;
  uint64_t arg0 = 0;
};
std::optional<TaskSyscall> parse_task_syscall(std::string_view text);

// /tmp/perf-PID.map lines: "START SIZE name" in hex.
struct PerfMapEntry {
  uint64_t start = 0, size = 0;
  std::string name;
};
std::vector<PerfMapEntry> parse_perf_map(std::string_view text);

// /proc/PID/cgroup: the unified (v2) hierarchy's path ("0::/system.slice/nginx.service");
// on a v1-only host the systemd (name=systemd) hierarchy's, else the first line's. "" if none.
std::string parse_cgroup(std::string_view text);

}  // namespace iotrace
