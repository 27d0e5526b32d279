// iotrace run: the twin of wl_ci_blocking with the 30 ms of work on a worker thread; the loop
// only waits for its completion in epoll_wait, so nothing blocks it.
#include "ci_loop.hpp"

int main(int argc, char** argv) {
  ci::Options o = ci::parse(argc, argv);
  o.offload = true;
  return ci::run_loop(o);
}
