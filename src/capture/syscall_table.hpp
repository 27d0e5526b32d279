// What iotrace knows about each syscall: its name, how to account it and where to report it.
// The BPF side receives the flag bitmaps from this table, so there is one source of truth.
// Numbers differ between architectures (arm64 uses the asm-generic numbers and lacks open,
// poll, select, epoll_wait, stat...); the rules are by name, so they apply to both. A capture
// says whose numbers it holds (Capture::arch); every lookup of a capture's numbers passes it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/capture/fd_kind.hpp"

namespace iotrace {

inline constexpr int k_max_syscalls = 512;  // on every architecture below

// The architectures whose syscall numbers iotrace knows. Their tables are all in
// syscall_table.cpp; nothing else holds an architecture's syscall numbers.
enum class Arch : uint8_t { x86_64, arm64 };
#if defined(__aarch64__)
inline constexpr Arch k_native_arch = Arch::arm64;
#elif defined(__x86_64__)
inline constexpr Arch k_native_arch = Arch::x86_64;
#else
#error "iotrace knows the syscall numbers of x86_64 and arm64 only"
#endif
std::string_view arch_name(Arch a);                      // "x86_64", "arm64"
std::optional<Arch> arch_from_name(std::string_view s);  // also "aarch64" and "amd64"
// Library calls traced with uprobes are reported as pseudo syscalls from this number on.
inline constexpr int k_nr_fn_base = 0x8000;
// The loop watch's sleeps outside any syscall (page faults), named "page-fault".
inline constexpr int k_nr_fault = 0x7fff;

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

const SyscallInfo* syscall_info(Arch arch, int nr);
std::optional<int> syscall_nr(Arch arch, std::string_view name);
std::string syscall_name(Arch arch, int nr);  // "syscall_463" for numbers the table lacks
// Where a call is reported: data syscalls follow the fd (a read on a socket is socket I/O).
Category syscall_category(Arch arch, int nr, FdKind fd);
bool syscall_has(Arch arch, int nr, uint32_t flag);
const std::vector<SyscallInfo>& all_syscalls(Arch arch);

// The same lookups in x86_64's numbers, the numbers of captures that name no architecture.
inline const SyscallInfo* syscall_info(int nr) { return syscall_info(Arch::x86_64, nr); }
inline std::optional<int> syscall_nr(std::string_view name) { return syscall_nr(Arch::x86_64, name); }
inline std::string syscall_name(int nr) { return syscall_name(Arch::x86_64, nr); }
inline Category syscall_category(int nr, FdKind fd) { return syscall_category(Arch::x86_64, nr, fd); }
inline bool syscall_has(int nr, uint32_t flag) { return syscall_has(Arch::x86_64, nr, flag); }
inline const std::vector<SyscallInfo>& all_syscalls() { return all_syscalls(Arch::x86_64); }

}  // namespace iotrace
