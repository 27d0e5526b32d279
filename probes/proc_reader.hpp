// Reads the /proc facts a capture needs. The only code besides the symbolizer that touches /proc.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/capture/capture.hpp"
#include "src/capture/proc_parse.hpp"

namespace iotrace::probes {

std::optional<std::string> read_file(const std::string& path, size_t limit = 1 << 22);
std::optional<ProcStatus> read_status(uint32_t pid);
std::optional<ProcStat> read_stat(uint32_t pid);

// Checks that pid names a live user-space process iotrace may trace; throws TraceError.
void validate_target(uint32_t pid);

// Every descendant process of pid alive now.
std::vector<uint32_t> descendants(uint32_t pid);

// Static facts about a live process (comm, exe, limits, fds, epoll interest lists, libraries).
// Returns false when the process is gone (or is no longer the one with start_ticks).
bool fill_process(ProcessRecord& p);
std::string thread_comm(uint32_t pid, uint32_t tid);
// The io_uring kernel workers of a process (io-wq "iou-wrk-*", SQPOLL "iou-sqp-*"): they make
// no system calls, and io-wq workers fire no io_uring tracepoint of their own, so /proc alone
// shows them. Pairs of tid and comm.
std::vector<std::pair<uint32_t, std::string>> io_worker_tasks(uint32_t pid);
bool process_alive(uint32_t pid, uint64_t start_ticks);
// The cgroup path of a process ("/system.slice/nginx.service"); "" when unreadable.
std::string read_cgroup(uint32_t pid);
// Every user-space process alive now (kernel threads left out), by /proc/PID/stat.
std::vector<ProcStat> user_processes();
std::string kernel_release();

}  // namespace iotrace::probes
