// Ctrl-C and SIGTERM end a trace with a report; a second Ctrl-C exits at once. BPF links are
// file descriptors, so even that exit (or SIGKILL) leaves nothing attached.
#pragma once

namespace iotrace::cli {

void install_signal_handlers();
bool stop_requested();
void request_stop();

}  // namespace iotrace::cli
