#include "cli/render/terminal.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace iotrace::cli {
namespace {

struct termios g_saved;
volatile sig_atomic_t g_raw = 0;
constexpr char k_show_cursor[] = "\x1b[?25h";
constexpr char k_hide_cursor[] = "\x1b[?25l";

// Async-signal-safe: tcsetattr and write only.
void restore_terminal() {
  if (!g_raw) return;
  g_raw = 0;
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved);
  (void)!write(STDOUT_FILENO, k_show_cursor, sizeof(k_show_cursor) - 1);
}

// Fatal signals other than the ones cli/signals.cpp turns into a stop: restore, then die of
// the same signal so the parent sees it.
void on_fatal(int sig) {
  restore_terminal();
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

bool colour_on(int fd) {
  if (!isatty(fd)) return false;
  const char* nc = getenv("NO_COLOR");
  if (nc && *nc) return false;
  const char* term = getenv("TERM");
  return !(term && std::strcmp(term, "dumb") == 0);
}

std::string paint(std::string_view text, const char* sgr, bool on) {
  if (!on || !sgr || !*sgr) return std::string(text);
  return std::string("\x1b[") + sgr + "m" + std::string(text) + "\x1b[0m";
}

int terminal_columns(int fd, int fallback) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return fallback;
}

int terminal_rows(int fd, int fallback) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws.ws_row;
  return fallback;
}

RawTerminal::RawTerminal() {
  if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &g_saved) != 0) return;
  static bool registered = false;
  if (!registered) {
    registered = true;
    atexit(restore_terminal);
    for (int sig : {SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(sig, on_fatal);
  }
  termios raw = g_saved;
  // No ISIG: Ctrl-C arrives as a key and ends the view like q, so the terminal is always
  // restored on the way out (a second SIGINT would _exit past every handler).
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) return;
  g_raw = 1;
  active_ = true;
  (void)!write(STDOUT_FILENO, k_hide_cursor, sizeof(k_hide_cursor) - 1);
}

RawTerminal::~RawTerminal() { restore_terminal(); }

int RawTerminal::read_key(int timeout_ms) {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0 || !(p.revents & POLLIN)) return -1;
  unsigned char c = 0;
  if (read(STDIN_FILENO, &c, 1) != 1) return -1;
  return c;
}

}  // namespace iotrace::cli
