// Writing reports: stdout, or a file replaced atomically (temporary file, then rename).
#pragma once
#include <string>

namespace iotrace::cli {

// Throws UsageError when the file cannot be written. Never follows a symlink at path.
void write_output(const std::string& path, const std::string& content);
// Returns false when stdout is closed (EPIPE): the reader went away, which is not an error.
bool write_stdout(const std::string& content);

}  // namespace iotrace::cli
