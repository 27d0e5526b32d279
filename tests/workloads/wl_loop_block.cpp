// An epoll server whose request handler does one kind of work, chosen by argv[1]:
//   disk    pread of a file after posix_fadvise(DONTNEED) (goes to the disk)
//   fsync   write + fsync of a file
//   sleep   a 30 ms nanosleep
//   dns     getaddrinfo() against a resolver that answers after 30 ms (a private mount
//           namespace whose resolv.conf points at a UDP responder on 127.0.0.1:53)
//   mutex   lock a mutex another thread holds for ~30 ms at a time
//   cpu     50 ms of computation
//   inlined a 30 ms nanosleep in a helper the compiler inlines (always_inline): the helper's
//           frame exists only in the DWARF (DW_TAG_inlined_subroutine)
//   healthy nothing but the reply
// With argv[2] == "offload" the same work runs on a pool of two worker threads and the loop
// only hands it over and replies when the pool signals completion (an eventfd).
// After "go", a client process sends 12 requests, one at a time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "workload_common.hpp"

namespace {

std::string g_mode;
int g_file = -1;
std::mutex g_contended;
std::atomic<bool> g_stop{false};
constexpr int k_requests = 12;

void sleep_ms(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, nullptr);
}

}  // namespace

extern "C" {

__attribute__((noinline)) void handle_disk_read() {
  char* buf = static_cast<char*>(aligned_alloc(4096, 1 << 20));
  posix_fadvise(g_file, 0, 0, POSIX_FADV_DONTNEED);
  if (pread(g_file, buf, 1 << 20, 0) < 0) wl::die("pread");
  free(buf);
}

__attribute__((noinline)) void handle_fsync() {
  if (write(g_file, "record\n", 7) != 7) wl::die("write");
  fsync(g_file);
}

__attribute__((noinline)) void handle_sleep() { sleep_ms(30); }

__attribute__((always_inline)) inline void wait_for_backend() { sleep_ms(30); }

__attribute__((noinline)) void handle_inlined_wait() {
  wait_for_backend();
  asm volatile("" ::: "memory");  // keep the frame
}

__attribute__((noinline)) void handle_dns() {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo("slow.iotrace.test", "80", &hints, &res) == 0) freeaddrinfo(res);
}

__attribute__((noinline)) void handle_mutex() {
  std::lock_guard<std::mutex> lock(g_contended);
}

__attribute__((noinline)) void handle_cpu() {
  uint64_t until = wl::now_ns() + 50000000ull;
  volatile uint64_t x = 0;
  while (wl::now_ns() < until) x = x * 31 + 7;
}

__attribute__((noinline)) void handle_request() {
  if (g_mode == "disk") handle_disk_read();
  else if (g_mode == "fsync") handle_fsync();
  else if (g_mode == "sleep") handle_sleep();
  else if (g_mode == "dns") handle_dns();
  else if (g_mode == "mutex") handle_mutex();
  else if (g_mode == "cpu") handle_cpu();
  else if (g_mode == "inlined") handle_inlined_wait();
}

}  // extern "C"

namespace {

// A UDP responder on 127.0.0.1:53 that answers every query with REFUSED after 30 ms.
void slow_resolver(int sock) {
  unsigned char buf[512];
  while (true) {
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(sock, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 12) continue;
    sleep_ms(30);
    buf[2] = 0x81;  // response, recursion desired
    buf[3] = 0x85;  // recursion available, REFUSED
    sendto(sock, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
}

// Runs name resolution in a private mount namespace pointing at the slow resolver.
void setup_dns() {
  int sock = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(53);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof(a))) wl::die("bind 127.0.0.1:53");
  if (fork() == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the workload
    slow_resolver(sock);
    _exit(0);
  }
  close(sock);
  if (unshare(CLONE_NEWNS)) wl::die("unshare");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr)) wl::die("mount private");
  char path[] = "/tmp/iotrace-resolv-XXXXXX";
  int fd = mkstemp(path);
  const char conf[] = "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n";
  if (write(fd, conf, sizeof(conf) - 1) < 0) wl::die("write resolv.conf");
  close(fd);
  if (mount(path, "/etc/resolv.conf", nullptr, MS_BIND, nullptr)) wl::die("bind resolv.conf");
  unlink(path);
}

// Hands work to two worker threads through pipes: no locks are taken on the loop, so the
// offloaded variant's loop makes only non-blocking calls.
struct Pool {
  int jobs[2] = {-1, -1};  // loop -> workers: client fds
  int done[2] = {-1, -1};  // workers -> loop: client fds to answer (non-blocking read end)

  Pool() {
    if (pipe(jobs) || pipe(done)) wl::die("pipe");
    wl::set_nonblock(done[0]);
    wl::set_nonblock(jobs[1]);  // the loop never blocks handing work over
  }
  void worker(int i) {
    wl::name_thread(i == 0 ? "pool-0" : "pool-1");
    int fd;
    while (read(jobs[0], &fd, sizeof(fd)) == sizeof(fd)) {
      if (fd < 0) return;
      handle_request();
      if (write(done[1], &fd, sizeof(fd)) != sizeof(fd)) wl::die("done pipe");
    }
  }
};

void client(uint16_t port) {
  int fd = wl::tcp_connect(port);
  char c = 'q';
  for (int i = 0; i < k_requests; ++i) {
    if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) _exit(1);
    sleep_ms(5);
  }
  close(fd);
}

void serve(int lfd, Pool& pool, bool offload) {
  wl::name_thread("loop-main");
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.fd = pool.done[0];
  epoll_ctl(ep, EPOLL_CTL_ADD, pool.done[0], &ev);
  int served = 0;
  epoll_event events[16];
  while (served < k_requests) {
    int n = epoll_wait(ep, events, 16, 1000);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
        if (c < 0) continue;
        ev.data.fd = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
      } else if (fd == pool.done[0]) {
        int c;
        while (read(pool.done[0], &c, sizeof(c)) == sizeof(c)) {
          if (write(c, "r", 1) != 1) wl::die("reply");
          ++served;
        }
      } else {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r <= 0) {
          epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
          close(fd);
          continue;
        }
        if (offload) {
          if (write(pool.jobs[1], &fd, sizeof(fd)) != sizeof(fd)) wl::die("jobs pipe");
        } else {
          handle_request();
          if (write(fd, "r", 1) != 1) wl::die("reply");
          ++served;
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  g_mode = argc > 1 ? argv[1] : "healthy";
  bool offload = argc > 2 && strcmp(argv[2], "offload") == 0;
  char path[] = "/var/tmp/iotrace-wl-XXXXXX";  // not tmpfs: reads and fsync reach a disk
  g_file = mkstemp(path);
  unlink(path);
  std::string block(1 << 20, 'd');
  if (write(g_file, block.data(), block.size()) < 0) wl::die("write");
  fsync(g_file);
  if (g_mode == "dns") setup_dns();
  std::thread holder;
  if (g_mode == "mutex")
    holder = std::thread([] {
      wl::name_thread("lock-holder");
      while (!g_stop) {
        {
          std::lock_guard<std::mutex> lock(g_contended);
          sleep_ms(30);
        }
        sleep_ms(1);
      }
    });
  Pool pool;
  std::thread workers[2];
  if (offload)
    for (int i = 0; i < 2; ++i) workers[i] = std::thread(&Pool::worker, &pool, i);
  uint16_t port = 0;
  int lfd = wl::tcp_listener(&port);
  wl::set_nonblock(lfd);

  wl::ready();
  wl::wait_go();
  pid_t cl = fork();
  if (cl == 0) {
    client(port);
    _exit(0);
  }
  // The loop runs on its own thread so this one's handshake I/O is not loop work.
  std::thread loop(serve, lfd, std::ref(pool), offload);
  loop.join();
  waitpid(cl, nullptr, 0);
  g_stop = true;
  int stop = -1;
  for (auto& w : workers)
    if (w.joinable() && write(pool.jobs[1], &stop, sizeof(stop)) != sizeof(stop)) wl::die("stop");
  for (auto& w : workers)
    if (w.joinable()) w.join();
  if (holder.joinable()) holder.join();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
