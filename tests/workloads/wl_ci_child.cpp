// iotrace run: the blocking loop of wl_ci_blocking runs in a child process; the parent only
// waits for it and exits with its status. With "exec", the child execs wl_ci_blocking instead
// of running the loop itself; with "orphan", the child loops forever and the parent exits at
// once, leaving it behind.
#include <sys/wait.h>

#include <string>

#include "ci_loop.hpp"

int main(int argc, char** argv) {
  bool exec_sibling = argc > 1 && !strcmp(argv[1], "exec");
  bool orphan = argc > 1 && !strcmp(argv[1], "orphan");
  pid_t child = fork();
  if (child < 0) wl::die("fork");
  if (child == 0) {
    if (exec_sibling) {
      std::string self = argv[0];
      std::string dir = self.substr(0, self.rfind('/') + 1);
      std::string sibling = dir + "wl_ci_blocking";
      execl(sibling.c_str(), sibling.c_str(), static_cast<char*>(nullptr));
      wl::die("exec");
    }
    ci::Options o;
    o.forever = orphan;
    return ci::run_loop(o);
  }
  if (orphan) return 0;
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
