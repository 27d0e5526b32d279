// Loads bench/floor.bpf.c for one pid and holds it attached until SIGINT or SIGTERM.
//
//   floor PID
//
// stderr: "floor: attached to PID" once both programs are attached.
// stdout at exit: "floor enters=N exits=M" (the target's calls the programs saw).
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

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
  if (argc != 2 || std::atoi(argv[1]) <= 0) {
    std::fprintf(stderr, "usage: floor PID\n");
    return 64;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::unique_ptr<floor_bpf, SkelDeleter> skel(floor_bpf::open());
  if (!skel) return fail("open", -errno);
  skel->rodata->cfg_tgid = static_cast<__u32>(std::atoi(argv[1]));
  if (int err = floor_bpf::load(skel.get())) return fail("load", err);
  if (int err = floor_bpf::attach(skel.get())) return fail("attach", err);
  std::fprintf(stderr, "floor: attached to %s\n", argv[1]);
  while (!g_stop) pause();
  std::printf("floor enters=%llu exits=%llu\n", static_cast<unsigned long long>(skel->bss->bfl_enters),
              static_cast<unsigned long long>(skel->bss->bfl_exits));
  return 0;
}
