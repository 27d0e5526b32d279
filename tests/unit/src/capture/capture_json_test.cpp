#include "src/capture/capture_json.hpp"

#include <gtest/gtest.h>

#include "capture_builder.hpp"

namespace iotrace {
namespace {

using nlohmann::json;
using test::CaptureBuilder;
using test::k_ms;

// A capture that sets every field to a distinct value.
Capture full_capture() {
  CaptureBuilder b;
  auto& p = b.process(4242, "srv");
  p.ppid = 7;
  p.exe = "/usr/sbin/srv";
  p.start_time_ticks = 98765;
  p.exited = true;
  p.followed = true;
  p.traced_ns = 3 * test::k_s;
  p.stack_rlimit_bytes = 8 << 20;
  p.vm_rss_bytes = 12345678;
  p.threads_now = 3;
  p.open_fds = 40;
  p.sockets_open = 30;
  p.epoll.push_back({4, {{5, 0x80000019u, 0x7fff00000005u, FdKind::tcp}, {6, 1, 6, FdKind::eventfd}}});
  p.libraries = {"libc.so.6", "libuv.so.1"};
  auto& t = b.thread(4242, 4243, "srv-loop");
  t.exited = true;
  t.loop = true;
  t.io_worker = false;
  t.first_ns = 11;
  t.last_ns = 22;
  t.oncpu_ns = 33;
  t.sleep_ns = 44;
  t.runq_ns = 55;
  t.vol_switches = 66;
  t.invol_switches = 77;
  t.stalls = 2;
  t.select_max_nfds = 1500;
  t.epoll = {1, 2, 3, 4, 5, 6, 7, {}};
  t.epoll.fd_kinds[static_cast<int>(FdKind::tcp)] = 9;
  t.uring.sqes = 100;
  t.uring.cqes = 99;
  t.uring.failed = 1;
  t.uring.punts = 2;
  t.uring.overflows = 3;
  t.uring.links = 4;
  t.uring.enter_getevents = 5;
  t.uring.enter_sqwakeup = 6;
  t.uring.rings = 1;
  t.uring.rings_sqpoll = 1;
  t.uring.ops[22] = 50;
  auto& r = b.row(4243, "read", 10, FdKind::tcp, 3000);
  r.nonblock = true;
  r.err_eagain = 3;
  r.err_eintr = 1;
  r.err_other = 2;
  r.bytes = 4096;
  r.zero_ret = 1;
  r.ret_sum = 8;
  r.arg_sum = 9;
  r.arg_max = 10;
  r.hist.slots[39] = 1;
  auto& f = b.flagged(4243, "fsync", FdKind::regular, FlagKind::risk);
  f.count = 3;
  f.total_ns = 30 * k_ms;
  f.max_ns = 12 * k_ms;
  f.sleep_ns = 25 * k_ms;
  f.runq_ns = 1 * k_ms;
  f.hist.slots[23] = 3;
  f.stack.frames = {{0x401000, "srv", 0x1000, "flush_log", 0x10}, {0x7f0000, "[unknown]", 0, "", 0}};
  f.stack.truncated = true;
  Stall s;
  s.tid = 4243;
  s.start_ns = 1000;
  s.dur_ns = 40 * k_ms;
  s.sys_ns = 30 * k_ms;
  s.sleep_ns = 29 * k_ms;
  s.runq_ns = 2 * k_ms;
  s.cpu_ns = 9 * k_ms;
  s.max_sys_ns = 28 * k_ms;
  s.max_nr = test::nr_of("fsync");
  s.stack.lost = true;
  Capture c = b.capture();
  c.stalls.push_back(s);
  c.settings.follow_children = true;
  c.losses = {1, 2, 3, 4, 5};
  c.notes = {"io_uring tracepoints not found: io_uring counters are absent"};
  c.unavailable = {"uring_sqes", "uring_punts"};
  return c;
}

TEST(CaptureJson, RoundTripKeepsEveryField) {
  Capture c = full_capture();
  json j = capture_to_json(c);
  auto back = capture_from_text(j.dump(1));
  ASSERT_TRUE(back.ok()) << back.error();
  // Serializing again gives the same document: nothing was lost or changed.
  EXPECT_EQ(capture_to_json(back.value()).dump(1), j.dump(1));
  const Capture& d = back.value();
  ASSERT_EQ(d.processes.size(), 1u);
  EXPECT_EQ(d.processes[0].epoll[0].entries[0].events, 0x80000019u);
  EXPECT_EQ(d.processes[0].epoll[0].entries[1].kind, FdKind::eventfd);
  EXPECT_EQ(d.processes[0].libraries, (std::vector<std::string>{"libc.so.6", "libuv.so.1"}));
  ASSERT_EQ(d.threads.size(), 1u);
  EXPECT_EQ(d.threads[0].uring.ops[22], 50u);
  EXPECT_EQ(d.threads[0].epoll.fd_kinds[static_cast<int>(FdKind::tcp)], 9u);
  EXPECT_EQ(d.threads[0].select_max_nfds, 1500u);
  ASSERT_EQ(d.syscalls.size(), 1u);
  EXPECT_EQ(d.syscalls[0].hist.slots[39], 1u);
  EXPECT_EQ(d.syscalls[0].hist.slots[11], 10u);
  EXPECT_EQ(d.syscalls[0].err_other, 2u);
  ASSERT_EQ(d.flagged.size(), 1u);
  EXPECT_EQ(d.flagged[0].kind, FlagKind::risk);
  EXPECT_EQ(d.flagged[0].stack.frames[0].symbol, "flush_log");
  EXPECT_TRUE(d.flagged[0].stack.truncated);
  ASSERT_EQ(d.stalls.size(), 1u);
  EXPECT_TRUE(d.stalls[0].stack.lost);
  EXPECT_EQ(d.losses.total(), 15u);
  EXPECT_EQ(d.notes, c.notes);
  EXPECT_EQ(d.unavailable, c.unavailable);
  EXPECT_FALSE(d.provides("uring_sqes"));
  EXPECT_TRUE(d.provides("uring_cqes"));
}

TEST(CaptureJson, HistogramIsSparse) {
  Capture c = full_capture();
  json j = capture_to_json(c);
  EXPECT_EQ(j["syscalls"][0]["hist"].dump(), R"({"11":10,"39":1})");
}

TEST(CaptureJson, MinimalDocumentGetsDefaults) {
  auto c = capture_from_text(R"({"capture_version": 1,
    "processes": [{"pid": 10}],
    "threads": [{"tid": 11, "pid": 10}],
    "syscalls": [{"tid": 11, "nr": 0, "calls": 4}]})");
  ASSERT_TRUE(c.ok()) << c.error();
  const Capture& d = c.value();
  EXPECT_EQ(d.duration_ns, 0u);
  EXPECT_EQ(d.processes[0].comm, "");
  EXPECT_EQ(d.threads[0].comm, "");
  EXPECT_EQ(d.syscalls[0].fd_kind, FdKind::none);
  EXPECT_EQ(d.syscalls[0].calls, 4u);
  EXPECT_TRUE(d.flagged.empty());
  EXPECT_EQ(d.losses.total(), 0u);
}

TEST(CaptureJson, ArchDefaultsToX86_64AndRoundTrips) {
  auto old = capture_from_text(R"({"capture_version": 1, "syscalls": [{"tid": 1, "nr": 0, "calls": 1}]})");
  ASSERT_TRUE(old.ok()) << old.error();
  EXPECT_EQ(old.value().arch, Arch::x86_64);  // captures from before the field
  Capture c;
  c.arch = Arch::arm64;
  c.syscalls.push_back(SyscallRow{});
  c.syscalls[0].nr = 63;  // arm64's read
  json j = capture_to_json(c);
  EXPECT_EQ(j.at("arch"), "arm64");
  auto back = capture_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back.value().arch, Arch::arm64);
  EXPECT_EQ(syscall_name(back.value().arch, back.value().syscalls[0].nr), "read");
  EXPECT_EQ(capture_to_json(Capture{}).at("arch"), "x86_64");
  auto bad = capture_from_text(R"({"capture_version": 1, "arch": "sparc64"})");
  EXPECT_FALSE(bad.ok());
}

TEST(CaptureJson, TracedTimeDefaultsToTheCaptureDuration) {
  auto c = capture_from_text(R"({"capture_version": 1, "duration_ns": 5000, "processes": [{"pid": 10}]})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.value().processes[0].traced_ns, 5000u);
}

std::string error_of(const std::string& text) {
  auto c = capture_from_text(text);
  EXPECT_FALSE(c.ok()) << text;
  return c.ok() ? std::string() : c.error();
}

TEST(CaptureJson, MalformedInputIsAnError) {
  EXPECT_EQ(error_of(""), "malformed capture: not valid JSON");
  EXPECT_EQ(error_of("{\"capture_version\": 1,"), "malformed capture: not valid JSON");
  EXPECT_EQ(error_of("\xff\xfe"), "malformed capture: not valid JSON");
  EXPECT_EQ(error_of(R"({"capture_version": 2})"),
            "capture version 2 is not supported (this iotrace reads 1)");
  EXPECT_EQ(error_of(R"({"capture_version": 1, "syscalls": [{"tid": 1, "nr": 0, "calls": 1, "err_other": 2}]})"),
            "syscall row for tid 1 nr 0: more errors than calls");
  EXPECT_EQ(error_of(R"({"capture_version": 1, "syscalls": [{"tid": 1, "nr": 0, "fd_kind": "floppy"}]})"),
            "malformed capture: unknown fd kind 'floppy'");
}

TEST(CaptureJson, WrongShapesAreErrorsNotCrashes) {
  for (const char* text : {
           "[]", "42", "null", "\"capture\"", R"({})",
           R"({"capture_version": "1"})",
           R"({"capture_version": 1, "processes": 5})",
           R"({"capture_version": 1, "processes": [5]})",
           R"({"capture_version": 1, "processes": [{"comm": "x"}]})",
           R"({"capture_version": 1, "processes": [{"pid": 1, "comm": 7}]})",
           R"({"capture_version": 1, "processes": [{"pid": 1, "epoll": [{"entries": []}]}]})",
           R"({"capture_version": 1, "threads": [{"tid": 1}]})",
           R"({"capture_version": 1, "threads": [{"tid": 1, "pid": 1, "epoll": {"fd_kinds": "x"}}]})",
           R"({"capture_version": 1, "syscalls": [{"tid": 1, "nr": 0, "hist": {"x": 1}}]})",
           R"({"capture_version": 1, "syscalls": [{"tid": 1, "nr": 0, "hist": {"3": "many"}}]})",
           R"({"capture_version": 1, "syscalls": [{"tid": 1, "nr": 0, "hist": {"99999999999": 1}}]})",
           R"({"capture_version": 1, "flagged": [{"tid": 1}]})",
           R"({"capture_version": 1, "flagged": [{"tid": 1, "nr": 1, "stack": {"frames": [{"addr": "x"}]}}]})",
           R"({"capture_version": 1, "stalls": [{"dur_ns": 1}]})",
           R"({"capture_version": 1, "losses": {"ringbuf": "lots"}})",
           R"({"capture_version": 1, "notes": [1, 2]})",
       }) {
    auto c = capture_from_text(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.error().rfind("malformed capture: ", 0), 0u) << text << " -> " << c.error();
  }
}

TEST(CaptureJson, DeepNestingIsAnErrorNotAStackOverflow) {
  std::string text = std::string(100000, '[') + std::string(100000, ']');
  auto c = capture_from_text(text);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().rfind("malformed capture: ", 0), 0u) << c.error();
}

TEST(CaptureJson, OutOfRangeHistogramSlotsAreIgnored) {
  auto c = capture_from_text(
      R"({"capture_version": 1, "syscalls": [{"tid": 1, "nr": 0, "calls": 2, "hist": {"-1": 5, "40": 5, "3": 2}}]})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.value().syscalls[0].hist.count(), 2u);
  EXPECT_EQ(c.value().syscalls[0].hist.slots[3], 2u);
}

TEST(CaptureJson, NamesThatAreNotUtf8StillSave) {
  // A comm is 16 bytes the target chose: saving the capture must not throw on it.
  CaptureBuilder b;
  b.process(1, "bad\xff\xfename");
  b.thread(1, 1, "\xed\xa0\x80" "t");
  json j = capture_to_json(b.capture());
  std::string text;
  ASSERT_NO_THROW(text = j.dump(1));
  auto back = capture_from_text(text);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back.value().processes[0].comm, "bad\xef\xbf\xbd\xef\xbf\xbdname");
  EXPECT_EQ(back.value().threads[0].comm, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdt");
}

}  // namespace
}  // namespace iotrace
