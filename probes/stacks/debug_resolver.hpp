// Names frames of a saved capture from separate debug files: those split off a binary with
// `objcopy --only-keep-debug`, or installed by a distribution's -dbgsym/-dbg packages. Works
// after the traced process is gone: it needs only the frame's build-id, path and offset
// (Frame::offset is an address in the file's own address space, which a debug file shares).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/capture/capture.hpp"

namespace iotrace::probes {

// Where a debug file for a binary may be under dir, in the order they are tried: the
// build-id layout (dir/.build-id/xx/rest.debug), then the binary's .gnu_debuglink name as
// dir/NAME, dir/.debug/NAME and dir/<the binary's directory>/NAME (gdb's
// debug-file-directory layout, e.g. /usr/lib/debug/usr/sbin/nginx.debug).
std::vector<std::string> debug_file_candidates(const std::string& dir, const std::string& build_id,
                                               const std::string& binary_path,
                                               const std::string& debuglink);

// The CRC-32 that .gnu_debuglink records for its file (zlib's polynomial).
uint32_t debuglink_crc32(const unsigned char* data, size_t len, uint32_t crc = 0);

struct DebugResolveStats {
  size_t unnamed = 0;  // native frames without a symbol before
  size_t named = 0;    // of those, named from a debug file
  size_t renamed = 0;  // named ones whose debug file has a closer function (.dynsym lacks static ones)
  size_t lines = 0;    // frames given a source file and line
  size_t inlined = 0;  // inlined frames added (functions the compiler inlined into a frame)
  std::vector<std::string> not_found;  // build-ids (or paths) with no debug file in the dirs
};

class DebugResolver {
 public:
  // binaries: also read DWARF from the traced binaries themselves (their path in the frame),
  // for programs built with debug information.
  explicit DebugResolver(std::vector<std::string> dirs, bool binaries = false);
  ~DebugResolver();
  DebugResolver(const DebugResolver&) = delete;
  DebugResolver& operator=(const DebugResolver&) = delete;

  // Resolves every native frame of the capture's stacks that has no symbol or no source
  // line: a symbol from the debug file's .symtab replaces none or a .dynsym one; functions
  // inlined at a frame's address become frames of their own above it.
  DebugResolveStats resolve(Capture& capture);

 private:
  struct DebugFile;
  // The debug file for the binary a frame is in, or null; cached per build-id or path.
  DebugFile* debug_file_for(const Frame& f);
  void resolve_stack(Stack& s, DebugResolveStats& st);
  // out receives the frames inlined at f's address, innermost first.
  void resolve_frame(Frame& f, bool innermost, bool expand, std::vector<Frame>& out,
                     DebugResolveStats& st);

  std::vector<std::string> dirs_;
  bool binaries_ = false;
  std::map<std::string, std::unique_ptr<DebugFile>> cache_;
};

}  // namespace iotrace::probes
