// Loads bench/floor.bpf.c for one pid and holds it attached until SIGINT or SIGTERM.
//
//   floor [--hook raw|fentry|fentry:FUNCTION|tracepoint] PID
//
// --hook raw (default): tp_btf sys_enter and sys_exit, as iotrace attach hooks every syscall.
//        fentry: trampolines on __x64_sys_getppid (fentry:FUNCTION: on that function instead,
//        e.g. fentry:__x64_sys_epoll_wait, as the loop watch hooks a wait).
//        tracepoint: syscalls:sys_enter_epoll_wait and sys_exit_epoll_wait, as the loop watch
//        hooks a wait where trampolines are refused.
//
// stderr: "floor: attached to PID" once both programs are attached.
// stdout at exit: "floor enters=N exits=M" (the target's calls the programs saw).
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "bpf/floor.skel.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct SkelDeleter {
  void operator()(floor_bpf* s) const { floor_bpf::destroy(s); }
};

int fail(const char* step, int err) {
  std::fprintf(stderr, "floor: error: %s failed: %s\n", step, std::strerror(-err));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string hook = "raw";
  if (argc == 4 && std::strcmp(argv[1], "--hook") == 0) {
    hook = argv[2];
    argv += 2;
    argc -= 2;
  }
  const bool fentry = hook.rfind("fentry", 0) == 0;
  if (argc != 2 || std::atoi(argv[1]) <= 0 || !(hook == "raw" || hook == "tracepoint" || hook == "fentry" ||
                                                hook.rfind("fentry:", 0) == 0)) {
    std::fprintf(stderr, "usage: floor [--hook raw|fentry|fentry:FUNCTION|tracepoint] PID\n");
    return 64;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::unique_ptr<floor_bpf, SkelDeleter> skel(floor_bpf::open());
  if (!skel) return fail("open", -errno);
  skel->rodata->cfg_tgid = static_cast<__u32>(std::atoi(argv[1]));
  bpf_program__set_autoload(skel->progs.bfl_enter, hook == "raw");
  bpf_program__set_autoload(skel->progs.bfl_exit, hook == "raw");
  bpf_program__set_autoload(skel->progs.bfl_fentry, fentry);
  bpf_program__set_autoload(skel->progs.bfl_fexit, fentry);
  bpf_program__set_autoload(skel->progs.bfl_tp_enter, hook == "tracepoint");
  bpf_program__set_autoload(skel->progs.bfl_tp_exit, hook == "tracepoint");
  std::string target;
  if (fentry) {
    // getppid takes no arguments: some kernels' BTF has only __do_sys_getppid, the function
    // __x64_sys_getppid is an alias of
    std::string fn = hook.size() > 7 ? hook.substr(7) : "__x64_sys_getppid";
    if (hook == "fentry") {
      btf* vmlinux = btf__load_vmlinux_btf();
      if (vmlinux && btf__find_by_name_kind(vmlinux, fn.c_str(), BTF_KIND_FUNC) < 0) fn = "__do_sys_getppid";
      btf__free(vmlinux);
    }
    target = fn;
    bpf_program__set_attach_target(skel->progs.bfl_fentry, 0, fn.c_str());
    bpf_program__set_attach_target(skel->progs.bfl_fexit, 0, fn.c_str());
  }
  if (int err = floor_bpf::load(skel.get())) return fail("load", err);
  if (int err = floor_bpf::attach(skel.get())) return fail("attach", err);
  std::fprintf(stderr, "floor: attached to %s (%s%s%s)\n", argv[1], hook.c_str(),
               fentry ? " on " : "", target.c_str());
  while (!g_stop) pause();
  std::printf("floor enters=%llu exits=%llu\n", static_cast<unsigned long long>(skel->bss->bfl_enters),
              static_cast<unsigned long long>(skel->bss->bfl_exits));
  return 0;
}
