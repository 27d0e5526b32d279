#include "src/capture/syscall_table.hpp"

#include <array>
#include <string>
#include <unordered_map>

namespace iotrace {
namespace {

struct NameNr {
  int nr;
  const char* name;
};
constexpr NameNr k_names_x86_64[] = {
#include "src/capture/syscall_names_x86_64.inc"
};
constexpr NameNr k_names_arm64[] = {
#include "src/capture/syscall_names_arm64.inc"
};

struct Rule {
  std::string_view name;
  uint32_t flags;
  Category cat;
  uint8_t size_arg;
};

// Only syscalls iotrace treats specially are listed; the rest are Category::other. Names that
// one architecture lacks (arm64 has no epoll_wait, select, poll, open, stat, access, unlink,
// rename, mkdir, dup2) have their successor listed too (epoll_pwait, pselect6,
// ppoll, openat, newfstatat, faccessat, unlinkat, renameat, mkdirat, dup3), which both have.
constexpr Rule k_rules[] = {
    // multiplexing
    {"epoll_wait", k_fd_arg0 | k_wait, Category::mux, 3},
    {"epoll_pwait", k_fd_arg0 | k_wait, Category::mux, 3},
    {"epoll_pwait2", k_fd_arg0 | k_wait, Category::mux, 3},
    {"select", k_wait, Category::mux, 1},
    {"pselect6", k_wait, Category::mux, 1},
    {"poll", k_wait, Category::mux, 2},
    {"ppoll", k_wait, Category::mux, 2},
    {"epoll_ctl", k_fd_arg0, Category::mux, 0},
    {"epoll_create", 0, Category::mux, 0},
    {"epoll_create1", 0, Category::mux, 0},
    // data movement: category follows the fd
    {"read", k_fd_arg0 | k_data | k_read, Category::other, 3},
    {"write", k_fd_arg0 | k_data | k_write, Category::other, 3},
    {"pread64", k_fd_arg0 | k_data | k_read, Category::other, 3},
    {"pwrite64", k_fd_arg0 | k_data | k_write, Category::other, 3},
    {"readv", k_fd_arg0 | k_data | k_read, Category::other, 0},
    {"writev", k_fd_arg0 | k_data | k_write, Category::other, 0},
    {"preadv", k_fd_arg0 | k_data | k_read, Category::other, 0},
    {"pwritev", k_fd_arg0 | k_data | k_write, Category::other, 0},
    {"preadv2", k_fd_arg0 | k_data | k_read, Category::other, 0},
    {"pwritev2", k_fd_arg0 | k_data | k_write, Category::other, 0},
    {"recvfrom", k_fd_arg0 | k_data | k_read, Category::socket, 3},
    {"sendto", k_fd_arg0 | k_data | k_write, Category::socket, 3},
    {"recvmsg", k_fd_arg0 | k_data | k_read, Category::socket, 0},
    {"sendmsg", k_fd_arg0 | k_data | k_write, Category::socket, 0},
    {"recvmmsg", k_fd_arg0 | k_read, Category::socket, 0},
    {"sendmmsg", k_fd_arg0 | k_write, Category::socket, 0},
    {"sendfile", k_fd_arg0 | k_data | k_write, Category::other, 0},
    {"splice", k_fd_arg0 | k_data, Category::other, 0},
    {"tee", k_fd_arg0 | k_data, Category::other, 0},
    {"copy_file_range", k_fd_arg0 | k_data, Category::file, 0},
    // sockets
    {"socket", 0, Category::socket, 0},
    {"socketpair", 0, Category::socket, 0},
    {"accept", k_fd_arg0 | k_conn, Category::socket, 0},
    {"accept4", k_fd_arg0 | k_conn, Category::socket, 0},
    {"connect", k_fd_arg0 | k_conn, Category::socket, 0},
    {"bind", k_fd_arg0, Category::socket, 0},
    {"listen", k_fd_arg0, Category::socket, 0},
    {"shutdown", k_fd_arg0, Category::socket, 0},
    {"getsockopt", k_fd_arg0, Category::socket, 0},
    {"setsockopt", k_fd_arg0, Category::socket, 0},
    {"getsockname", k_fd_arg0, Category::socket, 0},
    {"getpeername", k_fd_arg0, Category::socket, 0},
    // files
    {"open", k_risk, Category::file, 0},
    {"openat", k_risk, Category::file, 0},
    {"openat2", k_risk, Category::file, 0},
    {"creat", k_risk, Category::file, 0},
    {"stat", k_risk, Category::file, 0},
    {"lstat", k_risk, Category::file, 0},
    {"newfstatat", k_risk, Category::file, 0},
    {"statx", k_risk, Category::file, 0},
    {"access", k_risk, Category::file, 0},
    {"faccessat", k_risk, Category::file, 0},
    {"faccessat2", k_risk, Category::file, 0},
    {"unlink", k_risk, Category::file, 0},
    {"unlinkat", k_risk, Category::file, 0},
    {"rename", k_risk, Category::file, 0},
    {"renameat", k_risk, Category::file, 0},
    {"renameat2", k_risk, Category::file, 0},
    {"mkdir", k_risk, Category::file, 0},
    {"mkdirat", k_risk, Category::file, 0},
    {"fstat", k_fd_arg0, Category::file, 0},
    {"lseek", k_fd_arg0, Category::file, 0},
    {"getdents64", k_fd_arg0 | k_risk, Category::file, 0},
    {"ftruncate", k_fd_arg0 | k_risk, Category::file, 0},
    {"fallocate", k_fd_arg0 | k_risk, Category::file, 0},
    {"fadvise64", k_fd_arg0, Category::file, 0},
    {"readahead", k_fd_arg0 | k_risk, Category::file, 0},
    {"close", k_fd_arg0, Category::other, 0},
    {"ioctl", k_fd_arg0, Category::other, 0},
    {"fcntl", k_fd_arg0, Category::other, 0},
    {"dup", k_fd_arg0, Category::other, 0},
    {"dup2", k_fd_arg0, Category::other, 0},
    {"dup3", k_fd_arg0, Category::other, 0},
    // io_uring and Linux AIO
    {"io_uring_setup", 0, Category::io_uring, 0},
    {"io_uring_enter", k_fd_arg0, Category::io_uring, 2},
    {"io_uring_register", k_fd_arg0, Category::io_uring, 0},
    {"io_setup", 0, Category::aio, 0},
    {"io_submit", 0, Category::aio, 2},
    {"io_getevents", k_wait, Category::aio, 3},
    {"io_pgetevents", k_wait, Category::aio, 3},
    {"io_cancel", 0, Category::aio, 0},
    {"io_destroy", 0, Category::aio, 0},
    // sync and locks
    {"fsync", k_fd_arg0 | k_risk, Category::sync, 0},
    {"fdatasync", k_fd_arg0 | k_risk, Category::sync, 0},
    {"sync_file_range", k_fd_arg0 | k_risk, Category::sync, 0},
    {"sync", k_risk, Category::sync, 0},
    {"syncfs", k_fd_arg0 | k_risk, Category::sync, 0},
    {"msync", k_risk, Category::sync, 0},
    {"flock", k_fd_arg0 | k_risk, Category::sync, 0},
    {"futex", 0, Category::sync, 0},  // only wait operations are risky: decided in BPF
    {"futex_wait", k_risk, Category::sync, 0},
    {"futex_waitv", k_risk, Category::sync, 0},
    {"futex_wake", 0, Category::sync, 0},
    {"futex_requeue", 0, Category::sync, 0},
    // sleeps and waits for children
    {"nanosleep", k_risk, Category::sleep, 0},
    {"clock_nanosleep", k_risk, Category::sleep, 0},
    {"pause", k_risk, Category::sleep, 0},
    {"wait4", k_risk, Category::sleep, 0},
    {"waitid", k_risk, Category::sleep, 0},
    {"sched_yield", 0, Category::sleep, 0},
    // comm changes
    {"execve", k_exec, Category::other, 0},
    {"execveat", k_exec, Category::other, 0},
};

struct Table {
  std::vector<SyscallInfo> infos;           // sorted by nr
  std::array<int, k_max_syscalls> index{};  // nr -> position in infos, or -1
  std::unordered_map<std::string_view, int> by_name;

  template <size_t N>
  explicit Table(const NameNr (&names)[N]) {
    index.fill(-1);
    for (const auto& n : names) {
      SyscallInfo info;
      info.nr = n.nr;
      info.name = n.name;
      for (const auto& r : k_rules)
        if (r.name == info.name) {
          info.flags = r.flags;
          info.base = r.cat;
          info.size_arg = r.size_arg;
        }
      if (info.nr >= 0 && info.nr < k_max_syscalls) index[info.nr] = static_cast<int>(infos.size());
      by_name[info.name] = info.nr;
      infos.push_back(info);
    }
  }
};

const Table& table(Arch arch) {
  static const Table x86_64(k_names_x86_64);
  static const Table arm64(k_names_arm64);
  return arch == Arch::arm64 ? arm64 : x86_64;
}

}  // namespace

std::string_view arch_name(Arch a) { return a == Arch::arm64 ? "arm64" : "x86_64"; }

std::optional<Arch> arch_from_name(std::string_view s) {
  if (s == "x86_64" || s == "amd64") return Arch::x86_64;
  if (s == "arm64" || s == "aarch64") return Arch::arm64;
  return std::nullopt;
}

std::string_view category_name(Category c) {
  static constexpr std::string_view names[] = {"mux",  "socket", "file",  "io_uring",
                                               "aio",  "sync",   "sleep", "other"};
  return names[static_cast<int>(c)];
}

std::string_view category_title(Category c) {
  static constexpr std::string_view names[] = {
      "multiplexing waits", "socket I/O", "file I/O", "io_uring",
      "Linux AIO",          "sync and locks", "sleeps", "other"};
  return names[static_cast<int>(c)];
}

const SyscallInfo* syscall_info(Arch arch, int nr) {
  if (nr < 0 || nr >= k_max_syscalls) return nullptr;
  const Table& t = table(arch);
  int i = t.index[nr];
  return i < 0 ? nullptr : &t.infos[i];
}

std::optional<int> syscall_nr(Arch arch, std::string_view name) {
  const Table& t = table(arch);
  auto it = t.by_name.find(name);
  if (it == t.by_name.end()) return std::nullopt;
  return it->second;
}

std::string syscall_name(Arch arch, int nr) {
  static constexpr const char* fns[] = {"getaddrinfo", "gethostbyname", "gethostbyname2",
                                        "gethostbyname_r", "gethostbyname2_r"};
  if (nr >= k_nr_fn_base && nr < k_nr_fn_base + 5) return fns[nr - k_nr_fn_base];
  if (nr == k_nr_fault) return "page-fault";
  if (const auto* info = syscall_info(arch, nr)) return std::string(info->name);
  return "syscall_" + std::to_string(nr);
}

bool syscall_has(Arch arch, int nr, uint32_t flag) {
  const auto* info = syscall_info(arch, nr);
  return info && (info->flags & flag);
}

Category syscall_category(Arch arch, int nr, FdKind fd) {
  const auto* info = syscall_info(arch, nr);
  if (!info) return Category::other;
  if (info->flags & (k_data | k_read | k_write)) {
    if (is_socket(fd)) return Category::socket;
    if (fd == FdKind::regular || fd == FdKind::blockdev) return Category::file;
    return info->base;
  }
  return info->base;
}

const std::vector<SyscallInfo>& all_syscalls(Arch arch) { return table(arch).infos; }

}  // namespace iotrace
