// epoll, edge-triggered (reads drain to EAGAIN): one thread, 8 connections, 400 echoed
// requests each. With argument "preconnect" every connection is accepted and registered
// before "ready", so no epoll_ctl happens while traced.
#include <cstring>

#include "epoll_server.hpp"

int main(int argc, char** argv) {
  bool preconnect = argc > 1 && strcmp(argv[1], "preconnect") == 0;
  return wl::run_epoll_server(true, preconnect);
}
