// The text renderer: whole reports compared as strings, and the 80-column rule on fixtures.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "capture_builder.hpp"
#include "cli/render/render.hpp"
#include "src/capture/capture_json.hpp"

namespace iotrace::cli {
namespace {

using test::CaptureBuilder;
using test::k_ms;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Display columns: one per character (escaped output holds printable ASCII and UTF-8 only).
size_t columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

// Process 100 "srv" with an epoll loop on thread 101 that made one 30 ms fsync.
FlaggedCall& loop_with_slow_fsync(CaptureBuilder& b) {
  b.process(100, "srv");
  test::epoll_loop(b, 100, 101, 100, 4);
  auto& f = b.flagged(101, "fsync", FdKind::regular, FlagKind::slow);
  f.count = 1;
  f.total_ns = f.max_ns = f.sleep_ns = 30 * k_ms;
  return f;
}

void expect_fits_80_columns(const std::string& text) {
  for (const auto& line : lines_of(text)) EXPECT_LE(columns(line), 80u) << line;
}

Report fixture_report(const std::string& scenario) {
  std::ifstream in(std::string(IOTRACE_FIXTURES_DIR) + "/" + scenario + ".capture.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = capture_from_text(ss.str());
  if (!c) throw std::runtime_error(scenario + ": " + c.error());
  return build_report(c.value());
}

TEST(RenderText, EpollServer) {
  CaptureBuilder b;
  b.process(100, "srv");
  test::epoll_loop(b, 100, 101, 100, 64);
  Report rep = b.report();
  // The renderer's test: the classifier's sentences are fixed here, not taken from it.
  rep.processes[0].model.sentence = "1 event-loop thread waiting in epoll";
  rep.processes[0].threads[0].model.sentence = "waits in epoll (100 epoll waits, 64.0 events per wait)";
  EXPECT_EQ(render_text(rep),
            "iotrace 0.1.0: traced 10.00s on Linux 6.1.0-test\n"
            "\n"
            "process 100 (srv): traced 10.00s, 1 thread seen\n"
            "  I/O model: epoll  [confidence 100%]\n"
            "    1 event-loop thread waiting in epoll.\n"
            "\n"
            "  CATEGORY             CALLS RATE/s  ERRS EAGAIN    P50    P99    MAX     BYTES\n"
            "  multiplexing waits     100     10     0      0 98.3us  100us  100us         -\n"
            "  socket I/O            6400    640     0      0  768ns 1.00us 1.00us    3.1MiB\n"
            "  total                 6500    650     0      0  772ns 88.5us  100us    3.1MiB\n"
            "\n"
            "  SYSCALL(FD KIND)            CALLS  ERRS EAGAIN    P50    P99    MAX     BYTES\n"
            "  read(tcp)                    6400     0      0  768ns 1.00us 1.00us    3.1MiB\n"
            "  epoll_wait(epoll)             100     0      0 98.3us  100us  100us         -\n"
            "\n"
            "  TID     NAME            ROLE         CALLS SYSCALL  ASLEEP  ON-CPU TOP\n"
            "  101     loop            event-loop    6500  16.4ms     0ns     0ns read\n"
            "    101 loop: epoll: waits in epoll (100 epoll waits, 64.0 events per wait)\n"
            "\n"
            "  ratios: operations=6400 io_syscalls=6500\n"
            "    syscalls_per_op=1.02 events_per_wait=64 empty_wait_share=0 eagain_share=0\n"
            "    epoll_ctl_per_event=0 bytes_per_read=512 switches_per_op=0\n"
            "\n"
            "  findings: none\n"
            "\n"
            "  recommendation: epoll fits this workload (0 sockets open): no change needed\n"
            "\n"
            "losses: none\n");
}

TEST(RenderText, NoProcesses) {
  CaptureBuilder b;
  EXPECT_EQ(render_text(b.report()),
            "iotrace 0.1.0: traced 10.00s on Linux 6.1.0-test\n"
            "\n"
            "losses: none\n");
}

TEST(RenderText, ProcessThatExitedWithoutCalls) {
  CaptureBuilder b;
  auto& p = b.process(7, "gone");
  p.exited = true;
  p.followed = true;
  p.traced_ns = 250 * k_ms;
  EXPECT_EQ(render_text(b.report()),
            "iotrace 0.1.0: traced 10.00s on Linux 6.1.0-test\n"
            "\n"
            "process 7 (gone) [child]: traced 250ms, 0 threads seen, exited during the trace\n"
            "  I/O model: idle  [confidence 100%]\n"
            "    0 syscalls in 250ms: too little activity to classify.\n"
            "  no syscalls were seen from this process while it was traced.\n"
            "\n"
            "losses: none\n");
}

TEST(RenderText, LossesAndNotesAreWrapped) {
  CaptureBuilder b;
  b.capture().losses = {12, 0, 1204, 7, 3};
  b.capture().notes = {"BTF tracepoints (tp_btf) unavailable: using raw tracepoints",
                       "uprobe on getaddrinfo in /opt/app/lib/\x1b[2Jlibc.so.6 failed (ENOENT): "
                       "synchronous DNS is not detected"};
  EXPECT_EQ(render_text(b.report()),
            "iotrace 0.1.0: traced 10.00s on Linux 6.1.0-test\n"
            "\n"
            "losses: 1226: stats map full 12 (syscall counts are lower bounds), flagged map\n"
            "  full 3 (flagged-call counts are lower bounds), ring buffer 1204 (stall\n"
            "  details; stall counts stay exact), stacks 7 (calls kept without their stack)\n"
            "note: BTF tracepoints (tp_btf) unavailable: using raw tracepoints\n"
            "note: uprobe on getaddrinfo in /opt/app/lib/\\x1b[2Jlibc.so.6 failed (ENOENT):\n"
            "  synchronous DNS is not detected\n");
}

std::string thread_row(const std::string& comm) {
  CaptureBuilder b;
  b.process(1, "p");
  b.thread(1, 2, comm);
  b.row(2, "getpid", 1);
  for (const auto& line : lines_of(render_text(b.report())))
    if (line.rfind("  2       ", 0) == 0) return line;
  return "(no thread row)";
}

TEST(RenderText, ThreadNamesAreCutAtFifteenColumnsOnBoundaries) {
  EXPECT_EQ(thread_row("worker"),
            "  2       worker          idle             1  1.00us     0ns     0ns getpid");
  // Never inside an escape: \x1b\x1b\x1b\x1b is 16 columns, three fit.
  EXPECT_EQ(thread_row("\x1b\x1b\x1b\x1b"),
            "  2       \\x1b\\x1b\\x1b    idle             1  1.00us     0ns     0ns getpid");
  // Never inside a character: 14 letters and a euro sign fit, the second one does not.
  EXPECT_EQ(thread_row("abcdefghijklmn\xe2\x82\xac\xe2\x82\xac"),
            "  2       abcdefghijklmn\xe2\x82\xac idle             1  1.00us     0ns     0ns getpid");
  EXPECT_EQ(thread_row("ab\xff"),
            "  2       ab\\xff          idle             1  1.00us     0ns     0ns getpid");
}

TEST(RenderText, LongTargetStringsAreWrappedNotCut) {
  CaptureBuilder b;
  auto& f = loop_with_slow_fsync(b);
  b.capture().processes[0].exe = "/opt/" + std::string(150, 'a') + "/srv";
  f.stack.frames = {{0x401000, "srv", 0x1000,
                     "std::vector<std::basic_string<char, std::char_traits<char>, std::allocator<char> >, "
                     "std::allocator<std::basic_string<char> > >::_M_realloc_insert(iterator, value_type&&)",
                     0x40}};
  std::string text = render_text(b.report());
  expect_fits_80_columns(text);
  auto lines = lines_of(text);
  ASSERT_GT(lines.size(), 5u);
  EXPECT_EQ(lines[3], "  exe: /opt/" + std::string(68, 'a'));
  EXPECT_EQ(lines[4], "       " + std::string(73, 'a'));
  EXPECT_EQ(lines[5], "       " + std::string(9, 'a') + "/srv");
  EXPECT_NE(text.find("        std::vector<std::basic_string<char, std::char_traits<char>,\n"
                      "          std::allocator<char> >, std::allocator<std::basic_string<char> >\n"
                      "          >::_M_realloc_insert(iterator, value_type&&)+0x40 (srv)\n"),
            std::string::npos)
      << text;
}

// A stripped binary's frame says where it is (module+offset, build-id) so it can be named
// later; a JIT frame without a perf-map entry gives its address and the notes say why.
TEST(RenderText, UnnamedFramesSayWhereTheyAre) {
  CaptureBuilder b;
  auto& f = loop_with_slow_fsync(b);
  Frame stripped{0x55d0c0001234, "srv", 0x1234};
  stripped.path = "/opt/srv";
  stripped.build_id = "0123456789abcdef0123456789abcdef01234567";
  Frame jit{0x7f0012345678, "[jit]", 0x7f0012345678};
  jit.kind = FrameKind::jit;
  f.stack.frames = {stripped, jit};
  std::string text = render_text(b.report());
  EXPECT_NE(text.find("        srv+0x1234 [build-id 0123456789abcdef]\n"
                      "        [jit] 0x7f0012345678\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("note: 1 stack frame of process 100 (srv) is in JIT-compiled code"),
            std::string::npos)
      << text;
}

TEST(RenderText, TopCallThatDoesNotFitGoesOnItsOwnLine) {
  CaptureBuilder b;
  b.process(1, "p");
  b.thread(1, 2, "running");
  b.row(2, "sched_yield", 3);
  b.thread(1, 3, "ended").exited = true;
  b.row(3, "clock_nanosleep", 2);
  auto lines = lines_of(render_text(b.report()));
  auto at = std::find(lines.begin(), lines.end(),
                      "  TID     NAME            ROLE         CALLS SYSCALL  ASLEEP  ON-CPU TOP");
  ASSERT_NE(at, lines.end());
  ASSERT_GE(lines.end() - at, 4);
  EXPECT_EQ(at[1], "  2       running         idle             3  3.00us     0ns     0ns sched_yield");
  EXPECT_EQ(at[2], "  3       ended           idle             2  2.00us     0ns     0ns");
  EXPECT_EQ(at[3], "          clock_nanosleep (exited)");
}

TEST(RenderText, SpacesInsideTargetStringsAreKept) {
  CaptureBuilder b;
  b.process(1, "two  spaces").exe = "/opt/my   app/srv";
  EXPECT_EQ(lines_of(render_text(b.report()))[2],
            "process 1 (two  spaces): traced 10.00s, 0 threads seen");
  EXPECT_EQ(lines_of(render_text(b.report()))[3], "  exe: /opt/my   app/srv");
}

TEST(RenderText, ElidesPastTheLimits) {
  CaptureBuilder b;
  b.process(1, "p");
  for (uint32_t tid = 2; tid <= 5; ++tid) {
    b.thread(1, tid, "t");
    b.row(tid, "getpid", 10 - tid);
    b.row(tid, "getppid", 1);
  }
  TextOptions opts;
  opts.max_threads = 2;
  opts.max_syscalls = 1;
  auto lines = lines_of(render_text(b.report(), opts));
  auto has = [&](const std::string& l) {
    return std::find(lines.begin(), lines.end(), l) != lines.end();
  };
  EXPECT_TRUE(has("  ... 1 more"));
  EXPECT_TRUE(has("  ... 2 more threads, 13 calls"));  // threads 4 and 5: 6 + 1 and 5 + 1
}

TEST(RenderText, FixturesFitEightyColumns) {
  for (const char* scenario : {"epoll_fsync", "blocking_tpc", "exited_target", "losses", "empty",
                               "hostile_names", "thread_churn"}) {
    SCOPED_TRACE(scenario);
    expect_fits_80_columns(render_text(fixture_report(scenario)));
  }
}

// The lines of the table whose header line starts with `header`, header included.
std::vector<std::string> table_lines(const std::string& text, const std::string& header) {
  std::vector<std::string> out;
  for (const auto& line : lines_of(text)) {
    if (out.empty() && line.rfind(header, 0) != 0) continue;
    if (line.empty() || line.rfind("  ...", 0) == 0) break;
    if (line.size() > 2 && line[2] == ' ') continue;  // a TOP of its own, a thread's sentence
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Every right-aligned header word ends where the values under it end: the columns line up
// and, as the cells are words, a value can only touch its neighbour if the counts differ.
void expect_aligned(const std::vector<std::string>& table, size_t first_right) {
  ASSERT_FALSE(table.empty());
  const std::string& header = table[0];
  std::vector<size_t> ends;
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] != ' ' && (i + 1 == header.size() || header[i + 1] == ' ')) ends.push_back(i);
  for (size_t r = 1; r < table.size(); ++r) {
    const std::string& row = table[r];
    for (size_t k = first_right; k < ends.size(); ++k) {
      size_t e = ends[k];
      ASSERT_LT(e, row.size()) << row;
      EXPECT_NE(row[e], ' ') << "column " << k << " of: " << row;
      EXPECT_TRUE(e + 1 == row.size() || row[e + 1] == ' ') << "column " << k << " of: " << row;
    }
  }
}

TEST(RenderText, LargeCountsNeverRunTogether) {
  CaptureBuilder b;
  b.process(100, "srv");
  b.thread(100, 101, "worker");
  b.thread(100, 1234567, "worker-with-a-long-name");
  // 802,000 socket reads in 10 s (80.2k/s), 481,400 of them EAGAIN: once "80.2k481.4k"
  auto& r = b.row(101, "read", 802000, FdKind::tcp, 12'345'678);
  r.err_eagain = 481400;
  r.bytes = 1300ull << 30;
  b.row(101, "pread64", 12'345'678'901ull, FdKind::regular, 100);
  b.row(1234567, "io_uring_enter", 999960, FdKind::io_uring, 1000);
  Report rep = b.report();
  rep.processes[0].threads[0].model.role = "blocking-io";
  std::string text = render_text(rep);
  EXPECT_EQ(text.find("80.2k481.4k"), std::string::npos) << text;

  auto cats = table_lines(text, "  CATEGORY");
  ASSERT_GE(cats.size(), 3u) << text;
  expect_aligned(cats, 1);
  for (size_t i = 1; i < cats.size(); ++i) EXPECT_GE(words(cats[i]).size(), 9u) << cats[i];
  EXPECT_NE(text.find(" 80.2k 481.4k "), std::string::npos) << text;

  auto sys = table_lines(text, "  SYSCALL(FD KIND)");
  ASSERT_EQ(sys.size(), 4u) << text;
  expect_aligned(sys, 2);  // the header's first column is two words
  for (size_t i = 1; i < sys.size(); ++i) EXPECT_EQ(words(sys[i]).size(), 8u) << sys[i];

  auto threads = table_lines(text, "  TID");
  ASSERT_EQ(threads.size(), 3u) << text;
  for (auto& line : threads)  // TOP is free text, on the row when it fits
    if (words(line).size() == 8) line = line.substr(0, line.rfind(' '));
  expect_aligned(threads, 3);
  for (size_t i = 1; i < threads.size(); ++i) EXPECT_EQ(words(threads[i]).size(), 7u) << threads[i];
  EXPECT_NE(text.find("  1000.0k "), std::string::npos) << text;
}

TEST(RenderText, HostileNamesNeverReachTheTerminalRaw) {
  std::string text = render_text(fixture_report("hostile_names"));
  for (unsigned char c : text) {
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c != 0x7f)) << static_cast<int>(c);
  }
  EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);      // C1 CSI
  EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_NE(text.find("process 4600 (evil\\n[high] x): traced 1.00s, 3 threads seen\n"),
            std::string::npos);
}

ThreadGroup request_threads() {
  ThreadGroup g;
  g.comm = "python3";
  g.role = "blocking-io";
  g.model = "blocking";
  g.threads = 3434;
  g.exited = 3434;
  g.total.calls = 103000;
  g.total.total_ns = 1200 * k_ms;
  g.sleep_ns = 3000 * k_ms;
  g.oncpu_ns = 400 * k_ms;
  g.runq_ns = 7 * k_ms;
  g.lifetime_min_ns = 120000;
  g.lifetime_median_ns = 1200000;
  g.lifetime_max_ns = 30 * k_ms;
  SyscallLine s;
  s.nr = test::nr_of("recvfrom");
  s.fd_kind = FdKind::tcp;
  s.stats.calls = 103000;
  g.syscalls.push_back(s);
  return g;
}

TEST(RenderText, FoldedThreadsFollowTheThreadTable) {
  CaptureBuilder b;
  b.process(100, "srv");
  test::epoll_loop(b, 100, 101, 100, 64);
  Report rep = b.report();
  rep.processes[0].thread_groups.push_back(request_threads());
  ThreadGroup few = request_threads();
  few.comm = "Thread-* (proc";
  few.threads = 2;
  few.exited = 1;
  rep.processes[0].thread_groups.push_back(few);
  std::string text = render_text(rep);
  EXPECT_NE(text.find("  short-lived threads, folded by role and name (--all-threads lists each):\n"
                      "    3434 threads python3 (blocking-io, all exited): 103.0k calls, 1.20s in\n"
                      "      syscalls, 3.00s asleep, 400ms on CPU; each lived 120us to 30.0ms (median\n"
                      "      1.20ms); top recvfrom\n"
                      "    2 threads Thread-* (proc (blocking-io, 1 exited): 103.0k calls, 1.20s in\n"),
            std::string::npos)
      << text;
  expect_fits_80_columns(text);
  TextOptions one;
  one.max_threads = 1;
  EXPECT_NE(render_text(rep, one).find("\n    ... 1 more groups, 2 threads\n"), std::string::npos);
}

TEST(RenderJson, ThreadGroupsAndMergedFindings) {
  CaptureBuilder b;
  b.process(100, "srv");
  test::epoll_loop(b, 100, 101, 100, 64);
  Report rep = b.report();
  rep.processes[0].thread_groups.push_back(request_threads());
  Finding f;
  f.id = "tiny-reads";
  f.tid = 101;
  f.tids = {101, 102, 103};
  rep.processes[0].findings.push_back(f);
  Finding whole;
  whole.id = "uring-cq-overflow";
  rep.processes[0].findings.push_back(whole);
  nlohmann::json j = nlohmann::json::parse(render_json(rep));
  EXPECT_EQ(j["settings"]["all_threads"], false);
  const auto& g = j["processes"][0]["thread_groups"][0];
  EXPECT_EQ(g["comm"], "python3");
  EXPECT_EQ(g["role"], "blocking-io");
  EXPECT_EQ(g["model"], "blocking");
  EXPECT_EQ(g["threads"], 3434);
  EXPECT_EQ(g["exited"], 3434);
  EXPECT_EQ(g["total"]["calls"], 103000);
  EXPECT_EQ(g["lifetime_min_ns"], 120000);
  EXPECT_EQ(g["lifetime_median_ns"], 1200000);
  EXPECT_EQ(g["lifetime_max_ns"], 30000000);
  EXPECT_EQ(g["oncpu_ns"], 400000000);
  EXPECT_EQ(g["sleep_ns"], 3000000000);
  EXPECT_EQ(g["runq_ns"], 7000000);
  EXPECT_EQ(g["stalls"], 0);
  EXPECT_EQ(g["syscalls"][0]["syscall"], "recvfrom");
  EXPECT_EQ(g["syscalls"][0]["fd_kind"], "tcp");
  const auto& fs = j["processes"][0]["findings"];
  EXPECT_EQ(fs[0]["tid"], 101);
  EXPECT_EQ(fs[0]["threads"], 3);
  EXPECT_EQ(fs[0]["tids"], nlohmann::json::parse("[101, 102, 103]"));
  EXPECT_EQ(fs[1]["threads"], 0);
  EXPECT_EQ(fs[1]["tids"], nlohmann::json::array());
}

TEST(RenderJson, InvalidUtf8NamesStillSerialize) {
  CaptureBuilder b;
  b.process(1, "bad\xff");
  b.thread(1, 2, "\xed\xa0\x80");
  b.row(2, "getpid", 1);
  nlohmann::json j = nlohmann::json::parse(render_json(b.report()));
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["processes"][0]["comm"], "bad\xef\xbf\xbd");
  EXPECT_EQ(j["processes"][0]["threads"][0]["comm"], "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

// A capture from an arm64 host, read where x86_64's numbers are the default: its calls are
// named from arm64's table (22 and 63 are x86_64's pipe and uname).
TEST(RenderText, Arm64CaptureNamesItsCallsFromItsOwnTable) {
  auto c = capture_from_text(R"({"capture_version": 1, "arch": "arm64", "duration_ns": 1000000000,
    "processes": [{"pid": 100, "comm": "srv"}],
    "threads": [{"tid": 101, "pid": 100, "comm": "srv"}],
    "syscalls": [{"tid": 101, "nr": 22, "fd_kind": "epoll", "calls": 40},
                 {"tid": 101, "nr": 63, "fd_kind": "tcp", "calls": 30}]})");
  ASSERT_TRUE(c.ok()) << c.error();
  Report rep = build_report(c.value());
  EXPECT_EQ(rep.arch, Arch::arm64);
  std::string text = render_text(rep);
  EXPECT_NE(text.find("epoll_pwait(epoll)"), std::string::npos) << text;
  EXPECT_NE(text.find("read(tcp)"), std::string::npos) << text;
  EXPECT_EQ(text.find("pipe"), std::string::npos) << text;
  EXPECT_EQ(text.find("uname"), std::string::npos) << text;
  auto j = report_to_json(rep);
  EXPECT_EQ(j["processes"][0]["syscalls"][0]["syscall"], "epoll_pwait");
  EXPECT_EQ(j["processes"][0]["syscalls"][1]["syscall"], "read");
}

}  // namespace
}  // namespace iotrace::cli
