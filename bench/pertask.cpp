// Attaches bench/pertask.bpf.c to raw_syscalls:sys_enter through a perf event opened for one
// task only (pid = PID, cpu = -1), holds it until SIGINT or SIGTERM, then prints how many calls
// the program saw from the target and from every other process.
//
//   pertask PID
//
// stderr: "pertask: attached to PID"; stdout at exit: "pertask target=N others=M".
// Needs tracefs (the tracepoint's id is read from it).
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

#include "bpf/pertask.skel.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct SkelDeleter {
  void operator()(pertask_bpf* s) const { pertask_bpf::destroy(s); }
};

int fail(const char* step, int err) {
  std::fprintf(stderr, "pertask: error: %s failed: %s\n", step, std::strerror(err < 0 ? -err : err));
  return 2;
}

long tracepoint_id() {
  for (const char* dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    std::ifstream in(std::string(dir) + "/events/raw_syscalls/sys_enter/id");
    long id = -1;
    if (in >> id) return id;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::atoi(argv[1]) <= 0) {
    std::fprintf(stderr, "usage: pertask PID\n");
    return 64;
  }
  int pid = std::atoi(argv[1]);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  long id = tracepoint_id();
  if (id < 0) return fail("reading the raw_syscalls:sys_enter id (is tracefs mounted?)", ENOENT);
  std::unique_ptr<pertask_bpf, SkelDeleter> skel(pertask_bpf::open());
  if (!skel) return fail("open", -errno);
  skel->rodata->cfg_tgid = static_cast<__u32>(pid);
  if (int err = pertask_bpf::load(skel.get())) return fail("load", err);
  perf_event_attr attr{};
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.size = sizeof(attr);
  attr.config = static_cast<__u64>(id);
  attr.sample_period = 1;
  attr.wakeup_events = 1;
  // One task: the event is scheduled in only while that task runs (perf trace -p does this).
  int pfd = static_cast<int>(syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC));
  if (pfd < 0) return fail("perf_event_open", -errno);
  bpf_link* link = bpf_program__attach_perf_event(skel->progs.bpt_enter, pfd);
  if (!link) return fail("attaching to the perf event", -errno);
  std::fprintf(stderr, "pertask: attached to %d\n", pid);
  while (!g_stop) pause();
  bpf_link__destroy(link);
  close(pfd);
  std::printf("pertask target=%llu others=%llu\n",
              static_cast<unsigned long long>(skel->bss->bpt_target),
              static_cast<unsigned long long>(skel->bss->bpt_others));
  return 0;
}
