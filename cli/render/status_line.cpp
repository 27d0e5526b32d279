#include "cli/render/status_line.hpp"

#include <unistd.h>

#include "cli/render/terminal.hpp"

namespace iotrace::cli {
namespace {
void put(int fd, const std::string& s) { (void)!write(fd, s.data(), s.size()); }
}  // namespace

StatusLine::StatusLine(int fd) : fd_(fd), enabled_(isatty(fd) != 0) {}

void StatusLine::show(const std::string& text) {
  if (!enabled_) return;
  size_t width = static_cast<size_t>(terminal_columns(fd_)) - 1;  // never wrap
  put(fd_, "\r" + (text.size() > width ? text.substr(0, width) : text) + "\x1b[K");
  shown_ = true;
}

void StatusLine::clear() {
  if (!enabled_ || !shown_) return;
  put(fd_, "\r\x1b[K");
  shown_ = false;
}

}  // namespace iotrace::cli
