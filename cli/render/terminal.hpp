// The terminal: whether to colour, raw keyboard input for `iotrace top` (restored on every
// exit, signals included), and the window width.
#pragma once
#include <string>
#include <string_view>

namespace iotrace::cli {

// Colour only on a terminal, never with NO_COLOR set or TERM=dumb.
bool colour_on(int fd);
// SGR wrap: paint("ok", "32") -> "\x1b[32mok\x1b[0m" when on, "ok" otherwise.
std::string paint(std::string_view text, const char* sgr, bool on);
int terminal_columns(int fd, int fallback = 80);
int terminal_rows(int fd, int fallback = 24);

// Puts stdin in non-canonical, no-echo mode and hides the cursor; the destructor, an atexit
// handler and fatal signals all restore the terminal. One instance at a time.
class RawTerminal {
 public:
  RawTerminal();
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  bool active() const { return active_; }
  // A key pressed within timeout_ms, or -1.
  int read_key(int timeout_ms);

 private:
  bool active_ = false;
};

}  // namespace iotrace::cli
