// A process with many threads that each wake up now and then, for measuring what iotrace itself
// costs (attach time, memory, CPU) as the number of target threads grows.
//
//   threads_target THREADS [SLEEP_MS]
//
// Starts THREADS threads in total (the main thread included); each wakes every SLEEP_MS
// (default 100): the others in nanosleep(), main in poll() on stdin, so every thread shows up in
// the trace with a few syscalls. Prints "ready pid=PID threads=N" once all are running, then
// exits at EOF on stdin.
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_running{0};
long g_sleep_ms = 100;

void* worker(void*) {
  g_running.fetch_add(1);
  timespec ts{g_sleep_ms / 1000, (g_sleep_ms % 1000) * 1000000L};
  while (!g_stop.load(std::memory_order_relaxed)) nanosleep(&ts, nullptr);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: threads_target THREADS [SLEEP_MS]\n");
    return 64;
  }
  int threads = std::atoi(argv[1]);
  if (argc > 2) g_sleep_ms = std::atol(argv[2]);
  if (threads < 1 || g_sleep_ms < 1) {
    std::fprintf(stderr, "threads_target: error: THREADS and SLEEP_MS must be positive\n");
    return 64;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);  // 1,000 threads stay small
  std::vector<pthread_t> ids(static_cast<size_t>(threads - 1));
  for (auto& id : ids) {
    int rc = pthread_create(&id, &attr, worker, nullptr);
    if (rc != 0) {
      std::fprintf(stderr, "threads_target: error: pthread_create: %s\n", std::strerror(rc));
      return 2;
    }
  }
  while (g_running.load() < threads - 1) usleep(1000);
  std::printf("ready pid=%d threads=%d\n", getpid(), threads);
  std::fflush(stdout);
  char buf[256];
  for (;;) {
    pollfd p{0, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(g_sleep_ms));
    if (n > 0 && read(0, buf, sizeof buf) <= 0) break;  // EOF (or error): done
  }
  g_stop = true;
  for (auto& id : ids) pthread_join(id, nullptr);
  return 0;
}
