// The table of iotrace top and attach --interval: 80 columns, whole strings asserted.
#include "cli/render/process_table.hpp"

#include <gtest/gtest.h>

namespace iotrace::cli {
namespace {

ProcessSummary row(uint32_t pid, const char* comm, double rate, uint64_t stalls, const char* finding) {
  ProcessSummary s;
  s.pid = pid;
  s.comm = comm;
  s.model = "epoll";
  s.loops = 1;
  s.syscalls = 100;
  s.syscalls_per_s = rate;
  s.syscalls_per_op = 2.5;
  s.stalls = stalls;
  s.worst_stall_ns = stalls ? 33'800'000 : 0;
  s.finding = finding;
  s.severity = Severity::high;
  return s;
}

TEST(ProcessTable, HeaderAndRowsFitEightyColumns) {
  TableOptions opts;
  std::string out = render_process_header(opts) +
                    render_process_rows({row(30933, "wl_top_loop", 1788, 18, "blocking-call-on-loop"),
                                         row(7, "srv", 12345, 0, "")},
                                        opts);
  EXPECT_EQ(out,
            "    PID COMMAND   MODEL      LOOPS SYSC/s SYS/OP    STALLS FINDING\n"
            "  30933 wl_top_l~ epoll          1   1788   2.50 18/33.8ms blocking-call-on-loop\n"
            "      7 srv       epoll          1  12.3k   2.50         - -\n");
  for (size_t at = 0, nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1)
    EXPECT_LE(nl - at, 80u);
}

TEST(ProcessTable, CutsTheFindingOnlyWhenAsked) {
  TableOptions opts;
  auto r = row(1, "a", 1, 0, "thread-per-connection-scale");
  EXPECT_EQ(render_process_rows({r}, opts),
            "      1 a         epoll          1      1   2.50         - thread-per-connectio~\n");
  opts.cut_last = false;
  EXPECT_EQ(render_process_rows({r}, opts),
            "      1 a         epoll          1      1   2.50         - thread-per-connection-scale\n");
}

TEST(ProcessTable, EscapesNamesAndSkipsIdleProcesses) {
  TableOptions opts;
  auto evil = row(2, "\x1b[31mx", 5, 0, "");
  auto idle = row(3, "idle", 0, 0, "");
  idle.syscalls = 0;
  EXPECT_EQ(render_process_rows({evil, idle}, opts),
            "      2 \\x1b[31mx epoll          1      5   2.50         - -\n");
}

// The loop watch counts waits, not every call: iterations a second and the calls that blocked a
// loop take the places of the two syscall columns.
TEST(ProcessTable, LoopWatchShowsIterationsAndBlockingCalls) {
  TableOptions opts;
  opts.loop_watch = true;
  auto r = row(30933, "wl_top_loop", 2, 3, "blocking-call-on-loop");
  r.iterations_per_s = 1795;
  r.blocking_calls = 3;
  auto quiet = row(7, "srv", 5, 0, "");
  quiet.iterations_per_s = 12345;
  EXPECT_EQ(render_process_header(opts) + render_process_rows({r, quiet}, opts),
            "    PID COMMAND   MODEL      LOOPS ITER/s BLOCKS    STALLS FINDING\n"
            "  30933 wl_top_l~ epoll          1   1795      3  3/33.8ms blocking-call-on-loop\n"
            "      7 srv       epoll          1  12.3k      -         - -\n");
}

TEST(ProcessSummary, SortsStablyByTheChosenColumn) {
  std::vector<ProcessSummary> rows = {row(5, "b", 10, 1, ""), row(3, "a", 30, 0, ""),
                                      row(4, "c", 10, 2, "")};
  sort_summaries(rows, SummarySort::syscalls);
  EXPECT_EQ(rows[0].pid, 3u);
  EXPECT_EQ(rows[1].pid, 4u);  // tie on rate: pid order
  EXPECT_EQ(rows[2].pid, 5u);
  sort_summaries(rows, SummarySort::stalls);
  EXPECT_EQ(rows[0].pid, 4u);
  EXPECT_EQ(rows[1].pid, 5u);
  sort_summaries(rows, SummarySort::command);
  EXPECT_EQ(rows[0].comm, "a");
  rows[2].iterations_per_s = 500;  // pid 4
  sort_summaries(rows, SummarySort::iterations);
  EXPECT_EQ(rows[0].pid, 4u);
}

}  // namespace
}  // namespace iotrace::cli
