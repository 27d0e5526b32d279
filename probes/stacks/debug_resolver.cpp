#include "probes/stacks/debug_resolver.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>

#include "probes/stacks/elf_names.hpp"

namespace iotrace::probes {
namespace {

std::string dirname_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

struct Symbol {
  uint64_t start = 0, size = 0;
  int rank = 0;  // among aliases at one address, the higher is the name to show
  std::string name;
};

// An ELF file opened read-only, with its DWARF when it has some.
struct ElfFile {
  int fd = -1;
  Elf* elf = nullptr;
  Dwarf* dwarf = nullptr;

  explicit ElfFile(const std::string& path) {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    if (elf && elf_kind(elf) != ELF_K_ELF) {
      elf_end(elf);
      elf = nullptr;
    }
  }
  ~ElfFile() {
    if (dwarf) dwarf_end(dwarf);
    if (elf) elf_end(elf);
    if (fd >= 0) close(fd);
  }
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  std::string build_id() const {
    const void* bits = nullptr;
    ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &bits) : -1;
    return n > 0 ? hex_build_id(static_cast<const unsigned char*>(bits), static_cast<size_t>(n))
                 : std::string();
  }
};

std::optional<uint32_t> file_crc32(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::array<unsigned char, 1 << 16> buf;
  uint32_t crc = 0;
  ssize_t n;
  while ((n = read(fd, buf.data(), buf.size())) > 0)
    crc = debuglink_crc32(buf.data(), static_cast<size_t>(n), crc);
  close(fd);
  if (n < 0) return std::nullopt;
  return crc;
}

// Function symbols of the richest table the file has (.symtab, else .dynsym), by address.
std::vector<Symbol> read_symbols(Elf* elf) {
  std::vector<Symbol> out;
  Elf_Scn* best = nullptr;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    if (sh.sh_type == SHT_SYMTAB) best = scn;
    else if (sh.sh_type == SHT_DYNSYM && !best) best = scn;
  }
  GElf_Shdr sh;
  if (!best || !gelf_getshdr(best, &sh) || !sh.sh_entsize) return out;
  Elf_Data* data = elf_getdata(best, nullptr);
  if (!data) return out;
  size_t count = sh.sh_size / sh.sh_entsize;
  for (size_t i = 0; i < count; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
    int type = GELF_ST_TYPE(sym.st_info);
    if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
    if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
    const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (!name || !*name) continue;
    // as libdwfl does: global before weak before local, sized before unsized
    int bind = GELF_ST_BIND(sym.st_info);
    int rank = (bind == STB_GLOBAL ? 4 : bind == STB_WEAK ? 2 : 0) + (sym.st_size ? 1 : 0);
    out.push_back({sym.st_value, sym.st_size, rank, name});
  }
  // by address, the best alias last: the lookup walks back from the first symbol above
  std::sort(out.begin(), out.end(), [](const Symbol& a, const Symbol& b) {
    return a.start < b.start || (a.start == b.start && a.rank < b.rank);
  });
  return out;
}

}  // namespace

std::vector<std::string> debug_file_candidates(const std::string& dir, const std::string& build_id,
                                               const std::string& binary_path,
                                               const std::string& debuglink) {
  std::vector<std::string> out;
  // a capture is outside input: a build-id is hex, or it is no build-id (and no path part)
  bool hex = build_id.size() > 2 &&
             build_id.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (hex)
    out.push_back(dir + "/.build-id/" + build_id.substr(0, 2) + "/" + build_id.substr(2) + ".debug");
  if (!debuglink.empty() && debuglink.find('/') == std::string::npos) {
    out.push_back(dir + "/" + debuglink);
    out.push_back(dir + "/.debug/" + debuglink);
    std::string bindir = dirname_of(binary_path);
    if (!bindir.empty() && bindir[0] == '/') out.push_back(dir + bindir + "/" + debuglink);
  }
  return out;
}

uint32_t debuglink_crc32(const unsigned char* data, size_t len, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < len; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

struct DebugResolver::DebugFile {
  // alt first: members go in reverse order, and file's DWARF refers to alt's
  std::unique_ptr<ElfFile> alt;  // the shared DWARF of dwz-compressed debug files
  std::unique_ptr<ElfFile> file;
  std::vector<Symbol> symbols;

  const Symbol* symbol_at(uint64_t addr) const {
    auto it = std::upper_bound(symbols.begin(), symbols.end(), addr,
                               [](uint64_t a, const Symbol& s) { return a < s.start; });
    // the nearest symbol at or below addr that contains it (sized ones may nest or overlap)
    for (int tries = 0; it != symbols.begin() && tries < 8; ++tries) {
      --it;
      if (addr < it->start + std::max<uint64_t>(it->size, 1)) return &*it;
    }
    return nullptr;
  }

  // dwz moves DWARF that several files share into one file that each names in
  // .gnu_debugaltlink: found by its build-id under dir, else by the path the link records.
  void open_alt(const std::string& dir, const std::string& debug_path) {
    const char* name = nullptr;
    const void* id = nullptr;
    ssize_t n = file->dwarf ? dwelf_dwarf_gnu_debugaltlink(file->dwarf, &name, &id) : 0;
    if (n <= 0) return;
    auto hex = hex_build_id(static_cast<const unsigned char*>(id), static_cast<size_t>(n));
    auto by_id = debug_file_candidates(dir, hex, "", "");
    auto f = std::make_unique<ElfFile>(by_id.empty() ? std::string() : by_id.front());
    if (!f->elf && name)
      f = std::make_unique<ElfFile>(name[0] == '/' ? std::string(name)
                                                   : dirname_of(debug_path) + "/" + name);
    if (f->elf && f->build_id() == hex) f->dwarf = dwarf_begin_elf(f->elf, DWARF_C_READ, nullptr);
    if (!f->dwarf) return;
    dwarf_setalt(file->dwarf, f->dwarf);
    alt = std::move(f);
  }

  // The compilation unit that holds addr.
  bool cu_at(uint64_t addr, Dwarf_Die& cu) const {
    Dwarf* dw = this->file->dwarf;
    if (!dw) return false;
    bool found = dwarf_addrdie(dw, addr, &cu) != nullptr;
    // without .debug_aranges, ask each compilation unit
    for (Dwarf_Off off = 0, next = 0; !found;) {
      size_t hsize = 0;
      if (dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) != 0) break;
      if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_haspc(&cu, addr) > 0) found = true;
      off = next;
    }
    return found;
  }

  // The functions the compiler inlined at addr, innermost first, each with the source line
  // it was at; file and line become the line of the function that holds them (where the
  // outermost was inlined). As addr2line -i does.
  std::vector<Frame> inlined_at(uint64_t addr, std::string& file, uint32_t& line) const {
    std::vector<Frame> out;
    Dwarf_Die cu;
    if (!cu_at(addr, cu)) return out;
    Dwarf_Die* scopes = nullptr;
    int n = dwarf_getscopes(&cu, addr, &scopes);
    Dwarf_Files* files = nullptr;
    size_t nfiles = 0;
    if (n > 0 && dwarf_getsrcfiles(&cu, &files, &nfiles) != 0) files = nullptr;
    for (int i = 0; i < n && dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine; ++i) {
      Dwarf_Attribute a;
      const char* name = dwarf_formstring(dwarf_attr_integrate(&scopes[i], DW_AT_linkage_name, &a));
      if (!name) name = dwarf_formstring(dwarf_attr_integrate(&scopes[i], DW_AT_name, &a));
      Frame f;
      f.inlined = true;
      f.symbol = name ? demangle(name) : "[inlined]";
      f.file = file;
      f.line = line;
      out.push_back(std::move(f));
      // the caller's line: where this one was inlined
      Dwarf_Word call_file = 0, call_line = 0;
      if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &call_line) == 0)
        line = static_cast<uint32_t>(call_line);
      const char* src = nullptr;
      if (files && dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &call_file) == 0 &&
          (src = dwarf_filesrc(files, call_file, nullptr, nullptr)) != nullptr)
        file = src;
    }
    free(scopes);
    return out;
  }

  // Source file and line of addr from the DWARF line table.
  bool line_at(uint64_t addr, std::string& file, uint32_t& line) const {
    Dwarf_Die cu;
    if (!cu_at(addr, cu)) return false;
    Dwarf_Line* l = dwarf_getsrc_die(&cu, addr);
    int n = 0;
    const char* src = l ? dwarf_linesrc(l, nullptr, nullptr) : nullptr;
    if (!src || dwarf_lineno(l, &n) != 0 || n <= 0) return false;
    file = src;
    line = static_cast<uint32_t>(n);
    return true;
  }
};

DebugResolver::DebugResolver(std::vector<std::string> dirs, bool binaries)
    : dirs_(std::move(dirs)), binaries_(binaries) {
  elf_version(EV_CURRENT);
}
DebugResolver::~DebugResolver() = default;

DebugResolver::DebugFile* DebugResolver::debug_file_for(const Frame& f) {
  const std::string key = f.build_id.empty() ? f.path : f.build_id;
  if (auto it = cache_.find(key); it != cache_.end()) return it->second.get();
  auto& slot = cache_[key];
  // the binary itself, when it is still there, names its debug file and that file's CRC
  std::string debuglink;
  GElf_Word crc = 0;
  if (!f.path.empty()) {
    ElfFile bin(f.path);
    if (const char* link = bin.elf ? dwelf_elf_gnu_debuglink(bin.elf, &crc) : nullptr)
      debuglink = link;
  }
  for (const auto& dir : dirs_) {
    for (const auto& cand : debug_file_candidates(dir, f.build_id, f.path, debuglink)) {
      auto file = std::make_unique<ElfFile>(cand);
      if (!file->elf) continue;
      // the right file for this binary: same build-id, or, without one, the debuglink's CRC
      std::string id = file->build_id();
      if (!f.build_id.empty() ? id != f.build_id : (!id.empty() || file_crc32(cand) != crc))
        continue;
      auto df = std::make_unique<DebugFile>();
      df->symbols = read_symbols(file->elf);
      file->dwarf = dwarf_begin_elf(file->elf, DWARF_C_READ, nullptr);
      df->file = std::move(file);
      df->open_alt(dir, cand);
      slot = std::move(df);
      return slot.get();
    }
  }
  if (binaries_ && !f.path.empty()) {
    // the binary's own DWARF (a build with -g, a Rust binary with debuginfo)
    auto file = std::make_unique<ElfFile>(f.path);
    if (file->elf && (f.build_id.empty() || file->build_id() == f.build_id)) {
      file->dwarf = dwarf_begin_elf(file->elf, DWARF_C_READ, nullptr);
      if (file->dwarf) {
        auto df = std::make_unique<DebugFile>();
        df->symbols = read_symbols(file->elf);
        df->file = std::move(file);
        slot = std::move(df);
        return slot.get();
      }
    }
  }
  return nullptr;
}

void DebugResolver::resolve_stack(Stack& s, DebugResolveStats& st) {
  // a stack already given its inlined frames keeps them
  const bool expand = std::none_of(s.frames.begin(), s.frames.end(), [](const Frame& f) { return f.inlined; });
  std::vector<Frame> out;
  out.reserve(s.frames.size());
  for (size_t i = 0; i < s.frames.size(); ++i) {
    Frame& f = s.frames[i];
    std::vector<Frame> inlined;
    resolve_frame(f, i == 0, expand, inlined, st);
    // the inlined functions ran inside the frame that holds them: inner to it
    out.insert(out.end(), inlined.begin(), inlined.end());
    out.push_back(f);
  }
  s.frames = std::move(out);
}

void DebugResolver::resolve_frame(Frame& f, bool innermost, bool expand, std::vector<Frame>& out,
                                  DebugResolveStats& st) {
  if (f.kind != FrameKind::native || f.inlined || (f.build_id.empty() && f.path.empty())) return;
  if (!f.symbol.empty() && !f.file.empty() && !expand) return;  // already fully resolved
  bool unnamed = f.symbol.empty();
  if (unnamed) ++st.unnamed;
  DebugFile* df = debug_file_for(f);
  if (!df) {
    if (!unnamed) return;
    std::string what = f.build_id.empty() ? f.path : f.build_id;
    if (std::find(st.not_found.begin(), st.not_found.end(), what) == st.not_found.end())
      st.not_found.push_back(what);
    return;
  }
  // Return addresses point after the call: look up the byte before, as the symbolizer does.
  uint64_t lookup = innermost ? f.offset : f.offset - 1;
  // A name the frame has is replaced only by a closer one: .dynsym lacks static functions,
  // so an exported symbol below the address can stand for the function that holds it. An
  // alias at the same address (a versioned or internal name) changes nothing.
  const Symbol* sym = df->symbol_at(lookup);
  if (sym && (unnamed || f.offset - sym->start < f.sym_offset)) {
    if (unnamed) ++st.named;
    else ++st.renamed;
    f.symbol = demangle(sym->name.c_str());
    f.sym_offset = f.offset - sym->start;
  }
  if (f.file.empty() && df->line_at(lookup, f.file, f.line)) ++st.lines;
  if (!expand || f.file.empty()) return;
  for (auto& in : df->inlined_at(lookup, f.file, f.line)) {
    in.addr = f.addr;
    in.module = f.module;
    in.offset = f.offset;
    in.path = f.path;
    in.build_id = f.build_id;
    out.push_back(std::move(in));
    ++st.inlined;
  }
}

DebugResolveStats DebugResolver::resolve(Capture& c) {
  DebugResolveStats st;
  for (auto& fc : c.flagged) resolve_stack(fc.stack, st);
  for (auto& s : c.stalls) resolve_stack(s.stack, st);
  return st;
}

}  // namespace iotrace::probes
