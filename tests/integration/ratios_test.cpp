// Syscall-per-operation metrics and the findings on them, measured on live workloads whose
// exact pattern the test knows; each finding next to a close variant that must not fire.
#include "harness.hpp"

using namespace itest;

namespace {

class RatiosTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (bpf_available()) { EXPECT_TRUE(leftover_programs().empty()); }
  }
  nlohmann::json trace(const std::string& mode) {
    TraceResult r = trace_workload({"wl_ratios_uring", {mode}, {"--json"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.report.at("processes").at(0);
  }
};

bool has_finding(const nlohmann::json& p, const std::string& id) {
  for (const auto& f : p.at("findings"))
    if (f.at("id") == id) return true;
  return false;
}

double metric(const nlohmann::json& p, const std::string& id) {
  return p.at("metrics").at(id).get<double>();
}

}  // namespace

TEST_F(RatiosTest, SixtyFourReadyFdsGiveSixtyFourEventsPerWait) {
  REQUIRE_BPF();
  auto p = trace("epoll64");
  EXPECT_DOUBLE_EQ(metric(p, "events_per_wait"), 64.0);
  // 64 reads per wait: operations are the 6,400 reads (the writes are to the peers, also counted)
  EXPECT_EQ(syscall_calls(p, "epoll_wait", "epoll"), 100u);
  EXPECT_EQ(syscall_calls(p, "read", "unix"), 6400u);
}

TEST_F(RatiosTest, SelectOnAnFdAboveSetsizeIsFound) {
  REQUIRE_BPF();
  auto high = trace("select_high");
  EXPECT_TRUE(has_finding(high, "select-fd-over-setsize")) << high.at("findings").dump(1);
  EXPECT_DOUBLE_EQ(metric(high, "select_max_nfds"), 1501.0);
  auto low = trace("select_low");
  EXPECT_FALSE(has_finding(low, "select-fd-over-setsize")) << low.at("findings").dump(1);
}

TEST_F(RatiosTest, PollScanningThousandsOfIdleFdsIsFound) {
  REQUIRE_BPF();
  auto idle = trace("poll_idle");
  EXPECT_TRUE(has_finding(idle, "scan-waste")) << idle.at("findings").dump(1);
  EXPECT_DOUBLE_EQ(metric(idle, "poll_fds_per_call"), 2002.0);
  EXPECT_DOUBLE_EQ(metric(idle, "poll_ready_per_call"), 2.0);
  auto small = trace("poll_small");
  EXPECT_FALSE(has_finding(small, "scan-waste")) << small.at("findings").dump(1);
  EXPECT_DOUBLE_EQ(metric(small, "poll_fds_per_call"), 10.0);
}

TEST_F(RatiosTest, IoUringOneSqePerEnterIsFoundAndBatchingIsNot) {
  REQUIRE_BPF();
  auto one = trace("uring1");
  EXPECT_TRUE(has_finding(one, "uring-unbatched")) << one.at("findings").dump(1);
  EXPECT_DOUBLE_EQ(metric(one, "sqes_per_enter"), 1.0);
  auto batched = trace("uring32");
  EXPECT_FALSE(has_finding(batched, "uring-unbatched")) << batched.at("findings").dump(1);
  EXPECT_DOUBLE_EQ(metric(batched, "sqes_per_enter"), 32.0);
  EXPECT_DOUBLE_EQ(metric(batched, "uring_sqes"), 6400.0);
}
