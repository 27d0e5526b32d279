#include "src/output/timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "src/capture/capture_json.hpp"
#include "src/capture/syscall_table.hpp"

namespace iotrace {

using nlohmann::json;

uint64_t trace_events_of(const TimelineRecord& r) {
  if (r.kind != TimelineKind::tick) return 1;
  return r.waits ? 3 : 2;  // syscalls/s and run-queue delay; events per wait on loop threads
}

void TimelineLog::add(const TimelineRecord& r) {
  uint64_t n = trace_events_of(r);
  // Once full, full: the file holds the trace's first events, not a sample of all of them.
  if (over_limit_ || events_ + n > limit_) {
    over_limit_ += n;
    return;
  }
  events_ += n;
  records_.push_back(r);
}

void TimelineLog::add_loss(uint64_t at_ns, uint64_t count) {
  if (count) losses_.push_back({at_ns, count});
}

uint64_t TimelineLog::lost() const {
  uint64_t n = 0;
  for (const auto& l : losses_) n += l.count;
  return n;
}

std::vector<TimelineStackKey> stack_keys(const TimelineLog& log) {
  std::set<TimelineStackKey> keys;
  for (const auto& r : log.records())
    if (r.stack_id >= 0 && (r.kind == TimelineKind::flagged || r.kind == TimelineKind::iteration))
      keys.insert({r.tid, r.stack_id, r.nr});
  return {keys.begin(), keys.end()};
}

namespace {

double us(uint64_t ns) { return static_cast<double>(ns) / 1e3; }
double ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string frame_label(const Frame& f) {
  if (f.kind == FrameKind::interpreted)
    return f.line ? fmt::format("{} ({}:{})", f.symbol, f.file, f.line) : f.symbol;
  if (f.symbol.empty()) return fmt::format("{}+{:#x}", f.module, f.offset);
  return fmt::format("{} ({})", f.symbol, f.module);
}

// Innermost frame first, as a debugger prints a stack.
json stack_arg(const TimelineStacks& stacks, const TimelineRecord& r) {
  auto it = stacks.find({r.tid, r.stack_id, r.nr});
  if (r.stack_id < 0 || it == stacks.end()) return nullptr;
  json a = json::array();
  for (const auto& f : it->second.frames) a.push_back(frame_label(f));
  if (it->second.truncated) a.push_back("[truncated]");
  return a;
}

class Writer {
 public:
  Writer(std::ostream& out, const Capture& c) : out_(out) {
    for (const auto& p : c.processes) process_names_[p.pid] = p.comm;
    for (const auto& t : c.threads) thread_names_[t.tid] = t.comm;
    out_ << "{\"traceEvents\":[";
  }

  void event(const json& e) {
    out_ << (first_ ? "\n" : ",\n") << e.dump(-1, ' ', false, json::error_handler_t::replace);
    first_ = false;
  }

  void names(const std::vector<TimelineRecord>& records) {
    std::map<uint32_t, uint32_t> threads;  // tid -> pid
    for (const auto& r : records) threads.emplace(r.tid, r.pid);
    std::set<uint32_t> pids;
    for (const auto& [tid, pid] : threads) pids.insert(pid);
    for (uint32_t pid : pids) {
      auto it = process_names_.find(pid);
      std::string name = it == process_names_.end() || it->second.empty() ? "process" : it->second;
      event({{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"tid", pid}, {"args", {{"name", name}}}});
    }
    for (const auto& [tid, pid] : threads)
      event({{"ph", "M"}, {"name", "thread_name"}, {"pid", pid}, {"tid", tid},
             {"args", {{"name", thread_name(tid)}}}});
  }

  std::string thread_name(uint32_t tid) const {
    auto it = thread_names_.find(tid);
    return it == thread_names_.end() || it->second.empty() ? fmt::format("thread {}", tid) : it->second;
  }

  void end(const json& other) {
    out_ << "\n],\"displayTimeUnit\":\"ms\",\"otherData\":" << other.dump() << "}\n";
  }

 private:
  std::ostream& out_;
  bool first_ = true;
  std::map<uint32_t, std::string> process_names_, thread_names_;
};

json slice(const TimelineRecord& r, const std::string& name, const char* cat) {
  return {{"ph", "X"}, {"name", name}, {"cat", cat}, {"pid", r.pid}, {"tid", r.tid},
          {"ts", us(r.start_ns)}, {"dur", us(r.dur_ns)}};
}

json iteration(Arch arch, const TimelineRecord& r, const TimelineStacks& stacks) {
  std::string longest = r.nr >= 0 ? syscall_name(arch, r.nr) : "";
  std::string name = r.stall ? "loop stall" : "iteration";
  if (!longest.empty()) name += " (" + longest + ")";
  json e = slice(r, name, r.stall ? "loop stall" : "iteration");
  json args = {{"events from wait", r.ret}, {"cpu ms", ms(r.cpu_ns)}, {"syscalls ms", ms(r.sys_ns)},
               {"runq ms", ms(r.runq_ns)}, {"sleep ms", ms(r.sleep_ns)}};
  if (!longest.empty()) {
    args["longest call"] = longest;
    args["longest call ms"] = ms(r.max_sys_ns);
  }
  if (json st = stack_arg(stacks, r); !st.is_null()) args["stack"] = std::move(st);
  e["args"] = std::move(args);
  if (r.stall) e["cname"] = "terrible";  // chrome://tracing's red
  return e;
}

json wait(Arch arch, const TimelineRecord& r) {
  json e = slice(r, syscall_name(arch, r.nr), "wait");
  e["args"] = {{"events", r.ret}};
  return e;
}

json flagged(Arch arch, const TimelineRecord& r, const TimelineStacks& stacks) {
  json e = slice(r, syscall_name(arch, r.nr), "flagged call");
  json args = {{"kind", flag_kind_name(r.flag)}, {"fd", fd_kind_name(r.fd_kind)},
               {"sleep ms", ms(r.sleep_ns)}, {"runq ms", ms(r.runq_ns)}};
  if (json st = stack_arg(stacks, r); !st.is_null()) args["stack"] = std::move(st);
  e["args"] = std::move(args);
  if (r.flag == FlagKind::slow || r.flag == FlagKind::dns) e["cname"] = "bad";
  return e;
}

// Counters are per process in the format: the thread is in the name, so each thread has its
// own track. A value holds from its tick's start until the next one.
void counters(Writer& w, const TimelineRecord& r) {
  double secs = static_cast<double>(r.dur_ns ? r.dur_ns : 1) / 1e9;
  std::string who = fmt::format("{} {}", w.thread_name(r.tid), r.tid);
  auto counter = [&](const std::string& metric, double v) {
    w.event({{"ph", "C"}, {"name", fmt::format("{} [{}]", metric, who)}, {"pid", r.pid},
             {"tid", r.tid}, {"ts", us(r.start_ns)}, {"args", {{"value", v}}}});
  };
  counter("syscalls/s", static_cast<double>(r.calls) / secs);
  if (r.waits) counter("events per wait", static_cast<double>(r.events) / static_cast<double>(r.waits));
  counter("run-queue delay ms/s", ms(r.runq_ns) / secs);
}

}  // namespace

void write_timeline(std::ostream& out, const TimelineLog& log, const Capture& c,
                    const TimelineStacks& stacks) {
  Writer w(out, c);
  const auto& recs = log.records();
  w.names(recs);
  // Time order, the longer first at equal starts, so that nesting slices open outer first.
  std::vector<size_t> order(recs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(recs[a].start_ns, recs[b].dur_ns) < std::tie(recs[b].start_ns, recs[a].dur_ns);
  });
  for (size_t i : order) {
    const auto& r = recs[i];
    switch (r.kind) {
      case TimelineKind::iteration: w.event(iteration(c.arch, r, stacks)); break;
      case TimelineKind::wait: w.event(wait(c.arch, r)); break;
      case TimelineKind::flagged: w.event(flagged(c.arch, r, stacks)); break;
      case TimelineKind::tick: counters(w, r); break;
    }
  }
  // Shown where they were noticed: the records missing are from the poll interval before.
  for (const auto& l : log.losses())
    w.event({{"ph", "i"}, {"s", "g"}, {"name", fmt::format("{} timeline events lost", l.count)},
             {"cat", "loss"}, {"pid", 0}, {"tid", 0}, {"ts", us(l.at_ns)},
             {"args", {{"lost", l.count}, {"why", "the kernel's timeline ring buffer was full"}}}});
  json other = {{"iotrace", c.iotrace_version},
                {"stall threshold ms", ms(c.settings.stall_ns)},
                {"timeline limit", log.limit()},
                {"events written", log.events()},
                {"events over limit", log.over_limit()},
                {"events lost", log.lost()}};
  std::vector<std::string> notes;
  if (log.over_limit())
    notes.push_back(fmt::format("--timeline-limit {} reached: {} later events were counted, not written",
                                log.limit(), log.over_limit()));
  if (log.lost())
    notes.push_back(fmt::format("{} records were lost: the kernel's timeline ring buffer was full",
                                log.lost()));
  other["notes"] = notes;
  w.end(other);
}

}  // namespace iotrace
