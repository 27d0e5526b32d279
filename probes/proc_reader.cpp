#include "probes/proc_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "probes/trace_error.hpp"
#include "src/capture/syscall_table.hpp"

namespace iotrace::probes {
namespace {
constexpr uint64_t k_pf_kthread = 0x00200000;

std::vector<std::string> dir_entries(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  if (!d) return out;
  while (auto* e = readdir(d))
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  closedir(d);
  return out;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

FdKind link_kind(const std::string& target) {
  if (target.rfind("socket:", 0) == 0) return FdKind::socket_other;
  if (target.rfind("pipe:", 0) == 0) return FdKind::pipe;
  if (target == "anon_inode:[eventfd]") return FdKind::eventfd;
  if (target == "anon_inode:[timerfd]") return FdKind::timerfd;
  if (target == "anon_inode:[signalfd]") return FdKind::signalfd;
  if (target == "anon_inode:[eventpoll]") return FdKind::epoll;
  if (target == "anon_inode:[io_uring]") return FdKind::io_uring;
  if (target.rfind("anon_inode:", 0) == 0) return FdKind::anon_other;
  if (target.rfind("/dev/", 0) == 0) return FdKind::chardev;
  if (!target.empty() && target[0] == '/') return FdKind::regular;
  return FdKind::other;
}

// Go executables carry a .go.buildinfo section (Go 1.13+) or at least .gopclntab.
bool is_go_binary(const std::string& path) {
  if (elf_version(EV_CURRENT) == EV_NONE) return false;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool go = false;
  if (Elf* e = elf_begin(fd, ELF_C_READ, nullptr)) {
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(e, &shstrndx) == 0) {
      Elf_Scn* scn = nullptr;
      while (!go && (scn = elf_nextscn(e, scn)) != nullptr) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) break;
        const char* name = elf_strptr(e, shstrndx, sh.sh_name);
        go = name && (std::strcmp(name, ".go.buildinfo") == 0 || std::strcmp(name, ".gopclntab") == 0);
      }
    }
    elf_end(e);
  }
  close(fd);
  return go;
}

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<std::string> read_file(const std::string& path, size_t limit);

namespace {

// Threads blocked in a call right now, by call and fd kind. A call in flight since before the
// trace never completes while traced: thread-per-connection servers idle in read() or
// accept() show up only here.
std::vector<ParkedCalls> parked_calls(uint32_t pid, const std::map<int, FdKind>& kinds) {
  std::map<std::pair<int, FdKind>, uint32_t> by;
  for (const auto& tid : dir_entries(fmt::format("/proc/{}/task", pid))) {
    auto text = read_file(fmt::format("/proc/{}/task/{}/syscall", pid, tid), 4096);
    if (!text) continue;
    auto sc = parse_task_syscall(*text);
    if (!sc) continue;
    FdKind k = FdKind::none;
    if (syscall_has(k_native_arch, sc->nr, k_fd_arg0)) {  // this machine's numbers
      auto it = kinds.find(static_cast<int>(sc->arg0));
      k = it == kinds.end() ? FdKind::bad : it->second;
    }
    ++by[{sc->nr, k}];
  }
  std::vector<ParkedCalls> out;
  for (const auto& [key, n] : by) out.push_back({key.first, key.second, n});
  return out;
}

}  // namespace

std::optional<std::string> read_file(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out;
  char buf[65536];
  while (in && out.size() < limit) {
    in.read(buf, sizeof(buf));
    out.append(buf, static_cast<size_t>(in.gcount()));
  }
  return out;
}

std::optional<ProcStatus> read_status(uint32_t pid) {
  auto text = read_file(fmt::format("/proc/{}/status", pid));
  return text ? parse_status(*text) : std::nullopt;
}

std::optional<ProcStat> read_stat(uint32_t pid) {
  auto text = read_file(fmt::format("/proc/{}/stat", pid));
  return text ? parse_stat(*text) : std::nullopt;
}

namespace {

// The family of each socket in the process's network namespace, by inode.
struct SocketFamily {
  FdKind kind = FdKind::socket_other;
  bool listening = false;
};
std::map<uint64_t, SocketFamily> socket_families(uint32_t pid) {
  std::map<uint64_t, SocketFamily> out;
  const std::pair<const char*, FdKind> tables[] = {
      {"tcp", FdKind::tcp}, {"tcp6", FdKind::tcp}, {"udp", FdKind::udp}, {"udp6", FdKind::udp},
      {"unix", FdKind::unix_socket}};
  for (const auto& [table, kind] : tables) {
    auto text = read_file(fmt::format("/proc/{}/net/{}", pid, table), 64 << 20);
    if (!text) continue;
    const NetTable t = kind == FdKind::unix_socket ? NetTable::unix_sockets : NetTable::inet;
    for (const auto& s : parse_net_sockets(*text, t)) out[s.inode] = {kind, s.listening};
  }
  return out;
}

// A leader that called pthread_exit() is a zombie while its other threads run.
bool has_live_thread(uint32_t pid) {
  for (const auto& name : dir_entries(fmt::format("/proc/{}/task", pid))) {
    auto text = read_file(fmt::format("/proc/{}/task/{}/stat", pid, name));
    auto st = text ? parse_stat(*text) : std::nullopt;
    if (st && st->state != 'Z' && st->state != 'X') return true;
  }
  return false;
}

}  // namespace

void validate_target(uint32_t pid) {
  using K = TraceError::Kind;
  if (pid == 0) throw TraceError(K::target, "pid 0 is not a process", "give the pid of a running process");
  auto st = read_status(pid);
  if (!st)
    throw TraceError(K::target, fmt::format("no process with pid {}", pid),
                     "it may have exited; 'ps -e' or 'iotrace top' lists processes");
  if (st->tgid != pid)
    throw TraceError(K::target,
                     fmt::format("{} is a thread of process {}, not a process", pid, st->tgid),
                     fmt::format("attach to {}; all its threads are traced", st->tgid));
  if (pid == static_cast<uint32_t>(getpid()))
    throw TraceError(K::target, fmt::format("pid {} is iotrace itself", pid),
                     "give the pid of the process to watch");
  auto stat = read_stat(pid);
  if (stat && (stat->flags & k_pf_kthread))
    throw TraceError(K::target, fmt::format("pid {} ({}) is a kernel thread", pid, st->name),
                     "kernel threads make no syscalls; attach to a user-space process");
  if ((st->state == 'Z' || st->state == 'X') && !has_live_thread(pid))
    throw TraceError(K::target, fmt::format("pid {} ({}) is a zombie: it has exited", pid, st->name),
                     "its parent has not reaped it yet; there is nothing left to trace");
}

std::vector<uint32_t> descendants(uint32_t pid) {
  std::map<uint32_t, std::vector<uint32_t>> children;
  for (const auto& name : dir_entries("/proc")) {
    uint32_t p = 0;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    p = static_cast<uint32_t>(std::stoul(name));
    if (auto st = read_stat(p)) children[st->ppid].push_back(p);
  }
  std::vector<uint32_t> out;
  std::vector<uint32_t> todo{pid};
  std::set<uint32_t> seen{pid};
  while (!todo.empty()) {
    uint32_t p = todo.back();
    todo.pop_back();
    for (uint32_t c : children[p])
      if (seen.insert(c).second) {
        out.push_back(c);
        todo.push_back(c);
      }
  }
  return out;
}

bool process_alive(uint32_t pid, uint64_t start_ticks) {
  auto st = read_stat(pid);
  if (!st || (start_ticks && st->start_time_ticks != start_ticks)) return false;
  if (st->state == 'Z' || st->state == 'X') return has_live_thread(pid);
  return true;
}

std::string read_cgroup(uint32_t pid) {
  auto text = read_file(fmt::format("/proc/{}/cgroup", pid), 1 << 16);
  return text ? parse_cgroup(*text) : std::string();
}

std::vector<ProcStat> user_processes() {
  std::vector<ProcStat> out;
  for (const auto& name : dir_entries("/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto st = read_stat(static_cast<uint32_t>(std::stoul(name)));
    if (st && !(st->flags & k_pf_kthread) && st->state != 'Z' && st->state != 'X')
      out.push_back(std::move(*st));
  }
  return out;
}

bool fill_process(ProcessRecord& p) {
  auto stat = read_stat(p.pid);
  if (!stat || (p.start_time_ticks && stat->start_time_ticks != p.start_time_ticks)) return false;
  if ((stat->state == 'Z' || stat->state == 'X') && !has_live_thread(p.pid)) return false;
  p.start_time_ticks = stat->start_time_ticks;
  p.ppid = stat->ppid;
  p.comm = stat->comm;
  p.exe = read_link(fmt::format("/proc/{}/exe", p.pid));
  p.go_binary = is_go_binary(fmt::format("/proc/{}/exe", p.pid));
  if (auto st = read_status(p.pid)) {
    p.threads_now = st->threads;
    p.vm_rss_bytes = st->vm_rss_bytes;
    p.ns_pid = st->ns_pid;
  }
  if (auto lim = read_file(fmt::format("/proc/{}/limits", p.pid)))
    p.stack_rlimit_bytes = parse_stack_limit(*lim).value_or(0);

  const std::string fd_dir = fmt::format("/proc/{}/fd", p.pid);
  std::map<int, FdKind> kinds;
  std::map<int, uint64_t> socket_inodes;
  std::vector<int> epfds;
  p.open_fds = 0;
  p.sockets_open = 0;
  for (const auto& name : dir_entries(fd_dir)) {
    int fd = std::atoi(name.c_str());
    const std::string target = read_link(fd_dir + "/" + name);
    FdKind k = link_kind(target);
    kinds[fd] = k;
    ++p.open_fds;
    if (k == FdKind::socket_other) {
      ++p.sockets_open;
      socket_inodes[fd] = std::strtoull(target.c_str() + 8, nullptr, 10);  // "socket:[N]"
    }
    if (k == FdKind::epoll) epfds.push_back(fd);
  }
  // the interest lists tell a connection from a listener or a socketpair: name the sockets'
  // families and which of them listen
  std::set<int> listening;
  if (!epfds.empty() && !socket_inodes.empty()) {
    const auto families = socket_families(p.pid);
    for (const auto& [fd, ino] : socket_inodes)
      if (auto it = families.find(ino); it != families.end()) {
        kinds[fd] = it->second.kind;
        if (it->second.listening) listening.insert(fd);
      }
  }
  p.parked = parked_calls(p.pid, kinds);
  p.children = 0;
  for (const auto& task : dir_entries(fmt::format("/proc/{}/task", p.pid)))
    if (auto text = read_file(fmt::format("/proc/{}/task/{}/children", p.pid, task), 1 << 20))
      for (char ch : *text) p.children += ch == ' ';  // "PID PID " 
  p.epoll.clear();
  for (int epfd : epfds) {
    auto text = read_file(fmt::format("/proc/{}/fdinfo/{}", p.pid, epfd));
    if (!text) continue;
    EpollInstance inst;
    inst.epfd = epfd;
    inst.entries = parse_epoll_fdinfo(*text);
    for (auto& e : inst.entries) {
      auto it = kinds.find(e.tfd);
      e.kind = it == kinds.end() ? FdKind::other : it->second;
      e.listening = listening.count(e.tfd) > 0;
    }
    p.epoll.push_back(std::move(inst));
  }
  if (auto maps = read_file(fmt::format("/proc/{}/maps", p.pid))) {
    std::set<std::string> libs;
    for (const auto& m : parse_maps(*maps))
      if (m.exec && !m.path.empty() && m.path[0] == '/') libs.insert(basename_of(m.path));
    p.libraries.assign(libs.begin(), libs.end());
  }
  return true;
}

std::string thread_comm(uint32_t pid, uint32_t tid) {
  auto text = read_file(fmt::format("/proc/{}/task/{}/comm", pid, tid));
  if (!text) return {};
  if (!text->empty() && text->back() == '\n') text->pop_back();
  return *text;
}

std::string kernel_release() {
  struct utsname u {};
  uname(&u);
  return u.release;
}

}  // namespace iotrace::probes

namespace iotrace::probes {

std::vector<std::pair<uint32_t, std::string>> io_worker_tasks(uint32_t pid) {
  std::vector<std::pair<uint32_t, std::string>> out;
  for (const auto& name : dir_entries(fmt::format("/proc/{}/task", pid))) {
    uint32_t tid = 0;
    if (std::sscanf(name.c_str(), "%u", &tid) != 1) continue;
    std::string comm = thread_comm(pid, tid);
    // the kernel names the workers it creates; user space cannot rename a kernel worker
    if (comm.rfind("iou-wrk-", 0) == 0 || comm.rfind("iou-sqp-", 0) == 0) out.push_back({tid, comm});
  }
  return out;
}

}  // namespace iotrace::probes
