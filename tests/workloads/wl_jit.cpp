// An epoll loop whose handler runs in code generated at run time, as a JIT compiler's does:
// an anonymous executable mapping (written, then made read+exec) holds a stub that keeps a
// frame pointer and calls handle_sleep, a 30 ms nanosleep. 12 iterations after "go".
// With argv[1] == "perfmap" it also writes /tmp/perf-PID.map naming the stub "jit_stub", as
// node --perf-basic-prof does, and removes it when it exits.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "workload_common.hpp"

extern "C" __attribute__((noinline)) void handle_sleep() {
  timespec ts{0, 30 * 1000000L};
  nanosleep(&ts, nullptr);
}

namespace {

constexpr int k_iterations = 12;

// push rbp; mov rbp,rsp; movabs rax,target; call rax; pop rbp; ret
using Stub = void (*)();
Stub make_stub(void (*target)(), size_t* size) {
  unsigned char code[] = {0x55, 0x48, 0x89, 0xe5, 0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
                          0xff, 0xd0, 0x5d, 0xc3};
  auto addr = reinterpret_cast<uintptr_t>(target);
  std::memcpy(code + 6, &addr, sizeof(addr));
  void* mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) wl::die("mmap");
  std::memcpy(mem, code, sizeof(code));
  if (mprotect(mem, 4096, PROT_READ | PROT_EXEC)) wl::die("mprotect");
  *size = sizeof(code);
  return reinterpret_cast<Stub>(mem);
}

}  // namespace

int main(int argc, char** argv) {
  bool perfmap = argc > 1 && std::strcmp(argv[1], "perfmap") == 0;
  size_t size = 0;
  Stub stub = make_stub(handle_sleep, &size);
  std::string map_path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  if (perfmap) {
    FILE* f = std::fopen(map_path.c_str(), "w");
    if (!f) wl::die("perf map");
    std::fprintf(f, "%lx %zx jit_stub\n", reinterpret_cast<unsigned long>(stub), size);
    std::fclose(f);
  }
  int ev = eventfd(0, EFD_NONBLOCK);
  int ep = epoll_create1(0);
  epoll_event e{};
  e.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e);
  wl::ready();
  wl::wait_go();
  for (int i = 0; i < k_iterations; ++i) {
    uint64_t one = 1;
    if (write(ev, &one, sizeof(one)) != sizeof(one)) wl::die("eventfd");
    epoll_event got;
    if (epoll_wait(ep, &got, 1, 1000) == 1 && read(ev, &one, sizeof(one)) != sizeof(one))
      wl::die("eventfd read");
    stub();
  }
  wl::done();
  wl::wait_stdin_eof();
  if (perfmap) unlink(map_path.c_str());
  return 0;
}
