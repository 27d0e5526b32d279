// Thread churn: after "go", creates and joins THREADS short threads (default 2000), at most
// 16 alive at a time, each making exactly 10 getppid calls. The main thread makes none.
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "workload_common.hpp"

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2000;
  wl::ready();
  wl::wait_go();
  for (int started = 0; started < threads;) {
    std::vector<std::thread> batch;
    for (int i = 0; i < 16 && started < threads; ++i, ++started)
      batch.emplace_back([] {
        for (int k = 0; k < 10; ++k) syscall(SYS_getppid);
      });
    for (auto& t : batch) t.join();
  }
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
