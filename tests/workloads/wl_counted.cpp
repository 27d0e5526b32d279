// Makes an exact, known set of calls after "go":
//   10,000 write(tcp) of 100 bytes and 10,000 read(tcp) of 100 bytes,
//   200 epoll_wait (epoll_pwait on arm64) on an epoll fd (timeout 0), 7 read(tcp) on an empty
//   non-blocking socket (EAGAIN), 3 pread64 of a regular file, and a thread created after "go"
//   ("late-thread")
//   that calls getppid 50 times.
// With argument "exit" it exits right after the work instead of waiting for stdin to close.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "workload_common.hpp"

static void late_thread() {
  wl::name_thread("late-thread");
  for (int i = 0; i < 50; ++i) syscall(SYS_getppid);
}

int main(int argc, char** argv) {
  bool exit_early = argc > 1 && strcmp(argv[1], "exit") == 0;
  int data[2], idle[2];
  wl::tcp_pair(data);
  wl::tcp_pair(idle);
  wl::set_nonblock(idle[1]);
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = data[1];
  epoll_ctl(ep, EPOLL_CTL_ADD, data[1], &ev);
  char path[] = "/tmp/iotrace-wl-XXXXXX";
  int file = mkstemp(path);
  unlink(path);
  char block[4096];
  memset(block, 'x', sizeof(block));
  if (write(file, block, sizeof(block)) != sizeof(block)) wl::die("write");

  wl::ready();
  wl::wait_go();

  char buf[100];
  memset(buf, 'a', sizeof(buf));
  for (int i = 0; i < 10000; ++i) {
    if (syscall(SYS_write, data[0], buf, 100) != 100) wl::die("write tcp");
    if (syscall(SYS_read, data[1], buf, 100) != 100) wl::die("read tcp");
  }
  epoll_event out[8];
#ifdef SYS_epoll_wait
  for (int i = 0; i < 200; ++i) syscall(SYS_epoll_wait, ep, out, 8, 0);
#else  // arm64 has only epoll_pwait: with no signal mask it is epoll_wait
  for (int i = 0; i < 200; ++i) syscall(SYS_epoll_pwait, ep, out, 8, 0, nullptr, 0);
#endif
  for (int i = 0; i < 7; ++i)
    if (syscall(SYS_read, idle[1], buf, 100) != -1) wl::die("expected EAGAIN");
  for (int i = 0; i < 3; ++i)
    if (syscall(SYS_pread64, file, block, 1000, 0) != 1000) wl::die("pread");
  std::thread t(late_thread);
  t.join();

  wl::done();
  if (exit_early) return 0;
  wl::wait_stdin_eof();
  return 0;
}
