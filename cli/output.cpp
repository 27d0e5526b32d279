#include "cli/output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "cli/errors.hpp"

namespace iotrace::cli {
namespace {

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void write_output(const std::string& path, const std::string& content) {
  if (path == "-") {
    write_stdout(content);
    return;
  }
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = fmt::format("{}/.{}.XXXXXX", dir, base);
  std::string tmpl = tmp;
  int fd = mkstemp(tmpl.data());  // O_EXCL: a planted symlink cannot redirect the write
  if (fd < 0)
    throw UsageError(fmt::format("cannot write '{}': {}", path, strerror(errno)),
                     "check that the directory exists and is writable");
  bool ok = write_all(fd, content) && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  // rename() replaces a symlink at path itself, never the file it points to.
  if (!ok || rename(tmpl.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmpl.c_str());
    throw UsageError(fmt::format("cannot write '{}': {}", path, strerror(err)));
  }
}

bool write_stdout(const std::string& content) {
  fflush(stdout);
  return write_all(1, content);
}

}  // namespace iotrace::cli

#include <fstream>
#include <sstream>

namespace iotrace::cli {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot read '{}': {}", path, strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace iotrace::cli
