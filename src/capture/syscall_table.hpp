// What iotrace knows about each syscall: its name, how to account it and where to report it.
// The BPF side receives the flag bitmaps from this table, so there is one source of truth.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/capture/fd_kind.hpp"

namespace iotrace {

inline constexpr int k_max_syscalls = 512;
// Library calls traced with uprobes are reported as pseudo syscalls from this number on.
inline constexpr int k_nr_fn_base = 0x8000;

enum SyscallFlag : uint32_t {
  k_fd_arg0 = 1u << 0,  // first argument is an fd whose kind is recorded
  k_data = 1u << 1,     // a positive return is bytes moved
  k_wait = 1u << 2,     // a multiplexing wait (event-loop marker)
  k_risk = 1u << 3,     // can block a loop even when fast (fsync, open, sleep, locks)
  k_conn = 1u << 4,     // accept/connect: blocks on a blocking socket
  k_exec = 1u << 5,     // changes the thread's comm
  k_read = 1u << 6,     // moves data into the process
  k_write = 1u << 7,    // moves data out of the process
};

enum class Category : uint8_t { mux, socket, file, io_uring, aio, sync, sleep, other };
inline constexpr int k_category_count = 8;
std::string_view category_name(Category c);    // "mux", "socket", ...
std::string_view category_title(Category c);   // "multiplexing waits", ...

struct SyscallInfo {
  int nr = -1;
  std::string_view name;
  uint32_t flags = 0;
  uint8_t size_arg = 0;  // 1-based argument holding nfds/maxevents/to_submit/nr; 0: none
  Category base = Category::other;
};

const SyscallInfo* syscall_info(int nr);
std::optional<int> syscall_nr(std::string_view name);
std::string syscall_name(int nr);  // "syscall_463" for numbers the table lacks
// Where a call is reported: data syscalls follow the fd (a read on a socket is socket I/O).
Category syscall_category(int nr, FdKind fd);
bool syscall_has(int nr, uint32_t flag);
const std::vector<SyscallInfo>& all_syscalls();

}  // namespace iotrace
