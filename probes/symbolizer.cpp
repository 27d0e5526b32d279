#include "probes/symbolizer.hpp"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>

#include <fmt/format.h>

#include <gelf.h>

#include <algorithm>
#include <cstring>

#include "probes/proc_reader.hpp"
#include "src/rust_demangle.hpp"

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

std::string demangle(const char* name) {
  if (auto rust = demangle_rust(name)) return *rust;
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || !d) return name;
  std::string out(d);
  free(d);
  return out;
}

}  // namespace

struct Symbolizer::Process {
  Dwfl* dwfl = nullptr;
  std::vector<PerfMapEntry> perf_map;  // sorted by start
  ~Process() {
    if (dwfl) dwfl_end(dwfl);
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
  if (auto text = read_file(fmt::format("/tmp/perf-{}.map", pid))) {
    p->perf_map = parse_perf_map(*text);
    std::sort(p->perf_map.begin(), p->perf_map.end(),
              [](const auto& a, const auto& b) { return a.start < b.start; });
  }
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
  for (size_t i = 0; i < addrs.size(); ++i) {
    if (out.truncated) break;
    Frame f;
    f.addr = addrs[i];
    f.module = "[unknown]";
    // Return addresses point after the call; look up addr-1 so the caller's line is found.
    uint64_t lookup = i == 0 ? f.addr : f.addr - 1;
    if (p && p->dwfl) {
      if (Dwfl_Module* m = dwfl_addrmodule(p->dwfl, lookup)) {
        Dwarf_Addr start = 0, end = 0;
        const char* name = dwfl_module_info(m, nullptr, &start, &end, nullptr, nullptr,
                                            nullptr, nullptr);
        if (lookup < start || lookup >= end) {
          // not code of any mapped file: the frame-pointer walk went astray
          out.truncated = true;
          break;
        }
        f.module = basename_of(name);
        f.offset = f.addr - start;
        GElf_Off off = 0;
        GElf_Sym sym;
        const char* s = dwfl_module_addrinfo(m, lookup, &off, &sym, nullptr, nullptr, nullptr);
        if (s) {
          f.symbol = demangle(s);
          f.sym_offset = off + (lookup != f.addr ? 1 : 0);
        }
      }
    }
    if (f.symbol.empty() && p && !p->perf_map.empty()) {
      auto jt = std::upper_bound(p->perf_map.begin(), p->perf_map.end(), lookup,
                                 [](uint64_t a, const PerfMapEntry& e) { return a < e.start; });
      if (jt != p->perf_map.begin()) {
        --jt;
        if (lookup < jt->start + jt->size) {
          f.module = "[jit]";
          f.symbol = jt->name;
          f.sym_offset = f.addr - jt->start;
        }
      }
    }
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

}  // namespace iotrace::probes
