// iotrace top in batch mode against a running event loop, and attach --interval: the
// workload's row appears with its model, its stalls and a loop finding.
#include <signal.h>
#include <unistd.h>

#include <sstream>

#include "harness.hpp"

using namespace itest;

namespace {

class TopTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (loop_.pid > 0) {
      close(loop_.in);  // the loop ends when stdin closes
      if (wait_exit(loop_.pid, 5000) < 0) kill(loop_.pid, SIGKILL);
    }
    if (bpf_available()) {
      EXPECT_TRUE(leftover_programs().empty()) << "iotrace left programs loaded";
    }
  }

  int start_loop() {
    loop_ = spawn({workload_bin("wl_top_loop")});
    std::string ready = read_line(loop_.out);
    EXPECT_EQ(ready.rfind("ready ", 0), 0u) << ready;
    if (write(loop_.in, "go\n", 3) != 3) ADD_FAILURE() << "cannot start the workload";
    return std::stoi(ready.substr(6));
  }

  Child loop_;
};

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The rows of a table whose first column is pid.
std::vector<std::vector<std::string>> rows_of(const std::string& out, int pid) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    auto w = words(line);
    if (!w.empty() && w[0] == std::to_string(pid)) rows.push_back(w);
  }
  return rows;
}

void expect_loop_row(const std::vector<std::string>& w) {
  // PID COMMAND MODEL LOOPS SYSC/s SYS/OP STALLS FINDING
  ASSERT_EQ(w.size(), 8u);
  EXPECT_EQ(w[1], "wl_top_l~");
  EXPECT_EQ(w[2], "epoll");
  EXPECT_EQ(w[3], "1");
  EXPECT_NE(w[6], "-") << "a 30 ms sleep every 40 iterations stalls the loop";
  EXPECT_TRUE(w[7] == "loop-stall" || w[7] == "blocking-call-on-loop") << w[7];
}

}  // namespace

TEST_F(TopTest, BatchModeShowsTheLoopHostWide) {
  REQUIRE_BPF();
  int pid = start_loop();
  TraceResult r = run_iotrace({"top", "-b", "-n", "2", "-i", "1s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("    PID COMMAND   MODEL      LOOPS SYSC/s SYS/OP    STALLS FINDING\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "no colour when stdout is not a terminal";
  auto rows = rows_of(r.out, pid);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  for (const auto& w : rows) expect_loop_row(w);
}

TEST_F(TopTest, PidFilterShowsOnlyThatProcess) {
  REQUIRE_BPF();
  int pid = start_loop();
  TraceResult r = run_iotrace({"top", "--once", "-p", std::to_string(pid), "-i", "1s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = rows_of(r.out, pid);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  expect_loop_row(rows[0]);
  EXPECT_NE(r.out.find("1 processes made calls"), std::string::npos) << r.out;
}

// The loop watch hooks the waits and the loop's context switches only: the table counts the
// loop's iterations and the 30 ms sleeps that blocked it (one every 40 iterations), with the
// model of its waits.
TEST_F(TopTest, LoopWatchCountsIterationsAndTheCallsThatBlockedTheLoop) {
  REQUIRE_BPF();
  int pid = start_loop();
  TraceResult r = run_iotrace({"top", "-b", "-n", "2", "-i", "1s", "--loop-watch", "-p", std::to_string(pid)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("    PID COMMAND   MODEL      LOOPS ITER/s BLOCKS    STALLS FINDING\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("iotrace top --loop-watch "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("; sort iterations"), std::string::npos) << r.out;
  auto rows = rows_of(r.out, pid);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  for (const auto& w : rows) {
    ASSERT_EQ(w.size(), 8u) << r.out;
    EXPECT_EQ(w[2], "epoll");
    EXPECT_EQ(w[3], "1");
    // a 1 ms wait every other iteration and a 30 ms sleep every 40th: a few hundred a second
    const double iters = std::stod(w[4]);
    EXPECT_GT(iters, 50) << r.out;
    EXPECT_LT(iters, 2500) << r.out;
    ASSERT_NE(w[5], "-") << "the sleeps block the loop: " << r.out;
    EXPECT_GE(std::stoi(w[5]), 5) << r.out;
    EXPECT_NE(w[6], "-") << r.out;
    EXPECT_TRUE(w[7] == "loop-stall" || w[7] == "blocking-call-on-loop") << w[7];
  }
}

TEST_F(TopTest, RejectsAnUnknownSortColumn) {
  TraceResult r = run_iotrace({"top", "-b", "--sort", "size"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("iotrace: error: --sort: unknown column 'size'"), std::string::npos) << r.err;
}

TEST_F(TopTest, AttachIntervalPrintsCompactReportsThenTheFullOne) {
  REQUIRE_BPF();
  int pid = start_loop();
  TraceResult r = run_iotrace({"attach", std::to_string(pid), "-d", "2300ms", "-i", "1s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto first = r.out.find("--- interval 1 (");
  auto second = r.out.find("--- interval 2 (");
  auto full = r.out.find("I/O model: epoll");
  ASSERT_NE(first, std::string::npos) << r.out;
  ASSERT_NE(second, std::string::npos) << r.out;
  ASSERT_NE(full, std::string::npos) << r.out;
  EXPECT_LT(first, second);
  EXPECT_LT(second, full);
  auto rows = rows_of(r.out.substr(0, full), pid);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  for (const auto& w : rows) expect_loop_row(w);
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no status line when stderr is not a terminal";
}

TEST_F(TopTest, AttachIntervalWithJsonKeepsStdoutOneDocument) {
  REQUIRE_BPF();
  int pid = start_loop();
  TraceResult r = run_iotrace({"attach", std::to_string(pid), "-d", "1500ms", "-i", "1s", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  EXPECT_NE(r.err.find("--- interval 1 ("), std::string::npos) << r.err;
}

// A long host-wide session must not fill the maps with threads that came and went: each
// refresh forgets the exited threads it reported, and live ones keep their rows.
TEST_F(TopTest, RefreshesForgetExitedThreadsAndKeepLiveOnes) {
  REQUIRE_BPF();
  int pid = start_loop();
  Child churn = spawn({"/bin/sh", "-c", "i=0; while [ $i -lt 60 ]; do /bin/true; sleep 0.02; "
                                        "i=$((i+1)); done"});
  TraceResult r = run_iotrace({"-v", "top", "-b", "-n", "3", "-i", "500ms"});
  wait_exit(churn.pid, 10000);
  for (int fd : {churn.in, churn.out, churn.err})
    if (fd >= 0) close(fd);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  uint64_t forgotten = 0;
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);) {
    auto at = line.find("iotrace: top: forgot ");
    if (at != std::string::npos) forgotten += std::stoull(line.substr(at + 21));
  }
  EXPECT_GE(forgotten, 30u) << r.err;  // at least the /bin/true processes that ran
  auto rows = rows_of(r.out, pid);
  ASSERT_EQ(rows.size(), 3u) << r.out;
  for (const auto& w : rows) expect_loop_row(w);
  EXPECT_EQ(r.out.find("events lost"), std::string::npos) << r.out;
}

// The trace stops counting the moment it ends, although detaching its programs then takes
// about a second: the duration is the one asked for, and no thread has more time than that.
TEST_F(TopTest, AttachFiguresCoverExactlyTheDuration) {
  REQUIRE_BPF();
  int pid = start_loop();
  TraceResult r = run_iotrace({"attach", std::to_string(pid), "-d", "500ms", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  uint64_t duration = r.report.at("duration_ns");
  EXPECT_GE(duration, 500'000'000u);
  EXPECT_LT(duration, 600'000'000u);
  for (const auto& t : r.report.at("processes").at(0).at("threads")) {
    uint64_t cpu = t.at("oncpu_ns"), sleep = t.at("sleep_ns"), runq = t.at("runq_ns");
    EXPECT_LE(cpu + sleep + runq, duration + 20'000'000u) << t.dump(1);
  }
}
