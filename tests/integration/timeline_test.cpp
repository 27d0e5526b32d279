// --timeline on a workload whose loop the test knows: wl_loop_block sleep serves 12 requests,
// one at a time, each with a 30 ms nanosleep in handle_sleep() on its loop thread "loop-main".
// Assertions rest on those counts and sleeps, never on how busy the machine is.
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "harness.hpp"

using namespace itest;
using nlohmann::json;

namespace {

class TimelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/iotrace-timeline.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    if (bpf_available()) { EXPECT_TRUE(leftover_programs().empty()); }
    std::system(("rm -rf " + dir_).c_str());
  }
  std::string dir_;
};

json load(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return json::parse(in);  // throws on anything but JSON
}

// The Trace Event format's own rules: every event has a phase, pid and tid numbers, and the
// timed ones a ts; slices a dur, in microseconds.
void expect_trace_event_json(const json& t) {
  ASSERT_TRUE(t.is_object());
  ASSERT_TRUE(t.at("traceEvents").is_array());
  EXPECT_EQ(t.at("displayTimeUnit"), "ms");
  for (const auto& e : t.at("traceEvents")) {
    ASSERT_TRUE(e.at("ph").is_string()) << e;
    EXPECT_TRUE(e.at("pid").is_number_integer()) << e;
    EXPECT_TRUE(e.at("tid").is_number_integer()) << e;
    std::string ph = e.at("ph");
    EXPECT_TRUE(ph == "M" || ph == "X" || ph == "C" || ph == "i") << e;
    if (ph == "M") {
      EXPECT_TRUE(e.at("args").at("name").is_string()) << e;
      continue;
    }
    EXPECT_TRUE(e.at("ts").is_number()) << e;
    EXPECT_GE(e.at("ts").get<double>(), 0.0) << e;
    if (ph == "X") { EXPECT_GE(e.at("dur").get<double>(), 0.0) << e; }
  }
}

int thread_named(const json& t, const std::string& name) {
  for (const auto& e : t.at("traceEvents"))
    if (e.at("ph") == "M" && e.at("name") == "thread_name" && e.at("args").at("name") == name)
      return e.at("tid");
  return -1;
}

std::vector<json> slices(const json& t, const std::string& cat) {
  std::vector<json> out;
  for (const auto& e : t.at("traceEvents"))
    if (e.at("ph") == "X" && e.at("cat") == cat) out.push_back(e);
  return out;
}

bool is_sleep(const json& name) { return name == "clock_nanosleep" || name == "nanosleep"; }

bool stack_names(const json& slice, const std::string& fn) {
  if (!slice.at("args").contains("stack")) return false;
  for (const auto& f : slice.at("args").at("stack"))
    if (f.get<std::string>().find(fn) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_F(TimelineTest, ALoopsWaitsIterationsStallsAndBlockingCallsOfAKnownWorkload) {
  REQUIRE_BPF();
  const std::string path = dir_ + "/loop.json";
  TraceResult r = trace_workload({"wl_loop_block", {"sleep"}, {"--json", "--timeline", path}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json t = load(path);
  expect_trace_event_json(t);

  // The events are the trace's: the loop thread the report names, in the process traced.
  int pid = r.report.at("processes").at(0).at("pid");
  int loop = thread_named(t, "loop-main");
  ASSERT_NE(loop, -1) << "no track named loop-main";
  bool in_report = false;
  for (const auto& th : r.report.at("processes").at(0).at("threads"))
    in_report = in_report || (th.at("comm") == "loop-main" && th.at("tid") == loop);
  EXPECT_TRUE(in_report) << "loop-main's tid differs from the report's";
  double trace_us = r.report.at("duration_ns").get<double>() / 1e3;

  int waits = 0, iterations = 0;
  for (const auto& w : slices(t, "wait")) {
    EXPECT_EQ(w.at("pid"), pid);
    EXPECT_LE(w.at("ts").get<double>(), trace_us);
    if (w.at("tid") == loop) {
      ++waits;
      EXPECT_EQ(w.at("name"), "epoll_wait") << w;
      EXPECT_TRUE(w.at("args").at("events").is_number_integer()) << w;
    }
  }
  EXPECT_GE(waits, 12);  // one per request, at least

  // Stalls: exactly the iterations that slept, every one of them on the loop thread.
  int sleep_stalls = 0;
  for (const auto& s : slices(t, "loop stall")) {
    EXPECT_EQ(s.at("tid"), loop) << "a stall off the loop thread: " << s;
    EXPECT_EQ(s.at("cname"), "terrible");
    EXPECT_GE(s.at("dur").get<double>(), 20000.0) << s;  // the default stall threshold
    if (is_sleep(s.at("args").at("longest call"))) {
      ++sleep_stalls;
      EXPECT_GE(s.at("dur").get<double>(), 30000.0) << s;  // the workload's nanosleep
      EXPECT_GE(s.at("args").at("longest call ms").get<double>(), 30.0) << s;
      EXPECT_TRUE(stack_names(s, "handle_sleep")) << s;
    }
    ++iterations;
  }
  for (const auto& it : slices(t, "iteration")) {
    if (it.at("tid") != loop) continue;
    ++iterations;
    // an iteration that slept 30 ms is a stall whatever else happened
    if (it.at("args").contains("longest call")) { EXPECT_FALSE(is_sleep(it.at("args").at("longest call"))) << it; }
  }
  EXPECT_EQ(sleep_stalls, 12) << "one stall per request";
  EXPECT_GE(iterations, 12);

  // The flagged sleeps, with the handler in their stack.
  int flagged_sleeps = 0;
  for (const auto& f : slices(t, "flagged call")) {
    EXPECT_EQ(f.at("tid"), loop) << f;
    if (!is_sleep(f.at("name"))) continue;
    ++flagged_sleeps;
    EXPECT_GE(f.at("dur").get<double>(), 30000.0) << f;
    EXPECT_TRUE(stack_names(f, "handle_sleep")) << f.dump(1);
  }
  EXPECT_EQ(flagged_sleeps, 12);

  // Counters of the loop thread: it made calls and waited.
  std::map<std::string, int> counters;
  for (const auto& e : t.at("traceEvents"))
    if (e.at("ph") == "C" && e.at("tid") == loop) ++counters[e.at("name").get<std::string>().substr(0, 12)];
  EXPECT_GT(counters["syscalls/s ["], 0) << t.dump(1);
  EXPECT_GT(counters["events per w"], 0);
  EXPECT_GT(counters["run-queue de"], 0);
  EXPECT_EQ(t.at("otherData").at("events over limit"), 0);
  EXPECT_EQ(r.report.at("losses").at("timeline"), t.at("otherData").at("events lost"));
}

TEST_F(TimelineTest, TheLimitBoundsTheEventsWrittenAndCountsTheRest) {
  REQUIRE_BPF();
  const std::string path = dir_ + "/limited.json";
  TraceResult r = trace_workload({"wl_loop_block", {"sleep"},
                                  {"--json", "--timeline", path, "--timeline-limit", "5"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json t = load(path);
  expect_trace_event_json(t);
  int written = 0;
  for (const auto& e : t.at("traceEvents")) written += e.at("ph") == "X" || e.at("ph") == "C";
  EXPECT_LE(written, 5);
  EXPECT_GT(written, 0);
  EXPECT_EQ(t.at("otherData").at("events written"), written);
  // the 12 requests alone make far more than 5 events: the rest are counted
  EXPECT_GE(t.at("otherData").at("events over limit").get<int>(), 12 * 3);
  EXPECT_NE(r.err.find("counted, not written"), std::string::npos) << r.err;
}

TEST_F(TimelineTest, RunWritesTheTimelineOfTheCommand) {
  REQUIRE_BPF();
  const std::string path = dir_ + "/run.json";
  // the workload starts on a line on stdin and exits at its end
  std::string cmd = "printf '\\n' | " + iotrace_bin() + " run --json --timeline " + path + " -- " +
                    workload_bin("wl_loop_block") + " sleep > " + dir_ + "/out.json 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  json t = load(path);
  expect_trace_event_json(t);
  int loop = thread_named(t, "loop-main");
  ASSERT_NE(loop, -1);
  int sleep_stalls = 0;
  for (const auto& s : slices(t, "loop stall"))
    sleep_stalls += s.at("tid") == loop && is_sleep(s.at("args").at("longest call"));
  EXPECT_EQ(sleep_stalls, 12);
}
