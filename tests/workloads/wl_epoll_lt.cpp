// epoll, level-triggered: one thread, 8 connections, 400 echoed requests each.
#include "epoll_server.hpp"

int main() { return wl::run_epoll_server(false, false); }
