#include "probes/stacks/dwarf_unwinder.hpp"

#include <fmt/format.h>

#include <cstring>

namespace iotrace::probes {
namespace {

#if defined(__aarch64__)
// struct user_pt_regs on arm64: x0..x30 sp pc pstate. DWARF numbers x0..x30 as 0..30 and sp as
// 31, the same order; the pc has no DWARF number (the unwinder takes it apart).
constexpr int k_pt_sp = 31;
constexpr int k_pt_pc = 32;
constexpr int k_dwarf_regs = 32;
#else
// struct pt_regs on x86_64: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs
// flags sp ss. DWARF numbers the registers rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip.
constexpr int k_pt_of_dwarf[17] = {10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16};
constexpr int k_pt_sp = 19;
#endif

struct FrameWalk {
  Unwound* out;
  bool ended = false;  // a frame with no caller: the thread's entry point
};

int on_frame(Dwfl_Frame* frame, void* arg) {
  auto* w = static_cast<FrameWalk*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
  // Return addresses point after the call; the symbolizer looks up pc - 1 for callers, so keep
  // them as found. A pc of 0 marks the end a thread's entry point leaves.
  if (pc == 0) {
    w->ended = true;
    return DWARF_CB_ABORT;
  }
  w->out->pcs.push_back(pc);
  return w->out->pcs.size() >= DwarfUnwinder::k_max_frames ? DWARF_CB_ABORT : DWARF_CB_OK;
}

}  // namespace

pid_t DwarfUnwinder::next_thread(Dwfl*, void* arg, void** thread_arg) {
  // only the thread of the current copy exists for the unwinder
  auto* self = static_cast<DwarfUnwinder*>(arg);
  if (*thread_arg) return 0;
  *thread_arg = self;
  return static_cast<pid_t>(self->tid_);
}

bool DwarfUnwinder::get_thread(Dwfl*, pid_t, void* arg, void** thread_arg) {
  *thread_arg = arg;
  return true;
}

bool DwarfUnwinder::memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
  auto* self = static_cast<DwarfUnwinder*>(arg);
  const StackCopy& c = *self->copy_;
  uint64_t sp = c.regs.words[k_pt_sp];
  if (addr < sp || addr + sizeof(Dwarf_Word) > sp + c.len) {
    if (addr >= sp + c.len) self->read_past_copy_ = true;
    return false;  // not in the copy: the unwinder stops at this frame
  }
  std::memcpy(result, c.data + (addr - sp), sizeof(Dwarf_Word));
  return true;
}

bool DwarfUnwinder::set_initial_registers(Dwfl_Thread* thread, void* thread_arg) {
  auto* self = static_cast<DwarfUnwinder*>(thread_arg);
#if defined(__aarch64__)
  Dwarf_Word regs[k_dwarf_regs];
  for (int i = 0; i < k_dwarf_regs; ++i) regs[i] = self->copy_->regs.words[i];
  dwfl_thread_state_register_pc(thread, self->copy_->regs.words[k_pt_pc]);
  return dwfl_thread_state_registers(thread, 0, k_dwarf_regs, regs);
#else
  Dwarf_Word regs[17];
  for (int i = 0; i < 17; ++i) regs[i] = self->copy_->regs.words[k_pt_of_dwarf[i]];
  return dwfl_thread_state_registers(thread, 0, 17, regs);
#endif
}

Unwound DwarfUnwinder::unwind(Dwfl* dwfl, uint32_t pid, uint32_t tid, const StackCopy& copy) {
  Unwound out;
  if (!dwfl) {
    out.cut_reason = "the process's mappings could not be read";
    return out;
  }
  static const Dwfl_Thread_Callbacks cb = {
      .next_thread = &DwarfUnwinder::next_thread,
      .get_thread = &DwarfUnwinder::get_thread,
      .memory_read = &DwarfUnwinder::memory_read,
      .set_initial_registers = &DwarfUnwinder::set_initial_registers,
      .detach = nullptr,
      .thread_detach = nullptr,
  };
  // a Dwfl is attached once; the symbolizer makes a new one when it re-reads the mappings
  if (dwfl_pid(dwfl) < 0 && !dwfl_attach_state(dwfl, nullptr, static_cast<pid_t>(pid), &cb, this)) {
    out.cut_reason = fmt::format("the unwinder could not start: {}", dwfl_errmsg(-1));
    return out;
  }
  copy_ = &copy;
  tid_ = tid;
  read_past_copy_ = false;
  FrameWalk w{&out};
  int rc = dwfl_getthread_frames(dwfl, static_cast<pid_t>(tid), on_frame, &w);
  copy_ = nullptr;
  if (rc == 0 || w.ended) {
    out.complete = true;
    return out;
  }
  if (out.pcs.size() >= k_max_frames) {
    out.cut_reason = fmt::format("deeper than {} frames", k_max_frames);
  } else if (read_past_copy_) {
    out.cut_reason = fmt::format("the stack is deeper than the {} KiB copied at the call",
                                 copy.len / 1024);
  } else {
    const char* msg = dwfl_errmsg(-1);
    out.cut_reason = fmt::format("no unwind information for the next frame ({})",
                                 msg ? msg : "unknown");
  }
  return out;
}

}  // namespace iotrace::probes
