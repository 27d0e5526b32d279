// Rust symbol names made readable. __cxa_demangle leaves Rust's legacy names half-done (the
// hash suffix, $LT$-style escapes, and any .llvm.N suffix defeat it) and cannot read the v0
// scheme (_R...) that std is built with; tokio and most crates still use the legacy one.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace iotrace {

// A readable name for a Rust symbol (legacy _ZN...E or v0 _R... paths), or nullopt when the
// name is not one this understands (callers fall back to the C++ demangler).
std::optional<std::string> demangle_rust(std::string_view mangled);

}  // namespace iotrace
