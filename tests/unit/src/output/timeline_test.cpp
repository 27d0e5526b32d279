#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "src/output/timeline.hpp"
#include "tests/unit/capture_builder.hpp"

namespace iotrace {
namespace {

using nlohmann::json;
using test::k_ms;
using test::nr_of;

constexpr uint32_t k_pid = 100, k_loop = 101, k_worker = 102;

Capture names() {
  test::CaptureBuilder b;
  b.process(k_pid, "server");
  b.thread(k_pid, k_loop, "loop-main");
  b.thread(k_pid, k_worker, "pool-0");
  return b.capture();
}

// A record of the loop thread over [start_ms, start_ms + dur_ms).
TimelineRecord on_loop(TimelineKind kind, uint64_t start_ms, uint64_t dur_ms, const char* call) {
  TimelineRecord r;
  r.kind = kind;
  r.pid = k_pid;
  r.tid = k_loop;
  r.nr = nr_of(call);
  r.start_ns = start_ms * k_ms;
  r.dur_ns = dur_ms * k_ms;
  return r;
}

TimelineRecord wait(uint64_t start_ms, uint64_t dur_ms, int64_t events) {
  TimelineRecord r = on_loop(TimelineKind::wait, start_ms, dur_ms, "epoll_wait");
  r.ret = events;
  return r;
}

TimelineRecord iteration(uint64_t start_ms, uint64_t dur_ms, bool stall, int32_t stack_id = -1) {
  TimelineRecord r = on_loop(TimelineKind::iteration, start_ms, dur_ms, "clock_nanosleep");
  r.stack_id = stack_id;
  r.max_sys_ns = (dur_ms ? dur_ms - 1 : 0) * k_ms;
  r.sleep_ns = r.max_sys_ns;
  r.cpu_ns = k_ms;
  r.ret = 1;
  r.stall = stall;
  return r;
}

TimelineRecord flagged(uint64_t start_ms, uint64_t dur_ms, int32_t stack_id) {
  TimelineRecord r = on_loop(TimelineKind::flagged, start_ms, dur_ms, "clock_nanosleep");
  r.stack_id = stack_id;
  return r;
}

TimelineRecord tick(uint32_t tid, uint64_t start_ms, uint64_t calls, uint64_t waits, uint64_t events) {
  TimelineRecord r;
  r.kind = TimelineKind::tick;
  r.pid = k_pid;
  r.tid = tid;
  r.start_ns = start_ms * k_ms;
  r.dur_ns = 100 * k_ms;
  r.calls = calls;
  r.waits = waits;
  r.events = events;
  r.runq_ns = 5 * k_ms;
  return r;
}

json render(const TimelineLog& log, const TimelineStacks& stacks = {}) {
  std::ostringstream out;
  write_timeline(out, log, names(), stacks);
  return json::parse(out.str());  // throws on anything but valid JSON
}

std::vector<json> of_phase(const json& t, const std::string& ph) {
  std::vector<json> out;
  for (const auto& e : t.at("traceEvents"))
    if (e.at("ph") == ph) out.push_back(e);
  return out;
}

std::vector<json> of_cat(const json& t, const std::string& cat) {
  std::vector<json> out;
  for (const auto& e : t.at("traceEvents"))
    if (e.value("cat", "") == cat) out.push_back(e);
  return out;
}

TEST(Timeline, IsTraceEventJsonWithOneNamedTrackPerThreadGroupedByProcess) {
  TimelineLog log(100);
  log.add(wait(0, 10, 1));
  log.add(tick(k_worker, 0, 50, 0, 0));
  json t = render(log);
  EXPECT_EQ(t.at("displayTimeUnit"), "ms");
  auto meta = of_phase(t, "M");
  ASSERT_EQ(meta.size(), 3u);
  EXPECT_EQ(meta[0].at("name"), "process_name");
  EXPECT_EQ(meta[0].at("pid"), k_pid);
  EXPECT_EQ(meta[0].at("args").at("name"), "server");
  std::map<uint32_t, std::string> threads;
  for (const auto& m : meta)
    if (m.at("name") == "thread_name") {
      EXPECT_EQ(m.at("pid"), k_pid);
      threads[m.at("tid")] = m.at("args").at("name");
    }
  EXPECT_EQ(threads, (std::map<uint32_t, std::string>{{k_loop, "loop-main"}, {k_worker, "pool-0"}}));
}

TEST(Timeline, WaitsAndIterationsAreSlicesInMicroseconds) {
  TimelineLog log(100);
  log.add(iteration(10, 2, false));
  log.add(wait(0, 10, 3));
  json t = render(log);
  auto x = of_phase(t, "X");
  ASSERT_EQ(x.size(), 2u);
  // time order, whatever order the records came in
  EXPECT_EQ(x[0].at("cat"), "wait");
  EXPECT_EQ(x[0].at("name"), "epoll_wait");
  EXPECT_EQ(x[0].at("ts").get<double>(), 0.0);
  EXPECT_EQ(x[0].at("dur").get<double>(), 10000.0);
  EXPECT_EQ(x[0].at("args").at("events"), 3);
  EXPECT_EQ(x[1].at("cat"), "iteration");
  EXPECT_EQ(x[1].at("name"), "iteration (clock_nanosleep)");
  EXPECT_EQ(x[1].at("ts").get<double>(), 10000.0);
  EXPECT_EQ(x[1].at("dur").get<double>(), 2000.0);
  EXPECT_EQ(x[1].at("args").at("longest call"), "clock_nanosleep");
  EXPECT_EQ(x[1].at("args").at("events from wait"), 1);
  EXPECT_FALSE(x[1].contains("cname"));
}

TEST(Timeline, StallsAreHighlightedWithTheirSplit) {
  TimelineLog log(100);
  log.add(iteration(10, 31, true));
  log.add(iteration(50, 2, false));
  json t = render(log);
  auto stalls = of_cat(t, "loop stall");
  ASSERT_EQ(stalls.size(), 1u);
  const auto& s = stalls[0];
  EXPECT_EQ(s.at("name"), "loop stall (clock_nanosleep)");
  EXPECT_EQ(s.at("cname"), "terrible");
  EXPECT_DOUBLE_EQ(s.at("args").at("sleep ms").get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(s.at("args").at("cpu ms").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s.at("args").at("longest call ms").get<double>(), 30.0);
  EXPECT_TRUE(s.at("args").contains("runq ms"));
  EXPECT_EQ(of_cat(t, "iteration").size(), 1u);
}

TEST(Timeline, FlaggedCallsNestInsideTheirIterationWithTheirStack) {
  Stack st;
  Frame inner, outer;
  inner.symbol = "handle_sleep";
  inner.module = "server";
  outer.module = "libc.so.6";
  outer.offset = 0x29d90;
  st.frames = {inner, outer};
  TimelineStacks stacks{{{k_loop, 7, nr_of("clock_nanosleep")}, st}};
  TimelineLog log(100);
  log.add(flagged(11, 30, 7));
  log.add(iteration(10, 31, true, 7));  // reported later: it ends at the next wait
  json t = render(log, stacks);
  auto x = of_phase(t, "X");
  ASSERT_EQ(x.size(), 2u);
  // the enclosing slice first, and the call inside its bounds
  EXPECT_EQ(x[0].at("cat"), "loop stall");
  EXPECT_EQ(x[1].at("cat"), "flagged call");
  EXPECT_GE(x[1].at("ts").get<double>(), x[0].at("ts").get<double>());
  EXPECT_LE(x[1].at("ts").get<double>() + x[1].at("dur").get<double>(),
            x[0].at("ts").get<double>() + x[0].at("dur").get<double>());
  EXPECT_EQ(x[1].at("name"), "clock_nanosleep");
  EXPECT_EQ(x[1].at("args").at("kind"), "slow");
  EXPECT_EQ(x[1].at("args").at("stack"), (json{"handle_sleep (server)", "libc.so.6+0x29d90"}));
  EXPECT_EQ(x[0].at("args").at("stack"), x[1].at("args").at("stack"));
  // a stack id with no symbolized stack gives no stack argument
  TimelineLog other(100);
  other.add(flagged(11, 30, 8));
  EXPECT_FALSE(of_phase(render(other, stacks), "X")[0].at("args").contains("stack"));
}

TEST(Timeline, TicksBecomeCountersPerThread) {
  TimelineLog log(100);
  log.add(tick(k_loop, 100, 400, 20, 30));
  log.add(tick(k_worker, 100, 7, 0, 0));
  json t = render(log);
  std::map<std::string, double> c;
  for (const auto& e : of_phase(t, "C")) {
    EXPECT_EQ(e.at("ts").get<double>(), 100000.0);
    c[e.at("name")] = e.at("args").at("value");
  }
  EXPECT_DOUBLE_EQ(c.at("syscalls/s [loop-main 101]"), 4000.0);
  EXPECT_DOUBLE_EQ(c.at("events per wait [loop-main 101]"), 1.5);
  EXPECT_DOUBLE_EQ(c.at("run-queue delay ms/s [loop-main 101]"), 50.0);
  EXPECT_DOUBLE_EQ(c.at("syscalls/s [pool-0 102]"), 70.0);
  EXPECT_FALSE(c.count("events per wait [pool-0 102]"));  // it never waited
  EXPECT_EQ(c.size(), 5u);
}

TEST(Timeline, LossesAreInstantsWhereNoticedAndInTheMetadata) {
  TimelineLog log(100);
  log.add(wait(0, 10, 1));
  log.add_loss(250 * k_ms, 12);
  log.add_loss(300 * k_ms, 0);  // nothing new: no marker
  log.add_loss(350 * k_ms, 3);
  json t = render(log);
  auto marks = of_phase(t, "i");
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks[0].at("name"), "12 timeline events lost");
  EXPECT_EQ(marks[0].at("ts").get<double>(), 250000.0);
  EXPECT_EQ(marks[0].at("s"), "g");
  EXPECT_EQ(marks[1].at("args").at("lost"), 3);
  EXPECT_EQ(log.lost(), 15u);
  EXPECT_EQ(t.at("otherData").at("events lost"), 15);
  EXPECT_EQ(t.at("otherData").at("notes").size(), 1u);
}

TEST(Timeline, TheLimitKeepsTheFirstEventsAndCountsTheRest) {
  TimelineLog log(5);
  for (int i = 0; i < 4; ++i) log.add(wait(i * 10, 5, 1));
  log.add(tick(k_loop, 0, 10, 1, 1));  // 3 counters: does not fit in the one event left
  log.add(wait(50, 5, 1));             // would fit, but the file keeps a prefix of the trace
  EXPECT_EQ(log.events(), 4u);
  EXPECT_EQ(log.over_limit(), 4u);
  EXPECT_EQ(log.records().size(), 4u);
  json t = render(log);
  size_t written = 0;
  for (const auto& e : t.at("traceEvents")) written += e.at("ph") != "M";
  EXPECT_EQ(written, 4u);
  EXPECT_EQ(t.at("otherData").at("events over limit"), 4);
  EXPECT_NE(t.at("otherData").at("notes").at(0).get<std::string>().find("--timeline-limit 5"),
            std::string::npos);
}

TEST(Timeline, UnknownThreadsAreNamedByTheirId) {
  TimelineLog log(10);
  TimelineRecord r = wait(0, 1, 1);
  r.tid = 999;
  log.add(r);
  json t = render(log);
  bool found = false;
  for (const auto& m : of_phase(t, "M"))
    if (m.at("name") == "thread_name" && m.at("tid") == 999) found = m.at("args").at("name") == "thread 999";
  EXPECT_TRUE(found) << t.dump(1);
}

TEST(Timeline, StackKeysAreTheDistinctStacksTheRecordsName) {
  TimelineLog log(100);
  log.add(flagged(0, 1, 4));
  log.add(flagged(5, 1, 4));
  log.add(iteration(0, 10, true, 4));
  log.add(iteration(20, 10, true, -1));
  auto keys = stack_keys(log);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].stack_id, 4);
  EXPECT_EQ(keys[0].tid, k_loop);
}

}  // namespace
}  // namespace iotrace
