// The program wl_exec turns into: 7 getppid calls, "done", then waits for stdin to close.
#include <sys/syscall.h>
#include <unistd.h>

#include "workload_common.hpp"

int main() {
  for (int i = 0; i < 7; ++i) syscall(SYS_getppid);
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
