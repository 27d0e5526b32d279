// Thread per connection at scale: THREADS threads (default 10000, 64 KiB stacks) each block in
// read() on a shared "connection" pipe before "ready". After "go" the main thread writes one
// byte per thread; each thread reads its byte, makes exactly one getppid call, then blocks in
// read() on an idle pipe until the process exits. "done" once every thread made its call.
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <vector>

#include "workload_common.hpp"

static int g_conn[2], g_idle[2];
static std::atomic<int> g_called{0};

static void* serve(void*) {
  char c;
  if (read(g_conn[0], &c, 1) != 1) wl::die("read conn");
  syscall(SYS_getppid);
  g_called.fetch_add(1);
  while (read(g_idle[0], &c, 1) > 0) {
  }
  return nullptr;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 10000;
  if (pipe(g_conn) || pipe(g_idle)) wl::die("pipe");
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (int i = 0; i < threads; ++i) {
    pthread_t t;
    if (pthread_create(&t, &attr, serve, nullptr)) wl::die("pthread_create");
    pthread_detach(t);
  }
  wl::ready();
  wl::wait_go();
  std::vector<char> bytes(static_cast<size_t>(threads), 'x');
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = write(g_conn[1], bytes.data() + off, bytes.size() - off);
    if (n <= 0) wl::die("write conn");
    off += static_cast<size_t>(n);
  }
  while (g_called.load() < threads) usleep(1000);
  wl::done();
  wl::wait_stdin_eof();
  _exit(0);
}
