// Captures built field by field from the fuzzer's bytes, so the analysis (build_report:
// classification, metrics, findings, recommendation) and both renderers see many more
// well-formed captures than mutating JSON text reaches. Each capture is saved and loaded back
// through capture JSON first, as a capture file would be.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>

#include "cli/render/render.hpp"
#include "src/capture/capture_json.hpp"
#include "src/output/report.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using iotrace::fuzz::no_control;
using iotrace::fuzz::valid_utf8;

namespace {

// Magnitudes that matter to the analysis: zero, small counts, typical durations, near-overflow.
uint64_t amount(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: return 0;
    case 1: return in.ConsumeIntegralInRange<uint64_t>(1, 16);
    case 2: return in.ConsumeIntegralInRange<uint64_t>(0, 100000);
    case 3: return in.ConsumeIntegralInRange<uint64_t>(0, 10000000000ull);
    case 4: return UINT64_MAX - in.ConsumeIntegralInRange<uint64_t>(0, 2);
    default: return in.ConsumeIntegral<uint64_t>();
  }
}

uint32_t id(FuzzedDataProvider& in) { return in.ConsumeIntegralInRange<uint32_t>(0, 4); }

int syscall(FuzzedDataProvider& in) {
  // read, write, poll, nanosleep, select, futex, epoll_wait, openat, epoll_pwait, io_uring_enter
  static constexpr int k_nrs[] = {0, 1, 7, 23, 35, 44, 45, 74, 202, 232, 257, 281, 288, 426, 209};
  if (in.ConsumeBool()) return in.PickValueInArray(k_nrs);
  return in.ConsumeIntegralInRange<int>(-2, 600);
}

iotrace::FdKind kind(FuzzedDataProvider& in) {
  return static_cast<iotrace::FdKind>(in.ConsumeIntegralInRange<int>(0, iotrace::k_fd_kind_count - 1));
}

iotrace::Histogram hist(FuzzedDataProvider& in) {
  iotrace::Histogram h;
  for (int n = in.ConsumeIntegralInRange<int>(0, 4); n > 0; --n)
    h.slots[in.ConsumeIntegralInRange<int>(0, iotrace::k_hist_slots - 1)] = amount(in);
  return h;
}

iotrace::Stack stack(FuzzedDataProvider& in) {
  iotrace::Stack s;
  for (int n = in.ConsumeIntegralInRange<int>(0, 3); n > 0; --n)
    s.frames.push_back({amount(in), in.ConsumeRandomLengthString(24), amount(in),
                        in.ConsumeRandomLengthString(24), amount(in)});
  s.truncated = in.ConsumeBool();
  s.lost = in.ConsumeBool();
  return s;
}

iotrace::Capture make_capture(FuzzedDataProvider& in) {
  iotrace::Capture c;
  c.duration_ns = amount(in);
  c.settings.stall_ns = amount(in);
  c.settings.block_ns = amount(in);
  c.settings.follow_children = in.ConsumeBool();
  for (int n = in.ConsumeIntegralInRange<int>(1, 3); n > 0; --n) {
    iotrace::ProcessRecord p;
    p.pid = id(in);
    p.ppid = id(in);
    p.comm = in.ConsumeRandomLengthString(20);
    p.exe = in.ConsumeRandomLengthString(20);
    p.exited = in.ConsumeBool();
    p.followed = in.ConsumeBool();
    p.traced_ns = in.ConsumeBool() ? c.duration_ns : amount(in);
    p.stack_rlimit_bytes = amount(in);
    p.vm_rss_bytes = amount(in);
    p.threads_now = in.ConsumeIntegral<uint32_t>();
    p.open_fds = in.ConsumeIntegral<uint32_t>();
    p.sockets_open = in.ConsumeIntegral<uint32_t>();
    for (int e = in.ConsumeIntegralInRange<int>(0, 2); e > 0; --e) {
      iotrace::EpollInstance inst;
      inst.epfd = in.ConsumeIntegralInRange<int>(-1, 10);
      for (int k = in.ConsumeIntegralInRange<int>(0, 3); k > 0; --k)
        inst.entries.push_back({in.ConsumeIntegralInRange<int>(-1, 20),
                                in.ConsumeIntegral<uint32_t>(), amount(in), kind(in)});
      p.epoll.push_back(std::move(inst));
    }
    for (int k = in.ConsumeIntegralInRange<int>(0, 2); k > 0; --k)
      p.libraries.push_back(in.ConsumeBool() ? std::string("libuv.so.1")
                                             : in.ConsumeRandomLengthString(16));
    c.processes.push_back(std::move(p));
  }
  for (int n = in.ConsumeIntegralInRange<int>(0, 6); n > 0; --n) {
    iotrace::ThreadRecord t;
    t.tid = id(in);
    t.pid = id(in);
    t.comm = in.ConsumeRandomLengthString(16);
    t.exited = in.ConsumeBool();
    t.loop = in.ConsumeBool();
    t.io_worker = in.ConsumeBool();
    t.first_ns = amount(in);
    t.last_ns = amount(in);
    t.oncpu_ns = amount(in);
    t.sleep_ns = amount(in);
    t.runq_ns = amount(in);
    t.vol_switches = amount(in);
    t.invol_switches = amount(in);
    t.stalls = amount(in);
    t.select_max_nfds = amount(in);
    if (in.ConsumeBool()) {
      auto& e = t.epoll;
      e.ctl_add = amount(in), e.ctl_mod = amount(in), e.ctl_del = amount(in);
      e.edge = amount(in), e.level = amount(in), e.oneshot = amount(in), e.exclusive = amount(in);
      for (int k = in.ConsumeIntegralInRange<int>(0, 3); k > 0; --k)
        e.fd_kinds[in.ConsumeIntegralInRange<size_t>(0, e.fd_kinds.size() - 1)] = amount(in);
    }
    if (in.ConsumeBool()) {
      auto& u = t.uring;
      u.sqes = amount(in), u.cqes = amount(in), u.failed = amount(in), u.punts = amount(in);
      u.overflows = amount(in), u.links = amount(in), u.enter_getevents = amount(in);
      u.enter_sqwakeup = amount(in), u.rings = amount(in), u.rings_sqpoll = amount(in);
      for (int k = in.ConsumeIntegralInRange<int>(0, 3); k > 0; --k)
        u.ops[in.ConsumeIntegralInRange<size_t>(0, u.ops.size() - 1)] = amount(in);
    }
    c.threads.push_back(std::move(t));
  }
  for (int n = in.ConsumeIntegralInRange<int>(0, 12); n > 0; --n) {
    iotrace::SyscallRow r;
    r.tid = id(in);
    r.nr = syscall(in);
    r.fd_kind = kind(in);
    r.nonblock = in.ConsumeBool();
    r.calls = amount(in);
    // a loadable capture never has more errors than calls
    r.err_eagain = in.ConsumeIntegralInRange<uint64_t>(0, r.calls);
    r.err_eintr = in.ConsumeIntegralInRange<uint64_t>(0, r.calls - r.err_eagain);
    r.err_other = in.ConsumeIntegralInRange<uint64_t>(0, r.calls - r.err_eagain - r.err_eintr);
    r.total_ns = amount(in);
    r.max_ns = amount(in);
    r.bytes = amount(in);
    r.zero_ret = amount(in);
    r.ret_sum = amount(in);
    r.arg_sum = amount(in);
    r.arg_max = amount(in);
    r.hist = hist(in);
    c.syscalls.push_back(r);
  }
  for (int n = in.ConsumeIntegralInRange<int>(0, 3); n > 0; --n) {
    iotrace::FlaggedCall f;
    f.tid = id(in);
    f.nr = syscall(in);
    f.fd_kind = kind(in);
    f.kind = in.ConsumeBool() ? iotrace::FlagKind::risk : iotrace::FlagKind::slow;
    f.count = amount(in), f.total_ns = amount(in), f.max_ns = amount(in);
    f.sleep_ns = amount(in), f.runq_ns = amount(in);
    f.hist = hist(in);
    f.stack = stack(in);
    c.flagged.push_back(std::move(f));
  }
  for (int n = in.ConsumeIntegralInRange<int>(0, 3); n > 0; --n) {
    iotrace::Stall s;
    s.tid = id(in);
    s.start_ns = amount(in), s.dur_ns = amount(in), s.sys_ns = amount(in);
    s.sleep_ns = amount(in), s.runq_ns = amount(in), s.cpu_ns = amount(in);
    s.max_sys_ns = amount(in);
    s.max_nr = in.ConsumeBool() ? -1 : syscall(in);
    s.stack = stack(in);
    c.stalls.push_back(std::move(s));
  }
  c.losses = {amount(in), amount(in), amount(in), amount(in), amount(in)};
  if (in.ConsumeBool()) c.notes.push_back(in.ConsumeRandomLengthString(30));
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  iotrace::Capture made = make_capture(in);
  // as --save-capture writes it (cli/commands/trace_session.cpp)
  std::string saved = iotrace::capture_to_json(made).dump(1);
  auto loaded = iotrace::capture_from_text(saved);
  if (!loaded) {
    std::fprintf(stderr, "generated capture did not load: %s\n", loaded.error().c_str());
    FUZZ_CHECK(loaded.ok());
  }
  iotrace::Report rep = iotrace::build_report(loaded.value());
  FUZZ_CHECK(rep.processes.size() == made.processes.size());

  std::string js = iotrace::cli::render_json(rep);
  FUZZ_CHECK(valid_utf8(js));
  FUZZ_CHECK(!nlohmann::json::parse(js, nullptr, false).is_discarded());

  std::string out = iotrace::cli::render_text(rep);
  if (!no_control(out, "\n"))
    std::fprintf(stderr, "control byte in: %s\n", iotrace::fuzz::line_with_control(out, "\n").c_str());
  FUZZ_CHECK(no_control(out, "\n"));
  FUZZ_CHECK(valid_utf8(out));
  return 0;
}
