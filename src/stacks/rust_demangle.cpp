#include "src/stacks/rust_demangle.hpp"

#include <cctype>
#include <vector>

namespace iotrace {
namespace {

// Strips LLVM's ".llvm.NNN" (and similar ".cold") suffixes added by optimisation passes: after
// the legacy name's final E (its segments may hold '..' themselves), or at v0's first dot.
std::string_view without_suffix(std::string_view s) {
  size_t end = s.rfind("E.");
  if (s.substr(0, 3) == "_ZN" && end != std::string_view::npos) return s.substr(0, end + 1);
  auto dot = s.find('.');
  return s.substr(0, 3) == "_ZN" || dot == std::string_view::npos ? s : s.substr(0, dot);
}

bool is_hash(std::string_view seg) {
  if (seg.size() != 17 || seg[0] != 'h') return false;
  for (char c : seg.substr(1))
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// The legacy scheme escapes punctuation as $..$ and writes '::' inside a segment as '..'.
std::string unescape_legacy(std::string_view seg) {
  static const std::pair<std::string_view, std::string_view> k_esc[] = {
      {"$SP$", "@"}, {"$BP$", "*"}, {"$RF$", "&"}, {"$LT$", "<"}, {"$GT$", ">"},
      {"$LP$", "("}, {"$RP$", ")"}, {"$C$", ","},  {"$u7e$", "~"}, {"$u20$", " "},
      {"$u27$", "'"}, {"$u5b$", "["}, {"$u5d$", "]"}, {"$u7b$", "{"}, {"$u7d$", "}"},
      {"$u3b$", ";"}, {"$u2b$", "+"}, {"$u22$", "\""}};
  std::string out;
  if (seg.size() > 1 && seg[0] == '_' && seg[1] == '$') seg.remove_prefix(1);
  for (size_t i = 0; i < seg.size();) {
    bool done = false;
    if (seg[i] == '$')
      for (auto [from, to] : k_esc)
        if (seg.substr(i, from.size()) == from) {
          out += to;
          i += from.size();
          done = true;
          break;
        }
    if (done) continue;
    if (seg[i] == '.' && i + 1 < seg.size() && seg[i + 1] == '.') {
      out += "::";
      i += 2;
      continue;
    }
    out += seg[i++];
  }
  return out;
}

std::optional<std::string> legacy(std::string_view s) {
  // _ZN {len name}+ E, the last segment a 17-character hash
  if (s.substr(0, 3) != "_ZN") return std::nullopt;
  s.remove_prefix(3);
  std::vector<std::string_view> segs;
  while (!s.empty() && s[0] != 'E') {
    size_t len = 0, i = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) len = len * 10 + (s[i++] - '0');
    if (i == 0 || i + len > s.size()) return std::nullopt;
    segs.push_back(s.substr(i, len));
    s.remove_prefix(i + len);
  }
  if (s != "E" || segs.size() < 2 || !is_hash(segs.back())) return std::nullopt;
  segs.pop_back();
  std::string out;
  for (auto seg : segs) out += (out.empty() ? "" : "::") + unescape_legacy(seg);
  return out;
}

// v0: only paths made of crate roots (C) and nested names (N); generic arguments, impl
// paths and back-references are not read (nullopt, and the raw name is shown).
struct V0 {
  std::string_view s;
  size_t at = 0;
  bool ok = true;
  char peek() const { return at < s.size() ? s[at] : '\0'; }
  void disambiguator() {  // s <base62> _
    if (peek() != 's') return;
    ++at;
    while (at < s.size() && s[at] != '_') ++at;
    if (peek() == '_') ++at; else ok = false;
  }
  std::string ident() {
    size_t len = 0, start = at;
    while (std::isdigit(static_cast<unsigned char>(peek()))) len = len * 10 + (s[at++] - '0');
    if (at == start || peek() == 'u') { ok = false; return {}; }  // punycode: not read
    if (peek() == '_') ++at;
    if (at + len > s.size()) { ok = false; return {}; }
    std::string id(s.substr(at, len));
    at += len;
    return id;
  }
  std::string path(int depth = 0) {
    if (!ok || depth > 64) { ok = false; return {}; }
    char c = peek();
    if (c == 'C') {
      ++at;
      disambiguator();
      return ident();
    }
    if (c == 'N') {
      ++at;
      char ns = peek();
      ++at;
      std::string inner = path(depth + 1);
      disambiguator();
      std::string id = ident();
      if (!ok) return {};
      if (ns == 'C') return inner + "::{closure}";
      if (std::isupper(static_cast<unsigned char>(ns)) && id.empty()) return inner;
      return inner + "::" + id;
    }
    ok = false;
    return {};
  }
};

}  // namespace

std::optional<std::string> demangle_rust(std::string_view mangled) {
  std::string_view s = without_suffix(mangled);
  if (s.substr(0, 3) == "_ZN") return legacy(s);
  if (s.substr(0, 2) == "_R") {
    V0 v{s.substr(2)};
    std::string out = v.path();
    // an instantiating crate may follow the path; anything else is not ours to read
    if (!v.ok || out.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

}  // namespace iotrace
