// A target that floods a tracer with rare events, to check that nothing is dropped uncounted.
//
//   flood_target stall ITERATIONS [--spin-ns NS] [--no-wait]
//   flood_target stacks CALLS [--depth D] [--no-wait]
//
// MODE stall:  a thread "stall-loop" runs an event loop: epoll_wait(timeout 0) on an epoll fd
//              whose only entry is an always-readable eventfd (level-triggered, never read),
//              then spins NS nanoseconds (default 2000) on the vDSO clock, ITERATIONS times.
//              It makes ITERATIONS + 1 waits, so exactly ITERATIONS iterations run from a wait's
//              return to the next wait's entry, each longer than NS: with a stall threshold
//              below NS (iotrace attach --stall-threshold 1us) every one is a stall.
// MODE stacks: a thread "stack-flood" waits once in epoll_wait (which makes it an event-loop
//              thread to iotrace), then makes CALLS pread64()s of 1 byte of a regular file (a
//              call that can block a loop: flagged), each from one of 2^D distinct call stacks
//              (D levels of recursion through two functions, path i % 2^D; default D 14:
//              16384 stacks, four times iotrace's stack map).
//
// Protocol (as syscall_loop's):
//   stdout: "ready pid=PID"
//   stdin:  "go"            (skipped with --no-wait)
//   stdout: "result mode=stall tid=TID iterations=N waits=W spin_ns=S elapsed_ns=T per_s=R"
//           "result mode=stacks tid=TID calls=N preads=N paths=P depth=D elapsed_ns=T per_s=R"
//   then it waits for EOF on stdin before exiting (with --no-wait it exits at once). The flood
//   thread makes no other call after its counted ones: it only exits.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

#define NOIPA __attribute__((noipa))

namespace {

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: not a syscall
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "flood_target: error: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

struct Result {
  long tid = 0;
  uint64_t iterations = 0;  // stall: complete iterations
  uint64_t waits = 0;       // epoll_wait calls made by the flood thread
  uint64_t preads = 0;      // stacks: pread64 calls that returned 1
  uint64_t elapsed_ns = 0;
};

// ---- stall ---------------------------------------------------------------------------------

void stall_loop(uint64_t iterations, uint64_t spin_ns, Result& r) {
  prctl(PR_SET_NAME, "stall-loop");
  int efd = eventfd(1, EFD_CLOEXEC);  // counter 1, never read: always readable
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (efd < 0 || ep < 0) die("eventfd/epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0) die("epoll_ctl");
  r.tid = syscall(SYS_gettid);
  epoll_event out[4];
  uint64_t t0 = now_ns();
  if (epoll_wait(ep, out, 4, 0) != 1) die("epoll_wait");  // opens the first iteration
  ++r.waits;
  for (uint64_t i = 0; i < iterations; ++i) {
    uint64_t start = now_ns();
    while (now_ns() - start < spin_ns) {
    }
    if (epoll_wait(ep, out, 4, 0) != 1) die("epoll_wait");  // closes iteration i
    ++r.waits;
    ++r.iterations;
  }
  r.elapsed_ns = now_ns() - t0;
  // closing the fds would be calls on a loop thread after its last wait: leave them to exit
}

// ---- stacks --------------------------------------------------------------------------------

int g_file = -1;
volatile uint64_t g_preads = 0;
volatile uint64_t g_sink_a = 0, g_sink_b = 0;

NOIPA void leaf() {
  char byte;
  if (syscall(SYS_pread64, g_file, &byte, 1, 0) == 1) g_preads = g_preads + 1;
}

NOIPA void node_b(uint32_t path, int depth);

// Two functions that recurse into each other or themselves by one bit of the path per level:
// the return addresses on the stack spell the path, so 2^depth paths are 2^depth stacks. The
// store after each call keeps it from being a tail call, and makes the two bodies differ.
NOIPA void node_a(uint32_t path, int depth) {
  if (depth == 0) leaf();
  else if (path & 1) node_a(path >> 1, depth - 1);
  else node_b(path >> 1, depth - 1);
  g_sink_a = g_sink_a + 1;
}

NOIPA void node_b(uint32_t path, int depth) {
  if (depth == 0) leaf();
  else if (path & 1) node_a(path >> 1, depth - 1);
  else node_b(path >> 1, depth - 1);
  g_sink_b = g_sink_b + 2;
}

void stack_flood(uint64_t calls, int depth, Result& r) {
  prctl(PR_SET_NAME, "stack-flood");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  r.tid = syscall(SYS_gettid);
  epoll_event out[1];
  uint64_t t0 = now_ns();
  epoll_wait(ep, out, 1, 0);  // from now on iotrace checks this thread's calls
  r.waits = 1;
  uint32_t mask = (1u << depth) - 1;
  for (uint64_t i = 0; i < calls; ++i) node_a(static_cast<uint32_t>(i) & mask, depth);
  r.elapsed_ns = now_ns() - t0;
  r.preads = g_preads;
}

bool wait_for_go() {
  char line[64];
  while (std::fgets(line, sizeof line, stdin))
    if (std::strncmp(line, "go", 2) == 0) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: flood_target stall ITERATIONS [--spin-ns NS] [--no-wait]\n"
                 "       flood_target stacks CALLS [--depth D] [--no-wait]\n");
    return 64;
  }
  std::string mode = argv[1];
  uint64_t n = std::strtoull(argv[2], nullptr, 10);
  uint64_t spin_ns = 2000;
  int depth = 14;
  bool no_wait = false;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-wait") no_wait = true;
    else if (a == "--spin-ns" && i + 1 < argc) spin_ns = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--depth" && i + 1 < argc) depth = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "flood_target: error: unknown argument '%s'\n", argv[i]);
      return 64;
    }
  }
  if ((mode != "stall" && mode != "stacks") || n == 0 || depth < 0 || depth > 24) {
    std::fprintf(stderr, "flood_target: error: invalid mode '%s', count '%s' or depth\n", argv[1],
                 argv[2]);
    return 64;
  }
  if (mode == "stacks") {
    char path[] = "/tmp/flood_target-XXXXXX";
    g_file = mkstemp(path);
    if (g_file < 0) die("mkstemp");
    unlink(path);
    if (write(g_file, "x", 1) != 1) die("write");
  }
  std::printf("ready pid=%d\n", getpid());
  std::fflush(stdout);
  if (!no_wait && !wait_for_go()) return 3;

  Result r;
  std::thread t([&] {
    if (mode == "stall") stall_loop(n, spin_ns, r);
    else stack_flood(n, depth, r);
  });
  t.join();
  double per_s = r.elapsed_ns ? 1e9 * static_cast<double>(n) / static_cast<double>(r.elapsed_ns) : 0;
  if (mode == "stall")
    std::printf("result mode=stall tid=%ld iterations=%llu waits=%llu spin_ns=%llu elapsed_ns=%llu "
                "per_s=%.0f\n",
                r.tid, static_cast<unsigned long long>(r.iterations),
                static_cast<unsigned long long>(r.waits), static_cast<unsigned long long>(spin_ns),
                static_cast<unsigned long long>(r.elapsed_ns), per_s);
  else
    std::printf("result mode=stacks tid=%ld calls=%llu preads=%llu paths=%llu depth=%d "
                "elapsed_ns=%llu per_s=%.0f\n",
                r.tid, static_cast<unsigned long long>(n), static_cast<unsigned long long>(r.preads),
                1ull << depth, depth, static_cast<unsigned long long>(r.elapsed_ns), per_s);
  std::fflush(stdout);
  if (!no_wait) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, stdin)) {
    }
  }
  return 0;
}
