// Least privilege for the long-running exporter. Capabilities are per thread in Linux, so the
// tracing thread keeps only what later windows need to load probes and read /proc, and the
// thread that talks to the network keeps none.
#pragma once
#include <string>

namespace iotrace::cli {

// The capabilities a tracing window uses (keep_only_tracing_capabilities keeps these):
//   CAP_BPF, CAP_PERFMON   load BPF programs, attach them to tracepoints and uprobes
//   CAP_SYS_RESOURCE       raise RLIMIT_MEMLOCK for maps on kernels that still charge it
//   CAP_SYS_PTRACE         read other users' /proc/PID/{maps,fd,fdinfo} and their memory
//                          (Python frames)
//   CAP_DAC_READ_SEARCH    read /proc files and binaries (symbols) whatever their mode
// Kernels older than 5.8 have no CAP_BPF or CAP_PERFMON and ask for CAP_SYS_ADMIN instead;
// it is kept only there.
// Drops from this thread (and the threads it starts later) every capability not in
// tracing_capabilities(), bounding set included; never adds one. Call before starting
// threads. Returns what was kept, in capabilities(7) words, for the log.
std::string keep_only_tracing_capabilities();

// Drops every capability of the calling thread.
void drop_all_capabilities_of_this_thread();

}  // namespace iotrace::cli
