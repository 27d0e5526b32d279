// A process whose only job is to make cheap syscalls in a tight loop and time them, so the cost
// a tracer adds per syscall can be read off directly.
//
//   syscall_loop MODE CALLS [--no-wait]
//
// MODE getppid: CALLS x syscall(SYS_getppid).
// MODE read:    1-byte read()s on a UNIX socketpair; the same thread refills the socket with one
//               4096-byte write() per 4096 reads, so 99.98% of the calls are 1-byte reads.
// MODE pingpong: CALLS/2 round trips of one byte with a forked child over two pipes. On one CPU
//               every read blocks, so each syscall comes with a context switch: this prices the
//               scheduler hooks (sched_switch, sched_wakeup) as well as the syscall hooks.
//
// Protocol (line based, so a driver can attach a tracer before the loop starts):
//   stdout: "ready pid=PID tid=TID"
//   stdin:  "go"            (skipped with --no-wait)
//   stdout: "result mode=MODE calls=N getppid=G reads=R writes=W elapsed_ns=T ns_per_call=X
//            cpu_ns_per_call=Y invol_cs=I vol_cs=V"  (wall clock and this thread's CPU time;
//            context switches during the loop, to show when it was preempted or blocked)
//   then it waits for EOF on stdin before exiting, so a tracer can be stopped while the target
//   is still alive (with --no-wait it exits at once).
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

constexpr long k_chunk_bytes = 4096;

struct Counts {
  uint64_t getppid = 0;
  uint64_t reads = 0;
  uint64_t writes = 0;
};

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: not a syscall, so not traced
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);  // a real syscall, made once on each side
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "syscall_loop: error: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

void loop_getppid(uint64_t calls, Counts& c) {
  for (uint64_t i = 0; i < calls; ++i) syscall(SYS_getppid);
  c.getppid = calls;
}

void loop_read(uint64_t calls, Counts& c) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) die("socketpair");
  static char chunk[k_chunk_bytes];
  std::memset(chunk, 'x', sizeof chunk);
  char byte = 0;
  uint64_t done = 0;
  while (done < calls) {
    if (write(sv[1], chunk, sizeof chunk) != k_chunk_bytes) die("write");
    ++c.writes;
    ++done;
    for (long i = 0; i < k_chunk_bytes && done < calls; ++i, ++done) {
      if (read(sv[0], &byte, 1) != 1) die("read");
      ++c.reads;
    }
  }
  close(sv[0]);
  close(sv[1]);
}

// Each round trip is 4 syscalls: parent write + read, child read + write (only the parent's two
// are counted in calls; ns_per_call is per syscall of the pair, i.e. elapsed / (2 * trips)).
void loop_pingpong(uint64_t calls, Counts& c) {
  int ab[2], ba[2];
  if (pipe(ab) != 0 || pipe(ba) != 0) die("pipe");
  pid_t child = fork();
  if (child < 0) die("fork");
  char byte = 0;
  if (child == 0) {
    close(ab[1]);
    close(ba[0]);
    while (read(ab[0], &byte, 1) == 1) {
      if (write(ba[1], &byte, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  close(ab[0]);
  close(ba[1]);
  for (uint64_t i = 0; i < calls / 2; ++i) {
    if (write(ab[1], &byte, 1) != 1) die("write");
    if (read(ba[0], &byte, 1) != 1) die("read");
    ++c.writes;
    ++c.reads;
  }
  close(ab[1]);  // the child reads EOF and exits
  waitpid(child, nullptr, 0);
  close(ba[0]);
}

bool wait_for_go() {
  char line[64];
  while (std::fgets(line, sizeof line, stdin)) {
    if (std::strncmp(line, "go", 2) == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: syscall_loop getppid|read|pingpong CALLS [--no-wait]\n");
    return 64;
  }
  std::string mode = argv[1];
  uint64_t calls = std::strtoull(argv[2], nullptr, 10);
  bool no_wait = argc > 3 && std::strcmp(argv[3], "--no-wait") == 0;
  if ((mode != "getppid" && mode != "read" && mode != "pingpong") || calls == 0) {
    std::fprintf(stderr, "syscall_loop: error: invalid mode '%s' or call count '%s'\n", argv[1],
                 argv[2]);
    return 64;
  }
  std::printf("ready pid=%d tid=%ld\n", getpid(), syscall(SYS_gettid));
  std::fflush(stdout);
  if (!no_wait && !wait_for_go()) return 3;

  Counts c;
  rusage ru0{}, ru1{};
  getrusage(RUSAGE_THREAD, &ru0);
  uint64_t c0 = thread_cpu_ns();
  uint64_t t0 = now_ns();
  if (mode == "getppid") loop_getppid(calls, c);
  else if (mode == "read") loop_read(calls, c);
  else loop_pingpong(calls, c);
  uint64_t elapsed = now_ns() - t0;
  uint64_t cpu = thread_cpu_ns() - c0;
  getrusage(RUSAGE_THREAD, &ru1);
  uint64_t total = c.getppid + c.reads + c.writes;

  std::printf("result mode=%s calls=%llu getppid=%llu reads=%llu writes=%llu elapsed_ns=%llu "
              "ns_per_call=%.1f cpu_ns_per_call=%.1f invol_cs=%ld vol_cs=%ld\n",
              mode.c_str(), static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(c.getppid), static_cast<unsigned long long>(c.reads),
              static_cast<unsigned long long>(c.writes), static_cast<unsigned long long>(elapsed),
              static_cast<double>(elapsed) / static_cast<double>(total),
              static_cast<double>(cpu) / static_cast<double>(total), ru1.ru_nivcsw - ru0.ru_nivcsw,
              ru1.ru_nvcsw - ru0.ru_nvcsw);
  std::fflush(stdout);
  if (!no_wait) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, stdin)) {
    }
  }
  return 0;
}
