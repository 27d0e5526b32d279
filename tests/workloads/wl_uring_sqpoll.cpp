// io_uring with IORING_SETUP_SQPOLL: a kernel thread (iou-sqp-<pid>) submits the SQEs; the
// loop enters io_uring_enter only to wait for completions. 8 connections, 400 requests each.
#include "uring_server.hpp"

int main() { return wl::run_uring_server(true); }
