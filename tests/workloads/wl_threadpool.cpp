// A thread pool doing blocking file reads for an epoll loop: the loop (main thread) reads a
// request from a connection and queues a job; one of 4 "pool" threads preads 4 KiB of a
// file and posts the result back through an eventfd; the loop writes the reply.
// 8 connections, 300 requests each.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "epoll_server.hpp"

namespace {

struct Queue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<int> jobs, results;
  bool stop = false;
};

void pool_thread(Queue* q, int file, int efd) {
  wl::name_thread("pool");
  char buf[4096];
  unsigned seed = 1;
  while (true) {
    int fd;
    {
      std::unique_lock lk(q->mu);
      q->cv.wait(lk, [&] { return q->stop || !q->jobs.empty(); });
      if (q->jobs.empty()) return;
      fd = q->jobs.front();
      q->jobs.pop_front();
    }
    off_t off = static_cast<off_t>(rand_r(&seed) % 256) * 4096;
    if (pread(file, buf, sizeof(buf), off) != sizeof(buf)) wl::die("pread");
    {
      std::lock_guard lk(q->mu);
      q->results.push_back(fd);
    }
    uint64_t one = 1;
    if (write(efd, &one, sizeof(one)) != sizeof(one)) wl::die("eventfd write");
  }
}

}  // namespace

int main() {
  constexpr int k_conns = 8, k_threads = 4;
  char path[] = "/var/tmp/iotrace-wl-pool-XXXXXX";
  int file = mkstemp(path);
  if (file < 0) wl::die("mkstemp");
  unlink(path);
  static char block[4096];
  memset(block, 'f', sizeof(block));
  for (int i = 0; i < 256; ++i)
    if (write(file, block, sizeof(block)) != sizeof(block)) wl::die("write");
  uint16_t port = 0;
  int l = wl::tcp_listener(&port);
  wl::set_nonblock(l);
  wl::LoadClient client({port, k_conns, 300});
  int ep = epoll_create1(0);
  int efd = eventfd(0, EFD_NONBLOCK);
  wl::epoll_add(ep, l, EPOLLIN);
  wl::epoll_add(ep, efd, EPOLLIN);
  Queue q;
  std::vector<std::thread> pool;
  for (int i = 0; i < k_threads; ++i) pool.emplace_back(pool_thread, &q, file, efd);
  wl::ready();
  wl::wait_go();
  client.go();
  int closed = 0;
  char req[4096];
  epoll_event evs[64];
  while (closed < k_conns) {
    int n = epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == l) {
        int c;
        while ((c = accept4(l, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) wl::epoll_add(ep, c, EPOLLIN);
      } else if (fd == efd) {
        uint64_t v;
        if (read(efd, &v, sizeof(v)) != sizeof(v)) continue;
        std::deque<int> done;
        {
          std::lock_guard lk(q.mu);
          done.swap(q.results);
        }
        std::memset(req, 'p', 64);
        for (int c : done)
          if (write(c, req, 64) != 64) wl::die("reply");
      } else {
        ssize_t got = read(fd, req, sizeof(req));
        if (got > 0) {
          std::lock_guard lk(q.mu);
          q.jobs.push_back(fd);
          q.cv.notify_one();
        } else if (got == 0) {
          close(fd);
          ++closed;
        }
      }
    }
  }
  {
    std::lock_guard lk(q.mu);
    q.stop = true;
  }
  q.cv.notify_all();
  for (auto& t : pool) t.join();
  client.wait();
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
