// Every iotrace command line the README and the man page's EXAMPLES show is run, with a test
// workload standing in for the user's program and pid, and must not be refused as a usage
// error: a documented example that no longer parses is a bug, found here before a user does.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace itest;
namespace fs = std::filesystem;

namespace {

struct DocCommand {
  std::string where;  // file:line
  std::string text;
};

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t") + 1);
  return s;
}

// Splits "a && b" and drops a pipe's right side and a trailing comment; keeps iotrace's part.
void add_commands(const std::string& where, std::string text, std::vector<DocCommand>& out) {
  size_t comment = text.find("  #");
  if (comment != std::string::npos) text = text.substr(0, comment);
  size_t start = 0;
  for (;;) {
    size_t amp = text.find("&&", start);
    std::string part = trim(text.substr(start, amp == std::string::npos ? std::string::npos : amp - start));
    part = trim(part.substr(0, part.find(" | ")));
    if (part.rfind("sudo ", 0) == 0) part = part.substr(5);
    std::smatch m;
    // "iotrace diff: before.json -> after.json" is output, not a command
    if (part.rfind("iotrace ", 0) == 0 && !std::regex_search(part, m, std::regex("^iotrace [a-z]+:")))
      out.push_back({where, part});
    if (amp == std::string::npos) break;
    start = amp + 2;
  }
}

std::vector<DocCommand> readme_commands() {
  std::vector<DocCommand> out;
  auto lines = lines_of(std::string(IOTRACE_SOURCE_DIR) + "/README.md");
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("    ", 0) != 0) continue;
    std::string text = trim(lines[i]);
    size_t first = i;
    while ((text.size() >= 2 && text.compare(text.size() - 2, 2, "&&") == 0) || (!text.empty() && text.back() == '\\')) {
      if (text.back() == '\\') text.pop_back();
      if (++i >= lines.size()) break;
      text += " " + trim(lines[i]);
    }
    add_commands("README.md:" + std::to_string(first + 1), text, out);
  }
  return out;
}

std::vector<DocCommand> man_example_commands() {
  std::vector<DocCommand> out;
  auto lines = lines_of(std::string(IOTRACE_SOURCE_DIR) + "/man/iotrace.8");
  bool examples = false, block = false;
  auto unescape = [](std::string l) {
    l = std::regex_replace(l, std::regex(R"(\\-)"), "-");
    l = std::regex_replace(l, std::regex(R"(\\\(aq)"), "'");
    l = std::regex_replace(l, std::regex(R"(\\\(dq)"), "\"");
    l = std::regex_replace(l, std::regex(R"(\\&)"), "");
    return std::regex_replace(l, std::regex(R"(\\e)"), "\\");
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind(".SH ", 0) == 0) examples = lines[i] == ".SH EXAMPLES";
    if (!examples) continue;
    if (lines[i] == ".EX" || lines[i] == ".EE") {
      block = lines[i] == ".EX";
      continue;
    }
    if (!block) continue;
    std::string text = trim(unescape(lines[i]));
    size_t first = i;
    while (!text.empty() && text.back() == '\\' && i + 1 < lines.size()) {
      text.pop_back();
      text += " " + trim(unescape(lines[++i]));
    }
    if (text.rfind("# ", 0) == 0 || text.rfind("$ ", 0) == 0) text = text.substr(2);
    add_commands("iotrace.8:" + std::to_string(first + 1), text, out);
  }
  return out;
}

// Shell-like words: quotes group, and are removed.
std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  bool any = false;
  for (char c : s) {
    if (quote) {
      if (c == quote)
        quote = 0;
      else
        cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      any = true;
    } else if (c == ' ' || c == '\t') {
      if (!cur.empty() || any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
    }
  }
  if (!cur.empty() || any) out.push_back(cur);
  return out;
}

struct Outcome {
  int exit_code = -1;
  std::string err;
};

// Runs argv in dir; ends it with SIGINT (as a user's Ctrl-C) if it runs past 6 s.
Outcome run_in(const std::string& dir, const std::vector<std::string>& argv) {
  int errp[2];
  if (pipe2(errp, O_CLOEXEC) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(errp[1], 2);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  close(errp[1]);
  std::thread stopper([pid] {
    for (int i = 0; i < 60; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (kill(pid, 0) != 0) return;
    }
    kill(pid, SIGINT);
  });
  Outcome o;
  o.err = read_all(errp[0]);
  close(errp[0]);
  o.exit_code = wait_exit(pid, 20000);
  if (o.exit_code < 0) kill(pid, SIGKILL), wait_exit(pid, 5000);
  stopper.join();
  return o;
}

TEST(DocumentedCommands, EveryCommandOfTheReadmeAndTheManPagesExamplesRuns) {
  REQUIRE_BPF();
  std::vector<DocCommand> cmds = readme_commands();
  size_t from_readme = cmds.size();
  for (auto& c : man_example_commands()) cmds.push_back(c);
  ASSERT_GE(from_readme, 10u) << "the README's commands were not found";
  ASSERT_GE(cmds.size() - from_readme, 8u) << "the man page's EXAMPLES were not found";

  char tmpl[] = "/tmp/iotrace-docs-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  // What the examples take as given: a running service, a policy file, the last good capture.
  Child target = spawn({workload_bin("wl_top_loop")});
  std::string ready = read_line(target.out);
  ASSERT_EQ(ready.rfind("ready ", 0), 0u) << ready;
  ASSERT_EQ(write(target.in, "go\n", 3), 3);
  const std::string pid = ready.substr(6);
  const std::string program = workload_bin("wl_ci_blocking");
  std::ofstream(dir + "/ci.policy") << "fail-on high\n";
  auto before = run_iotrace({"run", "--save-capture", dir + "/before.json", "--", program});
  ASSERT_TRUE(fs::exists(dir + "/before.json")) << before.err;

  for (const auto& c : cmds) {
    std::string text = c.text;
    text = std::regex_replace(text, std::regex(R"(\$\(pgrep[^)]*\))"), pid);
    text = std::regex_replace(text, std::regex(R"(\$pid\b|\bPID\b|\b1234\b|\b4240\b)"), pid);
    text = std::regex_replace(text, std::regex(R"(/tmp/)"), dir + "/");
    std::vector<std::string> argv = words(text);
    argv[0] = iotrace_bin();
    for (size_t i = 1; i < argv.size(); ++i) {
      if ((argv[i] == "-d" || argv[i] == "-i" || argv[i] == "--duration" || argv[i] == "--interval") &&
          i + 1 < argv.size())
        argv[i + 1] = "1s";  // the examples' minutes, shortened
      if (argv[i] == "--") {  // the user's command: the test's program
        argv.resize(i + 1);
        argv.push_back(program);
        break;
      }
    }
    SCOPED_TRACE(c.where + ": " + c.text);
    Outcome o = run_in(dir, argv);
    std::printf("%s: exit %d: %s\n", c.where.c_str(), o.exit_code, c.text.c_str());
    EXPECT_NE(o.exit_code, 2) << o.err;
    EXPECT_EQ(o.err.find("unknown option"), std::string::npos) << o.err;
    EXPECT_EQ(o.err.find("not expected"), std::string::npos) << o.err;
    EXPECT_GE(o.exit_code, 0) << "did not end";
  }
  close(target.in);
  wait_exit(target.pid, 5000);
  fs::remove_all(dir);
}

}  // namespace
