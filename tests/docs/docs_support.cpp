#include "docs_support.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "cli/app.hpp"

namespace iotrace::docs {
namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Option groups are nameless subcommands in CLI11: their options belong to the parent.
void collect(CLI::App* app, const std::string& path, std::vector<CommandInfo>& out) {
  CommandInfo info;
  info.path = path;
  std::vector<CLI::App*> nested;
  std::vector<CLI::App*> pending = {app};
  while (!pending.empty()) {
    CLI::App* a = pending.back();
    pending.pop_back();
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& l : o->get_lnames())
        if (l != "help" && l != "version") info.long_opts.push_back("--" + l);
      for (const auto& s : o->get_snames())
        if (s != "h") info.short_opts.push_back("-" + s);
    }
    for (CLI::App* sub : a->get_subcommands([](CLI::App*) { return true; })) {
      if (sub->get_name().empty()) pending.push_back(sub);
      else nested.push_back(sub);
    }
  }
  for (CLI::App* sub : nested) info.subcommands.push_back(sub->get_name());
  out.push_back(info);
  for (CLI::App* sub : nested)
    collect(sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
}

}  // namespace

std::vector<CommandInfo> cli_commands() {
  cli::AppArgs args;
  auto app = cli::build_app(args);
  std::vector<CommandInfo> out;
  collect(app.get(), "", out);
  return out;
}

std::vector<std::string> all_long_options() {
  std::set<std::string> all = {"--help", "--version"};
  for (const auto& c : cli_commands()) all.insert(c.long_opts.begin(), c.long_opts.end());
  return {all.begin(), all.end()};
}

std::string source_path(const std::string& rel) { return std::string(IOTRACE_SOURCE_DIR) + "/" + rel; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string man_text() {
  std::string s = read_file(source_path("man/iotrace.8"));
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[i + 1];
      if (n == '-') {
        out += '-';
        ++i;
        continue;
      }
      if (n == '%' || n == '&') {
        ++i;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string man_section(const std::string& text, const std::string& heading, bool sub) {
  std::istringstream in(text);
  std::string line, out;
  bool inside = false;
  const std::string want = (sub ? ".SS " : ".SH ") + heading;
  while (std::getline(in, line)) {
    bool sh = line.rfind(".SH ", 0) == 0, ss = line.rfind(".SS ", 0) == 0;
    std::string bare = line;
    bare.erase(std::remove(bare.begin(), bare.end(), '"'), bare.end());
    if (inside && (sh || (sub && ss))) break;
    if (bare == want) {
      inside = true;
      continue;
    }
    if (inside) out += line + "\n";
  }
  return out;
}

bool has_word(const std::string& text, const std::string& word) {
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    bool left = at == 0 || !is_word_char(text[at - 1]);
    size_t end = at + word.size();
    bool right = end >= text.size() || !is_word_char(text[end]);
    if (left && right) return true;
  }
  return false;
}

std::vector<std::string> long_option_tokens(const std::string& text) {
  static const std::regex re("(^|[^A-Za-z0-9_-])(--[a-z][a-z0-9-]*[a-z0-9])");
  std::set<std::string> found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    found.insert((*it)[2].str());
  return {found.begin(), found.end()};
}

RunResult run(const std::vector<std::string>& argv, int timeout_s) {
  RunResult r;
  int p[2];
  if (pipe(p) != 0) return r;
  pid_t pid = fork();
  if (pid < 0) return r;
  if (pid == 0) {
    dup2(p[1], 1);
    dup2(p[1], 2);
    close(p[0]);
    close(p[1]);
    if (chdir(IOTRACE_SOURCE_DIR) != 0) _exit(126);
    setpgid(0, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(p[1]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      r.out += "\n[timed out]\n";
      break;
    }
    pollfd pfd{p[0], POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = read(p[0], buf, sizeof buf);
    if (n <= 0) break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  close(p[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

bool have_program(const std::string& name) {
  return run({"sh", "-c", "command -v \"$0\" >/dev/null", name}).status == 0;
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
}

}  // namespace iotrace::docs
