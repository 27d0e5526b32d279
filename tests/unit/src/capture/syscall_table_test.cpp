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

}  // namespace
}  // namespace iotrace
