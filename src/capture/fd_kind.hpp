// Kinds of file an fd can refer to. The numbers match bpf/iotrace_abi.h (probes/ checks this).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace iotrace {

enum class FdKind : uint8_t {
  none = 0,
  bad = 1,
  tcp = 2,
  udp = 3,
  unix_socket = 4,
  socket_other = 5,
  regular = 6,
  pipe = 7,
  chardev = 8,
  blockdev = 9,
  directory = 10,
  eventfd = 11,
  timerfd = 12,
  signalfd = 13,
  epoll = 14,
  io_uring = 15,
  anon_other = 16,
  other = 17,
};
inline constexpr int k_fd_kind_count = 18;

// Stable identifier used in JSON and text ("tcp", "regular", "eventfd", ...).
std::string_view fd_kind_name(FdKind kind);
std::optional<FdKind> fd_kind_from_name(std::string_view name);
bool is_socket(FdKind kind);

}  // namespace iotrace
