#include "probes/stacks/symbolizer.hpp"

#include <elfutils/libdwfl.h>

#include <fmt/format.h>

#include <gelf.h>
#include <sys/stat.h>

#include <algorithm>
#include <unordered_map>
#include <cstring>

#include "probes/stacks/elf_names.hpp"
#include "probes/proc_reader.hpp"

namespace iotrace::probes {
namespace {

Dwfl_Callbacks k_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

std::string basename_of(const char* path) {
  if (!path) return "[unknown]";
  std::string s(path);
  auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// Executable mappings backed by no file: code generated at run time (V8, the JVM, LuaJIT...).
// The kernel's own special mappings are not JIT code.
bool is_anonymous_code(const MapsEntry& m) {
  return m.exec && (m.path.empty() || m.path.rfind("[anon", 0) == 0);
}

struct ModuleFacts {
  std::string path;      // the mapped file, as /proc/PID/maps names it
  std::string build_id;  // hex, empty when the file has none
  uint64_t base = 0;     // runtime address minus this is the address in the file (see below)
};

}  // namespace

struct Symbolizer::Process {
  Dwfl* dwfl = nullptr;
  std::vector<PerfMapEntry> perf_map;  // sorted by start
  uint64_t perf_map_bytes = 0;          // the size of the map file when it was read
  std::vector<MapsEntry> anon_code;    // anonymous executable mappings, sorted by start
  std::map<Dwfl_Module*, ModuleFacts> modules;
  // Named native frames by address (and whether it was the innermost frame): libdwfl searches
  // a module's symbol table linearly for each address, and unwound stacks repeat addresses.
  std::unordered_map<uint64_t, std::pair<bool, Frame>> named;
  ~Process() {
    if (dwfl) dwfl_end(dwfl);
  }

  const ModuleFacts& facts(Dwfl_Module* m, const char* name, Dwarf_Addr start) {
    auto it = modules.find(m);
    if (it != modules.end()) return it->second;
    ModuleFacts f;
    f.path = name ? name : "";
    // Frame::offset is the address in the ELF file's own address space (runtime address
    // minus the load bias): the link-time virtual address that `addr2line -e FILE`,
    // `eu-addr2line -e FILE`, `gdb FILE` and the file's symbol tables and DWARF use, also in a
    // separate debug file. For shared objects and PIE executables it is also the distance
    // from the load base; for a non-PIE executable it is the runtime address itself. It is
    // not a byte offset into the file.
    GElf_Addr bias = 0;
    f.base = dwfl_module_getelf(m, &bias) ? bias : start;
    const unsigned char* bits = nullptr;
    GElf_Addr vaddr = 0;
    int n = dwfl_module_build_id(m, &bits, &vaddr);
    if (n > 0) f.build_id = hex_build_id(bits, static_cast<size_t>(n));
    return modules.emplace(m, std::move(f)).first->second;
  }

  // A frame of a mapped file, named from its symbol tables; false when addr is outside it.
  bool native_frame(Frame& f, uint64_t lookup) {
    Dwfl_Module* m = dwfl_addrmodule(dwfl, lookup);
    if (!m) return true;  // no module: left [unknown]
    Dwarf_Addr start = 0, end = 0;
    const char* name =
        dwfl_module_info(m, nullptr, &start, &end, nullptr, nullptr, nullptr, nullptr);
    if (lookup < start || lookup >= end) return false;
    const ModuleFacts& mf = facts(m, name, start);
    f.module = basename_of(name);
    f.path = mf.path;
    f.build_id = mf.build_id;
    f.offset = f.addr - mf.base;
    GElf_Off off = 0;
    GElf_Sym sym;
    // .symtab when the file (or a debug file libdwfl finds for it) has one, else .dynsym:
    // a stripped program still names the functions it exports.
    if (const char* s = dwfl_module_addrinfo(m, lookup, &off, &sym, nullptr, nullptr, nullptr)) {
      f.symbol = demangle(s);
      f.sym_offset = off + (lookup != f.addr ? 1 : 0);
    }
    return true;
  }

  // Code compiled at run time: no file, so the address is its offset; named when the
  // runtime's perf map lists it.
  void jit_frame(Frame& f, uint64_t lookup) const {
    f.module = "[jit]";
    f.kind = FrameKind::jit;
    f.path.clear();
    f.build_id.clear();
    f.offset = f.addr;
    if (const PerfMapEntry* e = perf_entry(lookup)) {
      f.symbol = e->name;
      f.sym_offset = f.addr - e->start;
    }
  }

  // Reads /tmp/perf-PID.map again when it changed size: runtimes append to it as they
  // compile (node --perf-basic-prof), or write it at exit (-XX:+DumpPerfMapAtExit).
  bool reload_perf_map(uint32_t pid) {
    std::string path = fmt::format("/tmp/perf-{}.map", pid);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) == perf_map_bytes)
      return false;
    auto text = read_file(path, 1 << 26);  // node's map grows to tens of MiB
    if (!text) return false;
    perf_map_bytes = static_cast<uint64_t>(st.st_size);
    perf_map = parse_perf_map(*text);
    std::sort(perf_map.begin(), perf_map.end(),
              [](const auto& a, const auto& b) { return a.start < b.start; });
    return true;
  }

  const PerfMapEntry* perf_entry(uint64_t addr) const {
    auto it = std::upper_bound(perf_map.begin(), perf_map.end(), addr,
                               [](uint64_t a, const PerfMapEntry& e) { return a < e.start; });
    if (it == perf_map.begin() || addr >= std::prev(it)->start + std::prev(it)->size) return nullptr;
    return &*std::prev(it);
  }

  bool in_anon_code(uint64_t addr) const {
    auto it = std::upper_bound(anon_code.begin(), anon_code.end(), addr,
                               [](uint64_t a, const MapsEntry& m) { return a < m.start; });
    return it != anon_code.begin() && addr < std::prev(it)->end;
  }
};

Symbolizer::Symbolizer() = default;
Symbolizer::~Symbolizer() = default;

void Symbolizer::refresh(uint32_t pid) {
  auto p = std::make_unique<Process>();
  p->dwfl = dwfl_begin(&k_callbacks);
  if (p->dwfl) {
    if (dwfl_linux_proc_report(p->dwfl, static_cast<pid_t>(pid)) != 0) {
      dwfl_end(p->dwfl);
      p->dwfl = nullptr;
    } else {
      dwfl_report_end(p->dwfl, nullptr, nullptr);
    }
  }
  if (auto maps = read_file(fmt::format("/proc/{}/maps", pid))) {
    for (auto& m : parse_maps(*maps))
      if (is_anonymous_code(m)) p->anon_code.push_back(std::move(m));
    std::sort(p->anon_code.begin(), p->anon_code.end(),
              [](const auto& a, const auto& b) { return a.start < b.start; });
  }
  p->reload_perf_map(pid);
  if (!p->dwfl && p->perf_map.empty()) {
    // keep an older view of an exited process rather than nothing
    if (procs_.count(pid)) return;
  }
  procs_[pid] = std::move(p);
}

Stack Symbolizer::symbolize(uint32_t pid, const std::vector<uint64_t>& addrs) {
  Stack out;
  auto it = procs_.find(pid);
  Process* p = it == procs_.end() ? nullptr : it->second.get();
  bool perf_reread = false;  // at most once per stack
  for (size_t i = 0; i < addrs.size(); ++i) {
    if (out.truncated) break;
    Frame f;
    f.addr = addrs[i];
    f.module = "[unknown]";
    // Return addresses point after the call; look up addr-1 so the caller's line is found.
    uint64_t lookup = i == 0 ? f.addr : f.addr - 1;
    if (p && p->in_anon_code(lookup)) {
      // Before libdwfl: it spans a module from its file's first mapping to its last, and
      // node maps part of its binary high up, so V8's code would pass for the node binary.
      if (!p->perf_entry(lookup) && !perf_reread) {
        p->reload_perf_map(pid);
        perf_reread = true;
      }
      p->jit_frame(f, lookup);
    } else if (p && p->dwfl) {
      uint64_t key = f.addr * 2 + (i == 0);
      auto [c, fresh] = p->named.try_emplace(key);
      if (fresh) c->second = {p->native_frame(f, lookup), f};
      if (!c->second.first) {
        out.truncated = true;  // not code of any mapped file: the frame-pointer walk went astray
        break;
      }
      f = c->second.second;
    }
    // JIT code in a file mapping (a memfd), when the perf map names it
    if (f.symbol.empty() && p && p->perf_entry(lookup)) p->jit_frame(f, lookup);
    if (f.module == "[unknown]" && i > 0) {
      // past the last mapped frame the walk read garbage (no frame pointers): stop here
      out.truncated = true;
      break;
    }
    out.frames.push_back(std::move(f));
  }
  // Without frame pointers the unwinder stops after a frame or two inside libc.
  if (!out.frames.empty() && out.frames.size() < 3) out.truncated = true;
  return out;
}

}  // namespace iotrace::probes

namespace iotrace::probes {

bool Symbolizer::read_code(uint32_t pid, uint64_t addr, unsigned char* out, size_t len) {
  auto it = procs_.find(pid);
  if (it == procs_.end() || !it->second->dwfl) return false;
  Dwfl_Module* m = dwfl_addrmodule(it->second->dwfl, addr);
  if (!m) return false;
  GElf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(m, &bias);
  if (!elf) return false;
  uint64_t a = addr - bias;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR))
      continue;
    if (a < sh.sh_addr || a + len > sh.sh_addr + sh.sh_size) continue;
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d || !d->d_buf || a - sh.sh_addr + len > d->d_size) return false;
    std::memcpy(out, static_cast<const char*>(d->d_buf) + (a - sh.sh_addr), len);
    return true;
  }
  return false;
}

}  // namespace iotrace::probes

namespace iotrace::probes {

Dwfl* Symbolizer::dwfl_of(uint32_t pid) {
  auto it = procs_.find(pid);
  return it == procs_.end() ? nullptr : it->second->dwfl;
}

std::map<std::string, uint64_t> Symbolizer::find_symbols(uint32_t pid, const std::string& module_prefix,
                                                         const std::vector<std::string>& names) {
  struct Walk {
    const std::string* prefix;
    const std::vector<std::string>* names;
    std::map<std::string, uint64_t> found;
  } w{&module_prefix, &names, {}};
  Dwfl* d = dwfl_of(pid);
  if (!d) return {};
  dwfl_getmodules(
      d,
      [](Dwfl_Module* m, void**, const char* name, Dwarf_Addr, void* arg) -> int {
        auto* w = static_cast<Walk*>(arg);
        std::string base = basename_of(name);
        if (base.compare(0, w->prefix->size(), *w->prefix) != 0 &&
            base.compare(0, w->prefix->size() + 3, "lib" + *w->prefix) != 0)
          return DWARF_CB_OK;
        int n = dwfl_module_getsymtab(m);
        for (int i = 0; i < n; ++i) {
          GElf_Sym sym;
          GElf_Addr addr = 0;
          const char* s = dwfl_module_getsym_info(m, i, &sym, &addr, nullptr, nullptr, nullptr);
          if (!s || sym.st_shndx == SHN_UNDEF) continue;
          for (const auto& want : *w->names)
            if (want == s) w->found[want] = addr;
        }
        return w->found.size() == w->names->size() ? DWARF_CB_ABORT : DWARF_CB_OK;
      },
      &w, 0);
  return w.found;
}

void Symbolizer::retain(const std::set<uint32_t>& pids) {
  std::erase_if(procs_, [&](const auto& kv) { return !pids.count(kv.first); });
}

}  // namespace iotrace::probes
