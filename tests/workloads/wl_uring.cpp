// io_uring (liburing): accept, recv, send and close through the ring, waiting for completions
// in io_uring_enter. One thread, 8 connections, 400 echoed requests each.
#include "uring_server.hpp"

int main() { return wl::run_uring_server(false); }
