// Stripped binaries: a frame of a binary without .symtab says where it is (module, offset in
// the file's address space, build-id), and 'iotrace report --debug-dir' names it afterwards
// from the debug file split off at build time, found by .gnu_debuglink or by build-id, with
// the traced process long gone.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "harness.hpp"

using namespace itest;
namespace fs = std::filesystem;

namespace {

const std::string k_stripped = "wl_loop_block_stripped";

class DebugDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/iotrace-debugdir-XXXXXX";
    if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp");
    tmp_ = dir;
  }
  void TearDown() override {
    fs::remove_all(tmp_);
    if (bpf_available()) { EXPECT_TRUE(leftover_programs().empty()); }
  }

  // Traces the stripped workload sleeping on its loop; returns the saved capture's path.
  std::string trace_stripped() {
    std::string cap = tmp_ + "/capture.json";
    TraceSpec spec{k_stripped, {"sleep"}, {"--json", "--save-capture", cap}};
    TraceResult r = trace_workload(spec);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return cap;
  }

  std::string tmp_;
};

// The flagged nanosleep on the loop thread, from a report's JSON.
nlohmann::json sleep_finding(const nlohmann::json& report) {
  for (const auto& f : report.at("processes").at(0).at("findings"))
    if (f.at("id") == "blocking-call-on-loop" && f.at("syscall") == "clock_nanosleep") return f;
  return nullptr;
}

std::vector<nlohmann::json> frames_of(const nlohmann::json& finding, const std::string& module) {
  std::vector<nlohmann::json> out;
  for (const auto& fr : finding.at("stack").at("frames"))
    if (fr.at("module") == module) out.push_back(fr);
  return out;
}

// What `addr2line -f -C -e file` says about an address: the function's name.
std::string addr2line_function(const std::string& file, uint64_t addr) {
  char hex[32];
  snprintf(hex, sizeof(hex), "%#llx", static_cast<unsigned long long>(addr));
  Child c = spawn({"/usr/bin/addr2line", "-f", "-C", "-e", file, hex}, false);
  close(c.in);
  std::string out = read_all(c.out);
  wait_exit(c.pid);
  return out.substr(0, out.find('\n'));
}

}  // namespace

TEST_F(DebugDirTest, StrippedFramesAreNamedFromTheDebugFileAfterTheProcessIsGone) {
  REQUIRE_BPF();
  std::string cap = trace_stripped();

  // Without debug files: module+offset+build-id, no name for the workload's own frames.
  TraceResult raw = run_iotrace({"report", cap, "--json"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  auto f = sleep_finding(raw.report);
  ASSERT_FALSE(f.is_null()) << raw.out;
  auto own = frames_of(f, k_stripped);
  ASSERT_FALSE(own.empty()) << f.dump(1);
  std::string build_id;
  std::set<std::string> functions;
  for (const auto& fr : own) {
    EXPECT_EQ(fr.at("symbol"), "") << fr.dump();
    EXPECT_EQ(fr.at("path"), workload_bin(k_stripped)) << fr.dump();
    ASSERT_TRUE(fr.contains("build_id")) << fr.dump();
    build_id = fr.at("build_id").get<std::string>();
    EXPECT_EQ(build_id.size(), 40u) << "a GNU build-id is 20 bytes of SHA-1";
    // The offset is the address addr2line takes: the unstripped twin names it (return
    // addresses point after the call, so ask about the byte before).
    functions.insert(addr2line_function(workload_bin("wl_loop_block"),
                                        fr.at("offset").get<uint64_t>() - 1));
  }
  EXPECT_TRUE(functions.count("handle_sleep") && functions.count("handle_request"))
      << ::testing::PrintToString(functions);
  TraceResult text = run_iotrace({"report", cap});
  EXPECT_NE(text.out.find(k_stripped + "+0x"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("[build-id " + build_id.substr(0, 16) + "]"), std::string::npos) << text.out;

  // By .gnu_debuglink: the debug file's name, in the directory given.
  TraceResult named = run_iotrace({"report", cap, "--json", "--debug-dir", workload_bin("debug")});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_NE(named.err.find("--debug-dir: named"), std::string::npos) << named.err;
  f = sleep_finding(named.report);
  ASSERT_FALSE(f.is_null());
  bool handler = false, line = false;
  for (const auto& fr : frames_of(f, k_stripped)) {
    EXPECT_NE(fr.at("symbol"), "") << fr.dump();
    handler = handler || fr.at("symbol").get<std::string>().rfind("handle_", 0) == 0;
    line = line || (fr.value("file", "").find("wl_loop_block.cpp") != std::string::npos &&
                    fr.value("line", 0) > 0);
  }
  EXPECT_TRUE(handler) << f.dump(1);
  EXPECT_TRUE(line) << "the debug file has DWARF line tables: " << f.dump(1);

  // By build-id, in a directory laid out as /usr/lib/debug is, with the binary gone too.
  fs::path by_id = fs::path(tmp_) / "dbg" / ".build-id" / build_id.substr(0, 2);
  fs::create_directories(by_id);
  fs::copy_file(workload_bin("debug") + "/" + k_stripped + ".debug",
                by_id / (build_id.substr(2) + ".debug"));
  std::ifstream in(cap);
  std::string capture((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t at; (at = capture.find(workload_bin(k_stripped))) != std::string::npos;)
    capture.replace(at, workload_bin(k_stripped).size(), "/nonexistent/" + k_stripped);
  std::ofstream(tmp_ + "/moved.json") << capture;
  TraceResult by_build_id =
      run_iotrace({"report", tmp_ + "/moved.json", "--debug-dir", tmp_ + "/dbg"});
  ASSERT_EQ(by_build_id.exit_code, 0) << by_build_id.err;
  EXPECT_NE(by_build_id.out.find("handle_"), std::string::npos) << by_build_id.out;
}

TEST_F(DebugDirTest, ADirectoryThatIsNotThereIsAUsageError) {
  std::string cap = tmp_ + "/empty.json";
  fs::copy_file(std::string(IOTRACE_SOURCE_DIR) + "/tests/fixtures/empty.capture.json", cap);
  TraceResult r = run_iotrace({"report", cap, "--debug-dir", tmp_ + "/missing"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("iotrace: error: --debug-dir: '" + tmp_ + "/missing' is not a directory"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("iotrace: hint: "), std::string::npos) << r.err;
}

// A binary stripped of .symtab that exports its functions (linked with --export-dynamic, as
// Debian's nginx and redis-server are) is named from .dynsym with no debug file at all.
TEST_F(DebugDirTest, AStrippedBinaryThatExportsItsFunctionsIsNamedFromDynsym) {
  REQUIRE_BPF();
  TraceResult r = trace_workload({"wl_loop_block_dynsym", {"sleep"}, {"--json"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto f = sleep_finding(r.report);
  ASSERT_FALSE(f.is_null()) << r.out;
  std::set<std::string> names;
  for (const auto& fr : frames_of(f, "wl_loop_block_dynsym")) {
    names.insert(fr.at("symbol").get<std::string>());
    EXPECT_TRUE(fr.contains("build_id")) << fr.dump();
  }
  EXPECT_TRUE(names.count("handle_sleep") && names.count("handle_request"))
      << ::testing::PrintToString(names);
}
