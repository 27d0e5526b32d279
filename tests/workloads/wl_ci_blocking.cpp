// iotrace run: an epoll loop that sleeps 30 ms on the loop thread for every third request
// (blocking-call-on-loop, loop-stall). Arguments: forever, ignore-term, abort, exit=N.
#include "ci_loop.hpp"

int main(int argc, char** argv) { return ci::run_loop(ci::parse(argc, argv)); }
