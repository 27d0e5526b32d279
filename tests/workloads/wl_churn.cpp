// Thread churn: after "go", creates and joins THREADS short threads (default 2000), at most
// 16 alive at a time, each making exactly 10 getppid calls. The main thread makes none. With
// "wide" each thread also makes one call of each of eight other cheap syscalls, so it holds
// nine syscall rows of its own, as a thread-per-connection worker does (accept, read, write,
// close, ...): 12,000 such threads need more rows than the kernel's map holds at once.
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "workload_common.hpp"

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2000;
  const bool wide = argc > 2 && std::string(argv[2]) == "wide";
  wl::ready();
  wl::wait_go();
  for (int started = 0; started < threads;) {
    std::vector<std::thread> batch;
    for (int i = 0; i < 16 && started < threads; ++i, ++started)
      batch.emplace_back([wide] {
        for (int k = 0; k < 10; ++k) syscall(SYS_getppid);
        if (!wide) return;
        for (long nr : {SYS_getpid, SYS_gettid, SYS_getuid, SYS_getgid, SYS_geteuid, SYS_getegid,
                        SYS_getpgrp, SYS_getsid})
          syscall(nr, 0);
      });
    for (auto& t : batch) t.join();
  }
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
