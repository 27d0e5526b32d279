// iotrace diff on real runs: wl_loop_block sleeping on its loop, then the same work handed to
// a pool. The blocking call is gone in one direction, new (and failing --fail-on) in the other,
// and a run compared with itself, as a capture or as its JSON report, has no changes.
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "harness.hpp"

using namespace itest;
namespace fs = std::filesystem;

namespace {

class DiffTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!bpf_available()) return;
    char dir[] = "/tmp/iotrace-diff-XXXXXX";
    if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp");
    tmp_ = dir;
    blocking_ = save_run({"sleep"}, "blocking");
    offloaded_ = save_run({"sleep", "offload"}, "offloaded");
  }
  static void TearDownTestSuite() {
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }
  void SetUp() override {
    REQUIRE_BPF();
    ASSERT_FALSE(blocking_.empty());
    ASSERT_FALSE(offloaded_.empty());
  }
  void TearDown() override {
    if (bpf_available()) { EXPECT_TRUE(leftover_programs().empty()); }
  }

  // Traces the workload with the capture saved; the JSON report goes beside it (NAME.report.json).
  static std::string save_run(const std::vector<std::string>& args, const std::string& name) {
    std::string cap = tmp_ + "/" + name + ".json";
    TraceResult r = trace_workload({"wl_loop_block", args, {"--json", "--save-capture", cap}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return {};
    std::ofstream(tmp_ + "/" + name + ".report.json") << r.out;
    return cap;
  }

  static std::string tmp_, blocking_, offloaded_;
};

std::string DiffTest::tmp_, DiffTest::blocking_, DiffTest::offloaded_;

// A finding whose call site passes through the function `through`.
bool has_finding(const nlohmann::json& list, const std::string& id, const std::string& thread,
                 const std::string& through) {
  for (const auto& f : list)
    if (f.at("id") == id && f.at("thread") == thread &&
        f.at("call_site").get<std::string>().find(through) != std::string::npos)
      return true;
  return false;
}

// The text line of a finding on the loop thread: "[high] blocking-call-on-loop clock_nanosleep
// on loop-main (sleep_ms(int))", the innermost frame of the workload's own code last.
const char* const k_sleep_line = "] blocking-call-on-loop clock_nanosleep on loop-main (";

}  // namespace

TEST_F(DiffTest, OffloadingRemovesTheBlockingCallOnTheLoop) {
  TraceResult r = run_iotrace({"diff", blocking_, offloaded_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(std::string("gone: [high") + k_sleep_line), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("new: "), std::string::npos) << r.out;

  TraceResult j = run_iotrace({"diff", "--json", blocking_, offloaded_});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto d = nlohmann::json::parse(j.out);
  EXPECT_TRUE(d.at("changed").get<bool>());
  EXPECT_EQ(d.at("processes").at("matched").size(), 1u) << j.out;
  EXPECT_TRUE(has_finding(d.at("gone_findings"), "blocking-call-on-loop", "loop-main", "handle_sleep"))
      << d.at("gone_findings").dump(1);
  EXPECT_FALSE(has_finding(d.at("new_findings"), "blocking-call-on-loop", "loop-main", "handle_sleep"));
}

TEST_F(DiffTest, FailOnJudgesWhatIsNewInAfter) {
  TraceResult r = run_iotrace(
      {"diff", offloaded_, blocking_, "--fail-on", "blocking-call-on-loop", "--junit", tmp_ + "/j.xml"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(std::string("new: [high") + k_sleep_line), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("policy failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("blocking-call-on-loop"), std::string::npos) << r.err;
  std::ifstream junit(tmp_ + "/j.xml");
  std::string xml((std::istreambuf_iterator<char>(junit)), std::istreambuf_iterator<char>());
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos) << xml;

  // The other way round the blocking call is gone, not new: the same rule passes.
  TraceResult back = run_iotrace({"diff", blocking_, offloaded_, "--fail-on", "blocking-call-on-loop"});
  EXPECT_EQ(back.exit_code, 0) << back.out << back.err;
}

TEST_F(DiffTest, ARunComparedWithItselfHasNoChanges) {
  TraceResult r = run_iotrace({"diff", blocking_, blocking_, "--fail-on", "low+"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no changes (1 process compared)"), std::string::npos) << r.out;
  // the capture against the JSON report of the same run
  TraceResult mixed = run_iotrace({"diff", blocking_, tmp_ + "/blocking.report.json"});
  EXPECT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_NE(mixed.out.find("no changes"), std::string::npos) << mixed.out;
}

TEST_F(DiffTest, UnreadableInputIsAUsageError) {
  TraceResult r = run_iotrace({"diff", blocking_, tmp_ + "/missing.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("iotrace: error: cannot read '" + tmp_ + "/missing.json'"), std::string::npos)
      << r.err;
  std::ofstream(tmp_ + "/not-json") << "hello";
  r = run_iotrace({"diff", tmp_ + "/not-json", blocking_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
}

// report reads captures; a JSON report is refused with where it goes (diff) and how to keep a
// capture, and the capture beside it renders the same report.
TEST_F(DiffTest, ReportRefusesAJsonReportAndRendersItsCapture) {
  const std::string json_report = blocking_.substr(0, blocking_.size() - 5) + ".report.json";
  TraceResult r = run_iotrace({"report", json_report});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is a JSON report, not a capture"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("iotrace diff"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--save-capture"), std::string::npos) << r.err;
  r = run_iotrace({"report", "--json", blocking_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto again = nlohmann::json::parse(r.out);
  std::ifstream in(json_report);
  auto first = nlohmann::json::parse(in);
  EXPECT_EQ(again["processes"][0]["model"], first["processes"][0]["model"]);
}

// report takes the policy options and judges a saved capture as attach judged the trace: the
// blocking loop fails --fail-on blocking-call-on-loop (JUnit says which rule), its offloaded
// twin passes.
TEST_F(DiffTest, ReportJudgesASavedCaptureWithThePolicyOptions) {
  const std::string junit = tmp_ + "/report-junit.xml";
  TraceResult r = run_iotrace({"report", "--fail-on", "blocking-call-on-loop", "--junit", junit, blocking_});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::ifstream in(junit);
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(xml.find("blocking-call-on-loop"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure"), std::string::npos) << xml;
  r = run_iotrace({"report", "--fail-on", "blocking-call-on-loop", offloaded_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_iotrace({"report", "--fail-on", "no-such-finding", blocking_});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}
