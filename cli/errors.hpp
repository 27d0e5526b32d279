// Exit codes and the one shape of every message on stderr.
#pragma once
#include <stdexcept>
#include <string>

namespace iotrace::cli {

enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_policy = 1,       // the trace ran and a policy rule failed
  k_exit_usage = 2,        // bad command line or input file
  k_exit_target = 3,       // the target cannot be traced (no such pid, a thread, a kernel thread)
  k_exit_environment = 4,  // privileges or kernel features missing
  k_exit_cmd_failed = 5,   // iotrace run: the command could not be started
  k_exit_internal = 70,    // a bug in iotrace (EX_SOFTWARE)
  k_exit_interrupted = 130 // a second Ctrl-C: exited at once
};

class UsageError : public std::runtime_error {
 public:
  UsageError(std::string what, std::string hint = {})
      : std::runtime_error(std::move(what)), hint(std::move(hint)) {}
  std::string hint;
};

void print_error(const std::string& what, const std::string& hint = {});
void print_warning(const std::string& what, const std::string& hint = {});
void print_info(const std::string& what);

}  // namespace iotrace::cli
