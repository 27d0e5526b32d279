// Threads that end before the trace does, with known CPU time.
//   worker  after "go": a thread "spin-50ms" spins 50 ms on CPU and exits; the main thread
//           then sleeps 500 ms and prints "done".
//   zombie  after "go": the main thread calls pthread_exit() (the leader becomes a zombie)
//           while a thread "survivor" keeps making calls for 400 ms, prints "done", and ends the
//           process when stdin closes.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include "workload_common.hpp"

namespace {

void spin_50ms() {
  wl::name_thread("spin-50ms");
  syscall(SYS_getppid);
  // 50 ms of this thread's own CPU time, not of the wall clock: on a busy machine a
  // wall-clock spin gets only a share of a CPU, and the test checks the CPU time it owns
  auto cpu_ns = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
  };
  const uint64_t end = cpu_ns() + 50'000'000ull;
  while (cpu_ns() < end) {
  }
  syscall(SYS_getppid);
}

void* survivor(void*) {
  wl::name_thread("survivor");
  uint64_t end = wl::now_ns() + 400'000'000ull;
  while (wl::now_ns() < end) {
    timespec ts{0, 10'000'000};
    nanosleep(&ts, nullptr);
  }
  wl::done();
  wl::wait_stdin_eof();
  std::exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  bool zombie = argc > 1 && std::strcmp(argv[1], "zombie") == 0;
  wl::ready();
  wl::wait_go();
  if (zombie) {
    pthread_t t;
    if (pthread_create(&t, nullptr, survivor, nullptr) != 0) wl::die("pthread_create");
    pthread_exit(nullptr);
  }
  std::thread(spin_50ms).join();
  timespec ts{0, 500'000'000};
  nanosleep(&ts, nullptr);
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
