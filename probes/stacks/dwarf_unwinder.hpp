// Unwinds a copy of a thread's user stack, taken by the kernel at a flagged call, with the
// call-frame information (.eh_frame / .debug_frame) of the binaries mapped in the process:
// the way perf's --call-graph dwarf does it (tools/perf/util/unwind-libdw.c), with elfutils.
// Programs built without frame pointers (nearly every distro package) unwind to main this way.
#pragma once
#include <elfutils/libdwfl.h>

#include <cstdint>
#include <string>
#include <vector>

namespace iotrace::probes {

// The user registers at the start of the kernel's struct pt_regs, in its order, as the kernel
// saved them at the call (IOT_PT_REGS_WORDS): x86_64's whole struct pt_regs; on arm64 its
// struct user_pt_regs (x0..x30, sp, pc, pstate).
struct UserRegs {
#if defined(__aarch64__)
  uint64_t words[34];
#else
  uint64_t words[21];
#endif
};

struct StackCopy {
  UserRegs regs;
  const uint8_t* data = nullptr;  // the stack from regs' sp upward
  size_t len = 0;
};

struct Unwound {
  std::vector<uint64_t> pcs;  // innermost first; return addresses as found (not minus one)
  bool complete = false;      // reached the thread's outermost frame
  std::string cut_reason;     // when not complete
};

class DwarfUnwinder {
 public:
  static constexpr size_t k_max_frames = 128;
  // dwfl: the process's modules (the symbolizer's view); it stays attached to this unwinder.
  Unwound unwind(Dwfl* dwfl, uint32_t pid, uint32_t tid, const StackCopy& copy);

 private:
  const StackCopy* copy_ = nullptr;
  uint32_t tid_ = 0;
  bool read_past_copy_ = false;

  static pid_t next_thread(Dwfl*, void* arg, void** thread_arg);
  static bool get_thread(Dwfl*, pid_t tid, void* arg, void** thread_arg);
  static bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg);
  static bool set_initial_registers(Dwfl_Thread* thread, void* thread_arg);
};

}  // namespace iotrace::probes
