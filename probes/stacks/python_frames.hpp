// Python frames of CPython 3.11 processes: finds the interpreter in a target (its _PyRuntime
// and Py_Version symbols), hands the kernel the layout to walk a thread's frame chain at a
// flagged call, and names the code objects the kernel found (function, file, line) by reading
// them from the process's memory.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bpf/iotrace_abi.h"
#include "src/capture/capture.hpp"

namespace iotrace::probes {

class Symbolizer;

class PythonFrames {
 public:
  // The layout for the kernel when pid runs CPython 3.11; note says why not when it runs
  // another CPython (empty when it runs none).
  std::optional<iot_py_layout> detect(Symbolizer& sym, uint32_t pid, std::string& note);
  // Frames innermost first, named; an empty vector when the layout turned out not to match.
  std::vector<Frame> resolve(uint32_t pid, const iot_py_frame* frames, size_t n);
  // The layout did not hold for pid (a code object of the wrong type): frames were dropped.
  bool mismatched(uint32_t pid) const;
  void retain(const std::set<uint32_t>& pids) {
    std::erase_if(procs_, [&](const auto& kv) { return !pids.count(kv.first); });
  }

 private:
  struct Code {
    bool ok = false;
    bool wrong_type = false;  // read back, and not a code object: the layout does not hold
    std::string name, file, table;
    int first_line = 0;
    uint64_t first_instr = 0;
  };
  struct Process {
    uint64_t code_type = 0;  // &PyCode_Type in the process
    bool mismatch = false;
    std::map<uint64_t, Code> codes;
  };
  std::map<uint32_t, Process> procs_;
  const Code& code(uint32_t pid, Process& p, uint64_t addr);
};

}  // namespace iotrace::probes
