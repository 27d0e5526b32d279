// Errors from collection, classified so the CLI can pick the documented exit code.
#pragma once
#include <stdexcept>
#include <string>

namespace iotrace::probes {

class TraceError : public std::runtime_error {
 public:
  enum class Kind { environment, target, internal };
  TraceError(Kind kind, std::string what, std::string hint = {})
      : std::runtime_error(std::move(what)), kind_(kind), hint_(std::move(hint)) {}
  Kind kind() const { return kind_; }
  const std::string& hint() const { return hint_; }

 private:
  Kind kind_;
  std::string hint_;
};

}  // namespace iotrace::probes
