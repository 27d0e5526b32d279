// Shared by the test workloads: the start handshake and small helpers.
//
// Protocol: the workload prints "ready <pid>\n" on stdout once set up, waits for a line on
// stdin ("go"), does its counted work, prints "done\n", then waits for stdin to close (so the
// tracer can read its state) unless it was asked to exit at once.
#pragma once
#include <cstdint>
#include <string>

namespace wl {

void ready();           // prints "ready <pid>" and flushes
void wait_go();         // blocks until a line arrives on stdin
void done();            // prints "done" and flushes
void wait_stdin_eof();  // blocks until stdin closes
uint64_t now_ns();
// A connected TCP pair on loopback: fds[0] client, fds[1] server side.
void tcp_pair(int fds[2]);
int tcp_listener(uint16_t* port);  // bound to 127.0.0.1:0
int tcp_connect(uint16_t port);
void set_nonblock(int fd);
[[noreturn]] void die(const char* what);
void name_thread(const char* name);

}  // namespace wl
