#include "src/capture/proc_parse.hpp"

#include <gtest/gtest.h>

namespace iotrace {
namespace {

constexpr std::string_view k_status =
    "Name:\tmy server\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t4242\n"
    "Ngid:\t0\n"
    "Pid:\t4243\n"
    "PPid:\t1\n"
    "TracerPid:\t0\n"
    "VmPeak:\t  130000 kB\n"
    "VmSize:\t  123456 kB\n"
    "VmRSS:\t    5120 kB\n"
    "Threads:\t4\n"
    "voluntary_ctxt_switches:\t150\n";

TEST(ParseStatus, ReadsTheFieldsIotraceUses) {
  auto st = parse_status(k_status);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->name, "my server");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->tgid, 4242u);
  EXPECT_EQ(st->pid, 4243u);
  EXPECT_EQ(st->ppid, 1u);
  EXPECT_EQ(st->threads, 4u);
  EXPECT_EQ(st->vm_rss_bytes, 5120u * 1024);
  EXPECT_TRUE(st->has_vm);
}

TEST(ParseStatus, KernelThreadHasNoVm) {
  auto st = parse_status("Name:\tkworker/0:1\nState:\tI (idle)\nTgid:\t7\nPid:\t7\nPPid:\t2\nThreads:\t1\n");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->name, "kworker/0:1");
  EXPECT_EQ(st->state, 'I');
  EXPECT_EQ(st->ppid, 2u);
  EXPECT_FALSE(st->has_vm);
  EXPECT_EQ(st->vm_rss_bytes, 0u);
}

TEST(ParseStatus, WithoutAPidItIsNotAStatusFile) {
  EXPECT_FALSE(parse_status("").has_value());
  EXPECT_FALSE(parse_status("Name:\tx\nTgid:\t5\n").has_value());
  EXPECT_FALSE(parse_status("Pid:\tnot-a-number\n").has_value());
}

// Fields 3..52 after the comm; field 22 (start time) is 98765.
constexpr std::string_view k_stat_tail =
    " S 1 4243 4243 0 -1 4194560 120 0 0 0 5 3 0 0 20 0 4 0 98765 123456789 1280 "
    "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

TEST(ParseStat, PlainComm) {
  auto st = parse_stat(std::string("4243 (srv)") + std::string(k_stat_tail));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, 4243u);
  EXPECT_EQ(st->comm, "srv");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 1u);
  EXPECT_EQ(st->flags, 4194560u);
  EXPECT_EQ(st->start_time_ticks, 98765u);
}

TEST(ParseStat, CommWithSpacesAndParentheses) {
  auto st = parse_stat(std::string("4243 (my (odd) srv) )") + std::string(k_stat_tail));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->comm, "my (odd) srv) ");
  EXPECT_EQ(st->ppid, 1u);
  EXPECT_EQ(st->start_time_ticks, 98765u);
}

TEST(ParseStat, CommThatLooksLikeFields) {
  auto st = parse_stat(std::string("77 (x) R 9 9 9 0) ") + std::string(k_stat_tail));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, 77u);
  EXPECT_EQ(st->comm, "x) R 9 9 9 0");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->start_time_ticks, 98765u);
}

TEST(ParseStat, MalformedIsRejected) {
  EXPECT_FALSE(parse_stat("").has_value());
  EXPECT_FALSE(parse_stat("4243 srv S 1").has_value());
  EXPECT_FALSE(parse_stat(")(").has_value());
  EXPECT_FALSE(parse_stat("4243 (srv) S 1 2 3").has_value());  // too few fields
  EXPECT_FALSE(parse_stat(std::string("x (srv)") + std::string(k_stat_tail)).has_value());
  EXPECT_FALSE(parse_stat("4243 (srv) SS 1 4243 4243 0 -1 4194560 120 0 0 0 5 3 0 0 20 0 4 0 98765 1")
                   .has_value());
}

TEST(ParseEpollFdinfo, EntriesWithTheirEventMasks) {
  constexpr std::string_view text =
      "pos:\t0\n"
      "flags:\t02000002\n"
      "mnt_id:\t15\n"
      "ino:\t1057\n"
      "tfd:        5 events:       19 data:                5  pos:0 ino:4a1 sdev:8\n"
      "tfd:        7 events: 80000019 data:     7fff00000007  pos:0 ino:4b2 sdev:8\n"
      "tfd:       12 events: c0000001 data:               0c  pos:0 ino:4c3 sdev:8\n";
  auto e = parse_epoll_fdinfo(text);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].tfd, 5);
  EXPECT_EQ(e[0].events, 0x19u);
  EXPECT_EQ(e[0].data, 5u);
  EXPECT_EQ(e[0].events & (1u << 31), 0u);  // level-triggered
  EXPECT_EQ(e[1].tfd, 7);
  EXPECT_EQ(e[1].events, 0x80000019u);
  EXPECT_NE(e[1].events & (1u << 31), 0u);  // EPOLLET
  EXPECT_EQ(e[1].data, 0x7fff00000007u);
  EXPECT_EQ(e[2].tfd, 12);
  EXPECT_EQ(e[2].events, 0xc0000001u);      // EPOLLET | EPOLLONESHOT | EPOLLIN
  EXPECT_EQ(e[2].data, 0xcu);
  EXPECT_EQ(e[2].kind, FdKind::other);      // probes/ resolves the kind from the fd table
}

TEST(ParseEpollFdinfo, NoEntriesAndGarbage) {
  EXPECT_TRUE(parse_epoll_fdinfo("").empty());
  EXPECT_TRUE(parse_epoll_fdinfo("pos:\t0\nflags:\t02\n").empty());
  EXPECT_TRUE(parse_epoll_fdinfo("tfd: x events: zz\n").empty());
  auto e = parse_epoll_fdinfo("tfd: 3 events: nothex data: 1\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].tfd, 3);
  EXPECT_EQ(e[0].events, 0u);
  EXPECT_EQ(e[0].data, 1u);
}

constexpr std::string_view k_limits_head =
    "Limit                     Soft Limit           Hard Limit           Units     \n"
    "Max cpu time              unlimited            unlimited            seconds   \n"
    "Max file size             unlimited            unlimited            bytes     \n"
    "Max data size             unlimited            unlimited            bytes     \n";

TEST(ParseStackLimit, SoftLimitInBytes) {
  std::string text(k_limits_head);
  text += "Max stack size            8388608              unlimited            bytes     \n";
  text += "Max core file size        0                    unlimited            bytes     \n";
  EXPECT_EQ(parse_stack_limit(text), 8388608u);
}

TEST(ParseStackLimit, UnlimitedOrMissing) {
  std::string text(k_limits_head);
  EXPECT_FALSE(parse_stack_limit(text).has_value());
  text += "Max stack size            unlimited            unlimited            bytes     \n";
  EXPECT_FALSE(parse_stack_limit(text).has_value());
  EXPECT_FALSE(parse_stack_limit("Max stack size            lots    \n").has_value());
}

TEST(ParseMaps, PathsPermissionsAndOffsets) {
  constexpr std::string_view text =
      "55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1835023                    /usr/bin/srv\n"
      "7f3c1a228000-7f3c1a3bd000 r-xp 00028000 08:01 1835100                    "
      "/usr/lib/x86_64-linux-gnu/libc.so.6\n"
      "7f3c1a400000-7f3c1a401000 r-xp 00001000 08:01 99                         "
      "/opt/my app/lib odd.so (deleted)\n"
      "7ffd5a1e0000-7ffd5a201000 rw-p 00000000 00:00 0                          [stack]\n"
      "7f3c1a500000-7f3c1a600000 rw-p 00000000 00:00 0 \n"
      "garbage line\n"
      "zz-yy r-xp 0 0 0 /x\n";
  auto m = parse_maps(text);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].start, 0x55d0c0a00000u);
  EXPECT_EQ(m[0].end, 0x55d0c0a02000u);
  EXPECT_FALSE(m[0].exec);
  EXPECT_EQ(m[0].path, "/usr/bin/srv");
  EXPECT_TRUE(m[1].exec);
  EXPECT_EQ(m[1].offset, 0x28000u);
  EXPECT_EQ(m[1].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_TRUE(m[2].exec);
  EXPECT_EQ(m[2].path, "/opt/my app/lib odd.so (deleted)");
  EXPECT_EQ(m[3].path, "[stack]");
  EXPECT_FALSE(m[3].exec);
  EXPECT_EQ(m[4].path, "");
  EXPECT_EQ(m[4].start, 0x7f3c1a500000u);
}

TEST(ParsePerfMap, NamesWithSpaces) {
  constexpr std::string_view text =
      "7f0000001000 40 Interpreter::run(int, char**)\n"
      "0x7f0000002000 0x1a LazyCompile:*handle /srv/app.js:12\n"
      "7f0000003000 zz bad size\n"
      "7f0000004000 10\n"
      "\n";
  auto p = parse_perf_map(text);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].start, 0x7f0000001000u);
  EXPECT_EQ(p[0].size, 0x40u);
  EXPECT_EQ(p[0].name, "Interpreter::run(int, char**)");
  EXPECT_EQ(p[1].start, 0x7f0000002000u);
  EXPECT_EQ(p[1].size, 0x1au);
  EXPECT_EQ(p[1].name, "LazyCompile:*handle /srv/app.js:12");
}

TEST(ParseCgroup, PrefersTheUnifiedHierarchy) {
  EXPECT_EQ(parse_cgroup("0::/system.slice/nginx.service\n"), "/system.slice/nginx.service");
  // hybrid host: v1 controllers beside the unified hierarchy
  EXPECT_EQ(parse_cgroup("12:cpu,cpuacct:/kubepods/pod1\n1:name=systemd:/kubepods/pod1/c2\n"
                         "0::/kubepods/pod1/c2\n"),
            "/kubepods/pod1/c2");
  // v1 only: systemd's hierarchy names the service
  EXPECT_EQ(parse_cgroup("4:memory:/user.slice\n1:name=systemd:/system.slice/redis.service\n"),
            "/system.slice/redis.service");
  EXPECT_EQ(parse_cgroup("4:memory:/docker/abc\n"), "/docker/abc");
  // a path may itself hold ':'
  EXPECT_EQ(parse_cgroup("0::/system.slice/a:b.service\n"), "/system.slice/a:b.service");
  EXPECT_EQ(parse_cgroup(""), "");
  EXPECT_EQ(parse_cgroup("garbage\n"), "");
}

// /proc/net tables name a socket's family by inode, and say which sockets listen.
TEST(ProcParse, NetSocketsGiveInodesAndListeners) {
  const char* tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n"
      "   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0 20 4 30 10 -1\n";
  auto t = parse_net_sockets(tcp, NetTable::inet);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].inode, 4242u);
  EXPECT_TRUE(t[0].listening);
  EXPECT_EQ(t[1].inode, 4243u);
  EXPECT_FALSE(t[1].listening);
  const char* unix_table =
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 5151 /run/x.sock\n"
      "0000000000000000: 00000003 00000000 00000000 0001 03 5152\n";
  auto u = parse_net_sockets(unix_table, NetTable::unix_sockets);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_TRUE(u[0].listening);
  EXPECT_EQ(u[1].inode, 5152u);
  EXPECT_FALSE(u[1].listening);
}

}  // namespace
}  // namespace iotrace

TEST(ProcParse, TaskSyscallOfAParkedThread) {
  auto t = iotrace::parse_task_syscall("0 0x7 0x7ffd0 0x1000 0x0 0x0 0x0 0x7ffc 0x7f12\n");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->nr, 0);
  EXPECT_EQ(t->arg0, 7u);
  EXPECT_FALSE(iotrace::parse_task_syscall("running\n").has_value());
  EXPECT_FALSE(iotrace::parse_task_syscall("-1 0x7ffc 0x7f12\n").has_value());
  EXPECT_FALSE(iotrace::parse_task_syscall("").has_value());
}

TEST(ProcParse, StatusNamespacePid) {
  auto st = iotrace::parse_status("Name:\tsh\nPid:\t4242\nNSpid:\t4242\t1\n");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->ns_pid, 1u);
  st = iotrace::parse_status("Name:\tsh\nPid:\t4242\nNSpid:\t4242\n");
  EXPECT_EQ(st->ns_pid, 0u);
}
