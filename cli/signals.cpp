#include "cli/signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "cli/errors.hpp"

namespace iotrace::cli {
namespace {
std::atomic<int> g_stops{0};

void on_signal(int sig) {
  if (g_stops.fetch_add(1) >= 1 && sig == SIGINT) {
    static const char msg[] = "iotrace: interrupted again: exiting without a report\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(k_exit_interrupted);
  }
}
}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is handled where it is written
}

bool stop_requested() { return g_stops.load() > 0; }
void request_stop() { g_stops.fetch_add(1); }

}  // namespace iotrace::cli
