#include "src/capture/fd_kind.hpp"

#include <array>

namespace iotrace {
namespace {
constexpr std::array<std::string_view, k_fd_kind_count> k_names = {
    "none",    "bad-fd",  "tcp",       "udp",      "unix",    "socket",
    "regular", "pipe",    "chardev",   "blockdev", "dir",     "eventfd",
    "timerfd", "signalfd", "epoll",    "io_uring", "anon",    "other",
};
}

std::string_view fd_kind_name(FdKind kind) {
  auto i = static_cast<size_t>(kind);
  return i < k_names.size() ? k_names[i] : "other";
}

std::optional<FdKind> fd_kind_from_name(std::string_view name) {
  for (size_t i = 0; i < k_names.size(); ++i)
    if (k_names[i] == name) return static_cast<FdKind>(i);
  return std::nullopt;
}

bool is_socket(FdKind kind) {
  return kind == FdKind::tcp || kind == FdKind::udp || kind == FdKind::unix_socket ||
         kind == FdKind::socket_other;
}

}  // namespace iotrace
