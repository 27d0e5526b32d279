// Linux AIO file reader: O_DIRECT reads of a 4 MiB file through io_submit, 8 iocbs per call,
// completions collected with io_getevents (raw syscalls, no libaio). 300 batches.
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "workload_common.hpp"

int main() {
  constexpr int k_batch = 8, k_batches = 300, k_block = 4096, k_file_blocks = 1024;
  char path[] = "/var/tmp/iotrace-wl-aio-XXXXXX";
  int wfd = mkstemp(path);
  if (wfd < 0) wl::die("mkstemp");
  static char block[k_block];
  memset(block, 'a', sizeof(block));
  for (int i = 0; i < k_file_blocks; ++i)
    if (write(wfd, block, sizeof(block)) != k_block) wl::die("write");
  fsync(wfd);
  int fd = open(path, O_RDONLY | O_DIRECT);
  if (fd < 0) fd = open(path, O_RDONLY);  // a filesystem without O_DIRECT: still AIO calls
  unlink(path);
  close(wfd);
  void* mem = nullptr;
  if (posix_memalign(&mem, k_block, k_block * k_batch)) wl::die("posix_memalign");
  char* bufs = static_cast<char*>(mem);
  aio_context_t ctx = 0;
  if (syscall(SYS_io_setup, 64, &ctx)) wl::die("io_setup");
  wl::ready();
  wl::wait_go();
  iocb cbs[k_batch];
  iocb* ptrs[k_batch];
  io_event events[k_batch];
  for (int b = 0; b < k_batches; ++b) {
    for (int i = 0; i < k_batch; ++i) {
      memset(&cbs[i], 0, sizeof(iocb));
      cbs[i].aio_fildes = static_cast<uint32_t>(fd);
      cbs[i].aio_lio_opcode = IOCB_CMD_PREAD;
      cbs[i].aio_buf = reinterpret_cast<uint64_t>(bufs + i * k_block);
      cbs[i].aio_nbytes = k_block;
      cbs[i].aio_offset = static_cast<int64_t>(((b * k_batch + i) * 37 % k_file_blocks) * k_block);
      ptrs[i] = &cbs[i];
    }
    if (syscall(SYS_io_submit, ctx, k_batch, ptrs) != k_batch) wl::die("io_submit");
    for (int got = 0; got < k_batch;) {
      long n = syscall(SYS_io_getevents, ctx, 1, k_batch, events, nullptr);
      if (n < 0) wl::die("io_getevents");
      got += static_cast<int>(n);
    }
  }
  syscall(SYS_io_destroy, ctx);
  wl::done();
  wl::wait_stdin_eof();
  return 0;
}
