// Shared helpers of the docs tests: the command tree of the real CLI11 app, the files under
// test, and running a shell.
#pragma once
#include <string>
#include <vector>

namespace iotrace::docs {

// One command of the CLI: "" for the top level, "attach", or "top pause" for nested ones.
struct CommandInfo {
  std::string path;                     // words after "iotrace"
  std::vector<std::string> long_opts;   // "--duration", without --help/--version
  std::vector<std::string> short_opts;  // "-d"
  std::vector<std::string> subcommands; // names of direct subcommands
};

// Walks the app built by build_app(): every command, including nested ones, top level first.
std::vector<CommandInfo> cli_commands();
// Every long option of every command, --help and --version included.
std::vector<std::string> all_long_options();

std::string source_path(const std::string& rel);  // rel to the source tree
std::string read_file(const std::string& path);

// The man page source with roff escapes that can appear inside words removed: "\-" becomes
// "-", and "\%" and "\&" disappear.
std::string man_text();
// The lines of one section (.SH NAME) or subsection (.SS NAME) of the man page, up to the next
// heading of the same or a higher level.
std::string man_section(const std::string& text, const std::string& heading, bool sub = false);

// True when word occurs in text with no word character (letter, digit, '-', '_') on either side.
bool has_word(const std::string& text, const std::string& word);
// Tokens that look like long options ("--name") in text.
std::vector<std::string> long_option_tokens(const std::string& text);

struct RunResult {
  int status = -1;  // exit status, or -1 when the command did not exit normally
  std::string out;  // stdout and stderr together
};
// Runs argv (no shell) with a timeout, from the source directory.
RunResult run(const std::vector<std::string>& argv, int timeout_s = 30);
bool have_program(const std::string& name);
// A tool the test needs is missing: skip, or fail when CI=true (CI must not pass by skipping).
bool in_ci();

}  // namespace iotrace::docs
