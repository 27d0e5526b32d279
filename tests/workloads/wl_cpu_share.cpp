// Two threads ("share-a", "share-b") pinned to one CPU spin for 600 ms after "go", each making a
// getppid call every ~50 us so the tracer knows them. Sharing one CPU, each spends about half
// the time runnable but not running (run queue) and almost none asleep.
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "workload_common.hpp"

namespace {

void spin(const char* name, int cpu, uint64_t until_ns) {
  wl::name_thread(name);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  while (wl::now_ns() < until_ns) {
    uint64_t next = wl::now_ns() + 50000;
    while (wl::now_ns() < next) {
    }
    syscall(SYS_getppid);
  }
}

}  // namespace

int main() {
  int cpu = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)) - 1;
  wl::ready();
  wl::wait_go();
  uint64_t until = wl::now_ns() + 600'000'000ull;
  std::thread a(spin, "share-a", cpu, until), b(spin, "share-b", cpu, until);
  a.join();
  b.join();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
