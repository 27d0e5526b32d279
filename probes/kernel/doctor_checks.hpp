// `iotrace doctor`: what this machine allows, learned by trying (loading and attaching minimal
// programs), each result with what it means for iotrace, and a summary of which of iotrace's
// features work, which fall back and which are lost.
#pragma once
#include <string>
#include <vector>

#include "probes/kernel/features.hpp"

namespace iotrace::probes {

enum class CheckState {
  ok,        // works as iotrace needs
  fallback,  // does not work; iotrace uses another way or loses one feature
  fatal,     // does not work; attach cannot work
  info,      // not needed by iotrace, or a fact without a verdict
};
const char* check_state_name(CheckState s);  // "ok", "fallback", "fatal", "info"

struct DoctorCheck {
  std::string id;       // stable: "privileges", "tp_btf", ... (JSON)
  std::string name;     // "tp_btf sys_enter"
  CheckState state = CheckState::info;
  std::string result;   // what was found: "loaded, attached, fired"
  std::string meaning;  // what it means for iotrace
};

struct FeatureStatus {
  std::string feature;  // "syscall accounting"
  CheckState state = CheckState::ok;
  std::string how;      // "BTF tracepoints (tp_btf)", "raw tracepoints (fallback)", ...
};

struct DoctorReport {
  std::vector<DoctorCheck> checks;
  std::vector<FeatureStatus> features;
  // Each kernel-dependent piece as attach chooses it on this kernel (from loading the real
  // object), and the capture's counts it cannot give.
  std::vector<KernelFeature> kernel;
  std::vector<std::string> unavailable;
  bool attach_works = false;
};

// Runs every check. Honours --no-feature (tp_btf, io_uring) so the fallbacks can be seen.
// verbose: libbpf's log (a refused load's verifier output) goes to stderr.
DoctorReport run_doctor(bool verbose);

// The feature summary and verdict from the checks alone (pure; exposed for tests).
void summarize(DoctorReport& r);

}  // namespace iotrace::probes
