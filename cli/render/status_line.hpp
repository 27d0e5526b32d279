// A one-line status on stderr, rewritten in place (\r) so a long trace never looks hung. Only
// on a terminal: piped or redirected stderr gets nothing.
#pragma once
#include <string>

namespace iotrace::cli {

class StatusLine {
 public:
  explicit StatusLine(int fd = 2);
  ~StatusLine() { clear(); }
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;
  bool enabled() const { return enabled_; }
  void show(const std::string& text);  // cut to the terminal's width
  void clear();                         // before anything else is printed

 private:
  int fd_;
  bool enabled_;
  bool shown_ = false;
};

}  // namespace iotrace::cli
