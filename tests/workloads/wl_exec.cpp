// Makes 5 getppid calls after "go", then execs wl_exec_target (a different program, found
// next to this one), which makes 7 more, prints "done" and waits for stdin to close. The pid
// stays the same; the command name changes from wl_exec to wl_exec_target.
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "workload_common.hpp"

int main(int, char** argv) {
  std::string self = argv[0];
  std::string target = self.substr(0, self.rfind('/') + 1) + "wl_exec_target";
  wl::ready();
  wl::wait_go();
  for (int i = 0; i < 5; ++i) syscall(SYS_getppid);
  char* args[] = {target.data(), nullptr};
  execv(args[0], args);
  wl::die("execv");
}
