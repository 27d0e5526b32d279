#include "probes/stacks/python_frames.hpp"

#include <sys/uio.h>

#include <fmt/format.h>

#include <cstring>

#include "probes/stacks/python311_offsets.h"
#include "probes/stacks/symbolizer.hpp"
#include "src/stacks/python_stack.hpp"

namespace iotrace::probes {
namespace {

const iot_py311_offsets* offsets() {
  static iot_py311_offsets o{};
  static bool have = iot_python311_offsets(&o) != 0;
  return have ? &o : nullptr;
}

bool read_mem(uint32_t pid, uint64_t addr, void* out, size_t len) {
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  return process_vm_readv(static_cast<pid_t>(pid), &local, 1, &remote, 1, 0) ==
         static_cast<ssize_t>(len);
}

template <typename T>
bool read_val(uint32_t pid, uint64_t addr, T& v) {
  return read_mem(pid, addr, &v, sizeof(v));
}

// A str object's text: compact ASCII, or compact Latin-1 turned into UTF-8 (names and paths
// are nearly always one of the two); "?" otherwise.
std::string read_str(uint32_t pid, uint64_t obj) {
  const auto& o = *offsets();
  int64_t len = 0;
  uint32_t state = 0;
  if (!obj || !read_val(pid, obj + o.str_length, len) || !read_val(pid, obj + o.str_state, state))
    return "?";
  if (len < 0 || len > 4096 || !(state & o.str_compact_bit)) return "?";
  std::string s(static_cast<size_t>(len), '\0');
  if (state & o.str_ascii_bit) {
    if (!read_mem(pid, obj + o.str_ascii_data, s.data(), s.size())) return "?";
    return s;
  }
  if ((state & o.str_kind_mask) != o.str_kind_one) return "?";
  if (!read_mem(pid, obj + o.str_compact_data, s.data(), s.size())) return "?";
  std::string utf8;
  for (unsigned char c : s) {
    if (c < 0x80) {
      utf8 += static_cast<char>(c);
    } else {
      utf8 += static_cast<char>(0xc0 | (c >> 6));
      utf8 += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return utf8;
}

}  // namespace

std::optional<iot_py_layout> PythonFrames::detect(Symbolizer& sym, uint32_t pid, std::string& note) {
  auto found = sym.find_symbols(pid, "python", {"_PyRuntime", "Py_Version", "PyCode_Type"});
  if (!found.count("_PyRuntime")) return std::nullopt;  // not CPython
  uint64_t version = 0;
  if (!found.count("Py_Version") || !read_val(pid, found["Py_Version"], version)) {
    note = fmt::format("process {} runs a CPython older than 3.11: its Python frames are not shown", pid);
    return std::nullopt;
  }
  unsigned major = (version >> 24) & 0xff, minor = (version >> 16) & 0xff;
  const auto* o = offsets();
  if (major != 3 || minor != 11 || !o || !found.count("PyCode_Type")) {
    note = fmt::format("process {} runs CPython {}.{}: iotrace reads the frames of CPython 3.11{}",
                       pid, major, minor, o ? "" : " (and was built without its headers)");
    return std::nullopt;
  }
  procs_[pid] = Process{found["PyCode_Type"], false, {}};
  iot_py_layout l{};
  l.runtime = found["_PyRuntime"];
  l.interp_head = o->interp_head;
  l.threads_head = o->threads_head;
  l.ts_next = o->ts_next;
  l.ts_native_tid = o->ts_native_tid;
  l.ts_cframe = o->ts_cframe;
  l.cf_current = o->cf_current;
  l.fr_code = o->fr_code;
  l.fr_previous = o->fr_previous;
  l.fr_prev_instr = o->fr_prev_instr;
  l.fr_is_entry = o->fr_is_entry;
  return l;
}

const PythonFrames::Code& PythonFrames::code(uint32_t pid, Process& p, uint64_t addr) {
  auto [it, fresh] = p.codes.try_emplace(addr);
  Code& c = it->second;
  if (!fresh) return c;
  const auto& o = *offsets();
  uint64_t type = 0, name = 0, file = 0, table = 0;
  int32_t first = 0;
  // the check that the layout holds: what f_code points to must be a code object
  if (!read_val(pid, addr + o.ob_type, type)) return c;  // gone (the process exited)
  if (type != p.code_type) {
    c.wrong_type = true;
    return c;
  }
  if (!read_val(pid, addr + o.co_qualname, name) || !read_val(pid, addr + o.co_filename, file) ||
      !read_val(pid, addr + o.co_firstlineno, first) || !read_val(pid, addr + o.co_linetable, table))
    return c;
  c.ok = true;
  c.name = read_str(pid, name);
  c.file = read_str(pid, file);
  c.first_line = first;
  c.first_instr = addr + o.co_code_adaptive;
  int64_t size = 0;
  if (table && read_val(pid, table + o.bytes_size, size) && size > 0 && size < (1 << 20)) {
    c.table.resize(static_cast<size_t>(size));
    if (!read_mem(pid, table + o.bytes_data, c.table.data(), c.table.size())) c.table.clear();
  }
  return c;
}

std::vector<Frame> PythonFrames::resolve(uint32_t pid, const iot_py_frame* frames, size_t n) {
  std::vector<Frame> out;
  auto it = procs_.find(pid);
  if (it == procs_.end() || !offsets()) return out;
  Process& p = it->second;
  for (size_t i = 0; i < n; ++i) {
    const Code& c = code(pid, p, frames[i].code & ~1ull);
    if (!c.ok) {
      if (i == 0 && c.wrong_type) p.mismatch = true;  // the innermost frame was live at the copy
      break;
    }
    Frame f;
    f.kind = FrameKind::interpreted;
    f.module = "[python]";
    f.symbol = c.name;
    f.file = c.file;
    f.addr = frames[i].code & ~1ull;
    uint64_t instr = frames[i].instr;
    if (instr >= c.first_instr)
      f.line = static_cast<uint32_t>(
          std::max(0, python311_line(c.table, c.first_line, (instr - c.first_instr) / offsets()->code_unit)));
    out.push_back(std::move(f));
  }
  return out;
}

bool PythonFrames::mismatched(uint32_t pid) const {
  auto it = procs_.find(pid);
  return it != procs_.end() && it->second.mismatch;
}

}  // namespace iotrace::probes
