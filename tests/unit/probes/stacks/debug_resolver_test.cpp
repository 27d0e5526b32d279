// Where separate debug files are looked for, and the debuglink CRC that vouches for a file
// without a build-id. The lookup in real split binaries is exercised by the integration test.
#include <gtest/gtest.h>

#include <cstring>

#include "probes/stacks/debug_resolver.hpp"

namespace iotrace::probes {
namespace {

TEST(DebugFileCandidates, BuildIdLayoutFirstThenDebuglinkNames) {
  EXPECT_EQ(debug_file_candidates("/dbg", "0a1b2c3d", "/usr/sbin/nginx", "nginx.debug"),
            (std::vector<std::string>{"/dbg/.build-id/0a/1b2c3d.debug", "/dbg/nginx.debug",
                                      "/dbg/.debug/nginx.debug",
                                      "/dbg/usr/sbin/nginx.debug"}));
}

TEST(DebugFileCandidates, WhatIsMissingIsSkipped) {
  EXPECT_EQ(debug_file_candidates("/dbg", "", "/opt/app/srv", "srv.debug"),
            (std::vector<std::string>{"/dbg/srv.debug", "/dbg/.debug/srv.debug",
                                      "/dbg/opt/app/srv.debug"}));
  EXPECT_EQ(debug_file_candidates("/dbg", "ab12", "", ""),
            (std::vector<std::string>{"/dbg/.build-id/ab/12.debug"}));
  EXPECT_TRUE(debug_file_candidates("/dbg", "", "/bin/x", "").empty());
  // a capture is outside input: a build-id that is not hex is ignored, whatever it holds
  EXPECT_TRUE(debug_file_candidates("/dbg", "../../etc/x", "", "").empty());
  // a debuglink is a file name: one with a slash could leave DIR
  EXPECT_TRUE(debug_file_candidates("/dbg", "", "/bin/x", "../../etc/passwd").empty());
}

TEST(DebuglinkCrc32, MatchesZlib) {
  const char* s = "123456789";
  auto bytes = reinterpret_cast<const unsigned char*>(s);
  EXPECT_EQ(debuglink_crc32(bytes, std::strlen(s)), 0xcbf43926u);
  // in pieces, as a file is read
  EXPECT_EQ(debuglink_crc32(bytes + 4, 5, debuglink_crc32(bytes, 4)), 0xcbf43926u);
  EXPECT_EQ(debuglink_crc32(bytes, 0), 0u);
}

}  // namespace
}  // namespace iotrace::probes
