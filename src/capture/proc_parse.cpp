#include "src/capture/proc_parse.hpp"

#include <utility>

#include <charconv>

namespace iotrace {
namespace {

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <typename T>
bool to_num(std::string_view s, T& out, int base = 10) {
  s = trim(s);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// Splits on runs of spaces/tabs.
std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

std::optional<ProcStatus> parse_status(std::string_view text) {
  ProcStatus st;
  bool have_pid = false;
  for (auto line : lines(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto key = line.substr(0, colon);
    auto val = trim(line.substr(colon + 1));
    if (key == "Name") st.name = std::string(val);
    else if (key == "State" && !val.empty()) st.state = val[0];
    else if (key == "Tgid") to_num(val, st.tgid);
    else if (key == "Pid") have_pid = to_num(val, st.pid);
    else if (key == "PPid") to_num(val, st.ppid);
    else if (key == "Threads") to_num(val, st.threads);
    else if (key == "NSpid") {
      auto f = fields(val);
      if (f.size() > 1) to_num(f.back(), st.ns_pid);
    }
    else if (key == "VmSize") st.has_vm = true;
    else if (key == "VmRSS") {
      auto f = fields(val);
      uint64_t kb = 0;
      if (!f.empty() && to_num(f[0], kb)) st.vm_rss_bytes = kb * 1024;
    }
  }
  if (!have_pid) return std::nullopt;
  return st;
}

std::optional<ProcStat> parse_stat(std::string_view text) {
  ProcStat st;
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  if (!to_num(text.substr(0, open), st.pid)) return std::nullopt;
  st.comm = std::string(text.substr(open + 1, close - open - 1));
  auto rest = fields(text.substr(close + 1));
  // rest[0] is field 3 (state); field n is rest[n - 3]
  if (rest.size() < 20) return std::nullopt;
  if (rest[0].size() != 1) return std::nullopt;
  st.state = rest[0][0];
  if (!to_num(rest[1], st.ppid)) return std::nullopt;
  if (!to_num(rest[6], st.flags)) return std::nullopt;
  if (!to_num(rest[19], st.start_time_ticks)) return std::nullopt;
  return st;
}

std::vector<EpollEntry> parse_epoll_fdinfo(std::string_view text) {
  std::vector<EpollEntry> out;
  for (auto line : lines(text)) {
    line = trim(line);
    if (line.substr(0, 4) != "tfd:") continue;
    EpollEntry e;
    auto f = fields(line);
    // tfd: N events: HEX data: HEX pos:... ino:... sdev:...
    for (size_t i = 0; i + 1 < f.size(); ++i) {
      if (f[i] == "tfd:") to_num(f[i + 1], e.tfd);
      else if (f[i] == "events:") to_num(f[i + 1], e.events, 16);
      else if (f[i] == "data:") to_num(f[i + 1], e.data, 16);
    }
    if (e.tfd >= 0) out.push_back(e);
  }
  return out;
}

std::vector<NetSocket> parse_net_sockets(std::string_view text, NetTable table) {
  // tcp/udp: "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ..."
  // unix:    "Num RefCount Protocol Flags Type St Inode Path"
  const bool unix_table = table == NetTable::unix_sockets;
  const size_t inode_field = unix_table ? 6 : 9;
  std::vector<NetSocket> out;
  bool header = true;
  for (auto line : lines(text)) {
    if (std::exchange(header, false)) continue;
    auto f = fields(trim(line));
    NetSocket s;
    if (f.size() <= inode_field || !to_num(f[inode_field], s.inode) || !s.inode) continue;
    uint64_t flags = 0;
    s.listening = unix_table ? to_num(f[3], flags, 16) && (flags & 0x10000) : f[3] == "0A";
    out.push_back(s);
  }
  return out;
}

std::optional<uint64_t> parse_stack_limit(std::string_view text) {
  for (auto line : lines(text)) {
    if (line.substr(0, 14) != "Max stack size") continue;
    auto f = fields(line.substr(14));
    if (f.empty() || f[0] == "unlimited") return std::nullopt;
    uint64_t v = 0;
    if (to_num(f[0], v)) return v;
    return std::nullopt;
  }
  return std::nullopt;
}

std::string parse_cgroup(std::string_view text) {
  std::string_view v2, systemd, first;
  for (auto line : lines(text)) {
    // hierarchy-ID:controller-list:path; the path may itself contain ':'
    size_t a = line.find(':');
    if (a == std::string_view::npos) continue;
    size_t b = line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view id = line.substr(0, a), ctl = line.substr(a + 1, b - a - 1);
    std::string_view path = line.substr(b + 1);
    if (id == "0" && ctl.empty()) v2 = path;
    else if (ctl == "name=systemd") systemd = path;
    else if (first.empty()) first = path;
  }
  return std::string(!v2.empty() ? v2 : !systemd.empty() ? systemd : first);
}

std::vector<MapsEntry> parse_maps(std::string_view text) {
  std::vector<MapsEntry> out;
  for (auto line : lines(text)) {
    // start-end perms offset dev inode path (path may contain spaces)
    auto f = fields(line);
    if (f.size() < 5) continue;
    MapsEntry m;
    size_t dash = f[0].find('-');
    if (dash == std::string_view::npos) continue;
    if (!to_num(f[0].substr(0, dash), m.start, 16) || !to_num(f[0].substr(dash + 1), m.end, 16))
      continue;
    if (!to_num(f[2], m.offset, 16)) continue;
    m.exec = f[1].size() >= 3 && f[1][2] == 'x';
    if (f.size() >= 6) {
      // the path starts at the sixth field and runs to the end of the line
      size_t at = static_cast<size_t>(f[5].data() - line.data());
      m.path = std::string(trim(line.substr(at)));
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<TaskSyscall> parse_task_syscall(std::string_view text) {
  auto f = fields(trim(text.substr(0, text.find('\n'))));
  if (f.size() < 2) return std::nullopt;
  TaskSyscall t;
  if (!to_num(f[0], t.nr) || t.nr < 0) return std::nullopt;
  auto a0 = f[1].substr(0, 2) == "0x" ? f[1].substr(2) : f[1];
  if (!to_num(a0, t.arg0, 16)) return std::nullopt;
  return t;
}

std::vector<PerfMapEntry> parse_perf_map(std::string_view text) {
  std::vector<PerfMapEntry> out;
  for (auto line : lines(text)) {
    auto f = fields(line);
    if (f.size() < 3) continue;
    PerfMapEntry e;
    auto strip0x = [](std::string_view s) {
      return s.substr(0, 2) == "0x" ? s.substr(2) : s;
    };
    if (!to_num(strip0x(f[0]), e.start, 16) || !to_num(strip0x(f[1]), e.size, 16)) continue;
    size_t at = static_cast<size_t>(f[2].data() - line.data());
    e.name = std::string(trim(line.substr(at)));
    if (e.name.empty()) continue;  // the third field was only '\r'
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace iotrace
