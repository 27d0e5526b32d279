// Turns user-space addresses of a live process into module+offset and symbol names, with
// elfutils' libdwfl (ELF symbol tables, PIE, build-ids) and /tmp/perf-PID.map for JIT code.
// Frames in anonymous executable memory with no perf-map entry are kept as unnamed "[jit]"
// frames, so the report can say how to get names for them.
#pragma once
#include <elfutils/libdwfl.h>

#include <cstdint>
#include <string>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "src/capture/capture.hpp"
#include "src/capture/proc_parse.hpp"

namespace iotrace::probes {

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Reads the process's mappings now; call again to pick up libraries loaded later.
  void refresh(uint32_t pid);
  Stack symbolize(uint32_t pid, const std::vector<uint64_t>& addrs);
  // Copies len bytes of code at addr from the mapped file (works after the process exited).
  bool read_code(uint32_t pid, uint64_t addr, unsigned char* out, size_t len);
  // The process's modules as libdwfl sees them, for the DWARF unwinder; null when unknown.
  Dwfl* dwfl_of(uint32_t pid);
  // Addresses (load bias applied) of the named symbols defined in the first module whose file
  // name starts with module_prefix (or lib + module_prefix) and defines them all.
  std::map<std::string, uint64_t> find_symbols(uint32_t pid, const std::string& module_prefix,
                                               const std::vector<std::string>& names);
  // Drops what was read of processes not in pids (exited: their pids may come back as others).
  void retain(const std::set<uint32_t>& pids);

 private:
  struct Process;
  std::map<uint32_t, std::unique_ptr<Process>> procs_;
};

}  // namespace iotrace::probes
