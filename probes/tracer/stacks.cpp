// Stacks of flagged calls and stalls: the kernel's frame-pointer walk, improved with the return
// address libc's frameless wrappers leave at sp, or the unwound copy when it got further.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "probes/tracer/tracer_impl.hpp"

namespace iotrace::probes {

std::vector<uint64_t> Tracer::Impl::stack_addrs(int32_t id) {
  std::vector<uint64_t> out;
  if (id < 0) return out;
  __u64 ips[IOT_MAX_STACK] = {};
  if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.iot_stacks), &id, ips)) return out;
  for (auto ip : ips) {
    if (!ip) break;
    out.push_back(ip);
  }
  return out;
}

// The unwound copy when there is one, else the kernel's frame-pointer walk; also the walk when
// the copy was cut short and the walk got further (code with frame pointers but no CFI).
Stack Tracer::Impl::site_stack(uint32_t pid, std::optional<Stack> unwound, int32_t stack_id,
                               const uint64_t* sp_words) {
  if (stack_id < 0) unwound.reset();  // calls of many stacks share that site: no copy speaks for them
  if (unwound && !unwound->truncated) return std::move(*unwound);
  auto addrs = stack_addrs(stack_id);
  Stack fp = symbolizer.symbolize(pid, addrs);
  if (sp_words) improve_stack(pid, fp, addrs, sp_words);
  fp.unwinder = "frame-pointer";
  fp.lost = stack_id < 0;
  if (unwound && (fp.truncated || fp.lost || fp.frames.size() <= unwound->frames.size()))
    return std::move(*unwound);
  return fp;
}

namespace {

// Whether the bytes before addr in the process end with a call instruction: then addr is a
// return address. x86_64: e8 rel32 (5 bytes), ff /2 with the usual ModRM forms (2, 3 or 6
// bytes). arm64: the 4-byte instruction before is BL imm26, BLR Xn, or the pointer-
// authenticated BLRAA, BLRAAZ, BLRAB, BLRABZ.
bool follows_call(Symbolizer& sym, uint32_t pid, uint64_t addr) {
  unsigned char code[8] = {};
  int fd = open(fmt::format("/proc/{}/mem", pid).c_str(), O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : pread(fd, code, sizeof(code), static_cast<off_t>(addr - sizeof(code)));
  if (fd >= 0) close(fd);
  // an exited process: read the code from the mapped file instead
  if (n != static_cast<ssize_t>(sizeof(code)) && !sym.read_code(pid, addr - sizeof(code), code, sizeof(code)))
    return false;
#if defined(__aarch64__)
  uint32_t insn = 0;
  std::memcpy(&insn, code + 4, sizeof(insn));  // instructions are little-endian
  return (insn & 0xfc000000u) == 0x94000000u ||  // BL
         (insn & 0xfffffc1fu) == 0xd63f0000u ||  // BLR
         (insn & 0xfefff800u) == 0xd63f0800u;    // BLRAA(Z), BLRAB(Z)
#else
  auto is_ff2 = [](unsigned char op, unsigned char modrm) {
    return op == 0xff && ((modrm >> 3) & 7) == 2;
  };
  return code[3] == 0xe8 || is_ff2(code[6], code[7]) || is_ff2(code[5], code[6]) ||
         is_ff2(code[2], code[3]);
#endif
}

}  // namespace

// The kernel's frame-pointer walk starts at the syscall instruction inside libc, whose
// wrappers keep no frame: the wrapper's caller is skipped. Its return address usually sits
// in the top words at sp; insert it when it checks out as a return address.
void Tracer::Impl::improve_stack(uint32_t pid, Stack& stack, const std::vector<uint64_t>& addrs,
                                 const uint64_t* sp_words) {
  if (addrs.empty() || stack.frames.empty()) return;
  // Walk up through libc's own frames to the first frame outside the module of the syscall.
  size_t at = 1;
  for (int i = 0; i < IOT_SP_WORDS; ++i) {
    uint64_t w = sp_words[i];
    if (w < 4096 || std::find(addrs.begin(), addrs.end(), w) != addrs.end()) continue;
    if (!follows_call(symbolizer, pid, w)) continue;
    Stack one = symbolizer.symbolize(pid, {addrs[0], w});
    if (one.frames.size() < 2 || one.frames[1].module == "[unknown]") continue;
    stack.frames.insert(stack.frames.begin() + static_cast<long>(at++), one.frames[1]);
    if (one.frames[1].module != stack.frames[0].module) return;
  }
}

}  // namespace iotrace::probes
