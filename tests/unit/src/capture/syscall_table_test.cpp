#include "src/capture/syscall_table.hpp"

#include <gtest/gtest.h>

#include <set>

namespace iotrace {
namespace {

TEST(SyscallTable, NamesAndNumbersOfX86_64) {
  EXPECT_EQ(syscall_nr("read"), 0);
  EXPECT_EQ(syscall_nr("write"), 1);
  EXPECT_EQ(syscall_nr("poll"), 7);
  EXPECT_EQ(syscall_nr("select"), 23);
  EXPECT_EQ(syscall_nr("fsync"), 74);
  EXPECT_EQ(syscall_nr("epoll_wait"), 232);
  EXPECT_EQ(syscall_nr("epoll_ctl"), 233);
  EXPECT_EQ(syscall_nr("epoll_pwait"), 281);
  EXPECT_EQ(syscall_nr("io_uring_enter"), 426);
  EXPECT_EQ(syscall_nr("epoll_pwait2"), 441);
  EXPECT_EQ(syscall_name(0), "read");
  EXPECT_EQ(syscall_name(232), "epoll_wait");
  EXPECT_EQ(syscall_name(441), "epoll_pwait2");
}

TEST(SyscallTable, UnknownNumbersGetAPlaceholderName) {
  EXPECT_EQ(syscall_name(511), "syscall_511");
  EXPECT_EQ(syscall_name(4096), "syscall_4096");
  EXPECT_EQ(syscall_name(-1), "syscall_-1");
  EXPECT_EQ(syscall_info(-1), nullptr);
  EXPECT_EQ(syscall_info(100000), nullptr);
  EXPECT_FALSE(syscall_nr("no_such_call").has_value());
  EXPECT_FALSE(syscall_nr("").has_value());
}

TEST(SyscallTable, EntriesAreSortedAndUnique) {
  const auto& all = all_syscalls();
  ASSERT_GT(all.size(), 350u);
  std::set<std::string_view> names;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) { EXPECT_LT(all[i - 1].nr, all[i].nr) << all[i].name; }
    EXPECT_TRUE(names.insert(all[i].name).second) << all[i].name;
    EXPECT_EQ(syscall_nr(all[i].name), all[i].nr);
    EXPECT_EQ(syscall_info(all[i].nr), &all[i]);
  }
}

TEST(SyscallTable, EveryCallTheAnalysisNamesExists) {
  // Names compared against syscall_name() in src/: a typo would silently never match.
  for (const char* n :
       {"epoll_wait", "epoll_pwait", "epoll_pwait2", "select", "pselect6", "poll", "ppoll",
        "io_uring_enter", "io_submit", "io_getevents", "io_pgetevents", "epoll_ctl", "accept",
        "accept4", "connect", "futex", "futex_wait", "futex_waitv", "nanosleep", "clock_nanosleep",
        "fsync", "fdatasync", "sync_file_range", "recvfrom", "sendto", "recvmsg", "sendmsg",
        "readv", "writev", "pread64", "pwrite64", "sendfile", "splice"})
    EXPECT_TRUE(syscall_nr(n).has_value()) << n;
}

TEST(SyscallTable, Flags) {
  int read = *syscall_nr("read");
  EXPECT_TRUE(syscall_has(read, k_fd_arg0));
  EXPECT_TRUE(syscall_has(read, k_data));
  EXPECT_TRUE(syscall_has(read, k_read));
  EXPECT_FALSE(syscall_has(read, k_write));
  EXPECT_FALSE(syscall_has(read, k_wait));
  EXPECT_TRUE(syscall_has(*syscall_nr("sendto"), k_write));
  EXPECT_TRUE(syscall_has(*syscall_nr("epoll_pwait"), k_wait));
  EXPECT_TRUE(syscall_has(*syscall_nr("io_getevents"), k_wait));
  EXPECT_FALSE(syscall_has(*syscall_nr("epoll_ctl"), k_wait));
  EXPECT_TRUE(syscall_has(*syscall_nr("fsync"), k_risk));
  EXPECT_TRUE(syscall_has(*syscall_nr("openat"), k_risk));
  EXPECT_FALSE(syscall_has(*syscall_nr("futex"), k_risk));  // decided per operation in BPF
  EXPECT_TRUE(syscall_has(*syscall_nr("accept4"), k_conn));
  EXPECT_TRUE(syscall_has(*syscall_nr("execve"), k_exec));
  EXPECT_FALSE(syscall_has(-1, k_data));
  EXPECT_FALSE(syscall_has(9999, k_data));
}

TEST(SyscallTable, SizeArguments) {
  EXPECT_EQ(syscall_info(*syscall_nr("epoll_wait"))->size_arg, 3);
  EXPECT_EQ(syscall_info(*syscall_nr("select"))->size_arg, 1);
  EXPECT_EQ(syscall_info(*syscall_nr("poll"))->size_arg, 2);
  EXPECT_EQ(syscall_info(*syscall_nr("io_uring_enter"))->size_arg, 2);
  EXPECT_EQ(syscall_info(*syscall_nr("io_submit"))->size_arg, 2);
  EXPECT_EQ(syscall_info(*syscall_nr("getpid"))->size_arg, 0);
}

TEST(SyscallTable, DataCallsFollowTheirFd) {
  int read = *syscall_nr("read");
  EXPECT_EQ(syscall_category(read, FdKind::tcp), Category::socket);
  EXPECT_EQ(syscall_category(read, FdKind::unix_socket), Category::socket);
  EXPECT_EQ(syscall_category(read, FdKind::regular), Category::file);
  EXPECT_EQ(syscall_category(read, FdKind::blockdev), Category::file);
  EXPECT_EQ(syscall_category(read, FdKind::pipe), Category::other);
  EXPECT_EQ(syscall_category(read, FdKind::eventfd), Category::other);
  EXPECT_EQ(syscall_category(*syscall_nr("recvfrom"), FdKind::none), Category::socket);
  EXPECT_EQ(syscall_category(*syscall_nr("pwrite64"), FdKind::regular), Category::file);
}

TEST(SyscallTable, OtherCallsHaveAFixedCategory) {
  EXPECT_EQ(syscall_category(*syscall_nr("epoll_wait"), FdKind::epoll), Category::mux);
  EXPECT_EQ(syscall_category(*syscall_nr("select"), FdKind::none), Category::mux);
  EXPECT_EQ(syscall_category(*syscall_nr("accept4"), FdKind::tcp), Category::socket);
  EXPECT_EQ(syscall_category(*syscall_nr("openat"), FdKind::none), Category::file);
  EXPECT_EQ(syscall_category(*syscall_nr("io_uring_enter"), FdKind::io_uring), Category::io_uring);
  EXPECT_EQ(syscall_category(*syscall_nr("io_submit"), FdKind::none), Category::aio);
  EXPECT_EQ(syscall_category(*syscall_nr("fsync"), FdKind::regular), Category::sync);
  EXPECT_EQ(syscall_category(*syscall_nr("futex"), FdKind::none), Category::sync);
  EXPECT_EQ(syscall_category(*syscall_nr("nanosleep"), FdKind::none), Category::sleep);
  EXPECT_EQ(syscall_category(*syscall_nr("getpid"), FdKind::none), Category::other);
  EXPECT_EQ(syscall_category(9999, FdKind::tcp), Category::other);
}

TEST(SyscallTable, CategoryNamesAndTitles) {
  EXPECT_EQ(category_name(Category::mux), "mux");
  EXPECT_EQ(category_name(Category::io_uring), "io_uring");
  EXPECT_EQ(category_name(Category::other), "other");
  EXPECT_EQ(category_title(Category::mux), "multiplexing waits");
  EXPECT_EQ(category_title(Category::socket), "socket I/O");
  EXPECT_EQ(category_title(Category::file), "file I/O");
  EXPECT_EQ(category_title(Category::aio), "Linux AIO");
  EXPECT_EQ(category_title(Category::sync), "sync and locks");
  EXPECT_EQ(category_title(Category::sleep), "sleeps");
}

TEST(SyscallTable, NamesAndNumbersOfArm64) {
  // the asm-generic numbers
  EXPECT_EQ(syscall_nr(Arch::arm64, "io_setup"), 0);
  EXPECT_EQ(syscall_nr(Arch::arm64, "epoll_pwait"), 22);
  EXPECT_EQ(syscall_nr(Arch::arm64, "openat"), 56);
  EXPECT_EQ(syscall_nr(Arch::arm64, "read"), 63);
  EXPECT_EQ(syscall_nr(Arch::arm64, "write"), 64);
  EXPECT_EQ(syscall_nr(Arch::arm64, "pselect6"), 72);
  EXPECT_EQ(syscall_nr(Arch::arm64, "ppoll"), 73);
  EXPECT_EQ(syscall_nr(Arch::arm64, "newfstatat"), 79);
  EXPECT_EQ(syscall_nr(Arch::arm64, "fsync"), 82);
  EXPECT_EQ(syscall_nr(Arch::arm64, "futex"), 98);
  EXPECT_EQ(syscall_nr(Arch::arm64, "sendto"), 206);
  EXPECT_EQ(syscall_nr(Arch::arm64, "fadvise64"), 223);
  EXPECT_EQ(syscall_nr(Arch::arm64, "io_uring_enter"), 426);
  EXPECT_EQ(syscall_nr(Arch::arm64, "epoll_pwait2"), 441);
  EXPECT_EQ(syscall_nr(Arch::arm64, "futex_wait"), 455);
  EXPECT_EQ(syscall_name(Arch::arm64, 63), "read");
  EXPECT_EQ(syscall_name(Arch::arm64, 22), "epoll_pwait");
  EXPECT_EQ(syscall_name(Arch::arm64, 0), "io_setup");
  EXPECT_EQ(syscall_name(Arch::arm64, 244), "syscall_244");  // arch-specific range: unused
  // what arm64 never had: glibc calls the successors
  for (const char* n : {"open", "poll", "select", "epoll_wait", "stat", "lstat", "access",
                        "unlink", "rename", "mkdir", "dup2", "epoll_create", "pause", "creat"})
    EXPECT_FALSE(syscall_nr(Arch::arm64, n).has_value()) << n;
  // the same number means another call on each
  EXPECT_EQ(syscall_name(Arch::x86_64, 0), "read");
  EXPECT_EQ(syscall_name(Arch::arm64, 0), "io_setup");
  EXPECT_EQ(syscall_name(0), syscall_name(Arch::x86_64, 0));
}

TEST(SyscallTable, ArchNames) {
  EXPECT_EQ(arch_name(Arch::x86_64), "x86_64");
  EXPECT_EQ(arch_name(Arch::arm64), "arm64");
  EXPECT_EQ(arch_from_name("x86_64"), Arch::x86_64);
  EXPECT_EQ(arch_from_name("arm64"), Arch::arm64);
  EXPECT_EQ(arch_from_name("aarch64"), Arch::arm64);
  EXPECT_FALSE(arch_from_name("riscv64").has_value());
  EXPECT_FALSE(arch_from_name("").has_value());
}

TEST(SyscallTable, Arm64EntriesAreSortedAndUnique) {
  const auto& all = all_syscalls(Arch::arm64);
  ASSERT_GT(all.size(), 300u);
  std::set<std::string_view> names;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) { EXPECT_LT(all[i - 1].nr, all[i].nr) << all[i].name; }
    EXPECT_TRUE(names.insert(all[i].name).second) << all[i].name;
    EXPECT_LT(all[i].nr, k_max_syscalls) << all[i].name;
    EXPECT_EQ(syscall_nr(Arch::arm64, all[i].name), all[i].nr);
    EXPECT_EQ(syscall_info(Arch::arm64, all[i].nr), &all[i]);
  }
}

TEST(SyscallTable, RulesApplyOnArm64ByName) {
  // Every rule for a call arm64 has gives it the same flags and category as on x86_64, and a
  // call arm64 lacks has its successor covered by a rule of the same kind.
  for (const auto& a : all_syscalls(Arch::arm64)) {
    auto x = syscall_nr(Arch::x86_64, a.name);
    if (!x) continue;
    const SyscallInfo* i = syscall_info(Arch::x86_64, *x);
    EXPECT_EQ(a.flags, i->flags) << a.name;
    EXPECT_EQ(a.base, i->base) << a.name;
    EXPECT_EQ(a.size_arg, i->size_arg) << a.name;
  }
  const std::pair<const char*, uint32_t> successors[] = {
      {"epoll_pwait", k_wait}, {"pselect6", k_wait},   {"ppoll", k_wait},     {"openat", k_risk},
      {"newfstatat", k_risk},  {"faccessat", k_risk},  {"unlinkat", k_risk},  {"renameat", k_risk},
      {"mkdirat", k_risk},     {"dup3", k_fd_arg0},    {"epoll_create1", 0},  {"io_uring_enter", k_fd_arg0}};
  for (const auto& [n, flag] : successors) {
    auto nr = syscall_nr(Arch::arm64, n);
    ASSERT_TRUE(nr.has_value()) << n;
    if (flag) {
      EXPECT_TRUE(syscall_has(Arch::arm64, *nr, flag)) << n;
    }
  }
  EXPECT_EQ(syscall_category(Arch::arm64, *syscall_nr(Arch::arm64, "ppoll"), FdKind::none), Category::mux);
  EXPECT_EQ(syscall_category(Arch::arm64, *syscall_nr(Arch::arm64, "read"), FdKind::tcp), Category::socket);
  EXPECT_EQ(syscall_info(Arch::arm64, *syscall_nr(Arch::arm64, "epoll_pwait"))->size_arg, 3);
  EXPECT_EQ(syscall_info(Arch::arm64, *syscall_nr(Arch::arm64, "ppoll"))->size_arg, 2);
}

}  // namespace
}  // namespace iotrace
