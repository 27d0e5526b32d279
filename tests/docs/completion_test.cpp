// completions/ against the program. Every command and long option must appear in each of the
// three files, nothing may be offered that the program lacks, and each file is loaded and
// exercised by its own shell: bash and fish list, per command, exactly the options CLI11 has.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "docs_support.hpp"
#include "src/findings/findings.hpp"

namespace iotrace::docs {
namespace {

const char* const k_files[] = {"completions/iotrace.bash", "completions/_iotrace",
                               "completions/iotrace.fish"};

std::set<std::string> lines_of(const std::string& text, bool first_field_only = true) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (first_field_only) line = line.substr(0, line.find('\t'));
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (!line.empty()) out.insert(line);
  }
  return out;
}

std::string joined(const std::set<std::string>& s) {
  std::string o;
  for (const auto& x : s) o += x + " ";
  return o;
}

// Needs a shell: skip without it, fail in CI (scripts/install-deps.sh installs them).
#define REQUIRE_PROGRAM(name)                                               \
  do {                                                                      \
    if (!have_program(name)) {                                              \
      if (in_ci()) FAIL() << name << " is not installed";                   \
      GTEST_SKIP() << name << " is not installed";                          \
    }                                                                       \
  } while (0)

std::set<std::string> long_opts_of(const CommandInfo& c) {
  std::set<std::string> s(c.long_opts.begin(), c.long_opts.end());
  s.insert("--help");
  if (c.path.empty()) s.insert("--version");
  return s;
}

// What "iotrace <command> -" should offer: every short and long option.
std::set<std::string> all_opts_of(const CommandInfo& c) {
  std::set<std::string> s = long_opts_of(c);
  s.insert(c.short_opts.begin(), c.short_opts.end());
  s.insert("-h");
  return s;
}

// Where each file lists commands: bash in _iotrace_commands="...", zsh as 'name:description'
// entries, fish as -a name.
bool offers_command(const std::string& file, const std::string& text, const std::string& cmd) {
  if (file.find(".bash") != std::string::npos) {
    auto at = text.find("_iotrace_commands=\"");
    return at != std::string::npos && has_word(text.substr(at, text.find('\n', at) - at), cmd);
  }
  if (file.find(".fish") != std::string::npos)
    return text.find("-a " + cmd + " ") != std::string::npos;
  return text.find("'" + cmd + ":") != std::string::npos;
}

TEST(Completions, MentionEveryCommandOptionAndFindingId) {
  for (const char* f : k_files) {
    const std::string text = read_file(source_path(f));
    for (const auto& c : cli_commands()) {
      for (const auto& sub : c.subcommands)
        EXPECT_TRUE(offers_command(f, text, sub)) << f << " lacks command " << sub;
      for (const auto& o : c.long_opts) {
        // zsh and fish spell options in their own syntax: '--name', -l name
        std::string bare = o.substr(2);
        bool found = has_word(text, o) || has_word(text, "-l " + bare) ||
                     text.find("-l " + bare + " ") != std::string::npos;
        EXPECT_TRUE(found) << f << " lacks option " << o << (c.path.empty() ? "" : " of " + c.path);
      }
    }
    for (const auto& d : finding_registry())
      EXPECT_TRUE(has_word(text, std::string(d.id))) << f << " lacks finding id " << d.id;
  }
}

TEST(Completions, OfferNoOptionTheProgramLacks) {
  const auto real = all_long_options();
  const std::set<std::string> known(real.begin(), real.end());
  for (const char* f : {"completions/iotrace.bash", "completions/_iotrace"})
    for (const auto& tok : long_option_tokens(read_file(source_path(f))))
      EXPECT_TRUE(known.count(tok)) << f << " offers " << tok << ", which no command accepts";
}

// Asks bash's completion function what it offers for the words; the last word is completed.
std::set<std::string> bash_complete(const std::vector<std::string>& words) {
  std::vector<std::string> argv = {"bash", "--norc", "--noprofile", "tests/docs/complete_bash.sh"};
  argv.insert(argv.end(), words.begin(), words.end());
  auto r = run(argv);
  EXPECT_EQ(r.status, 0) << r.out;
  return lines_of(r.out);
}

std::set<std::string> fish_complete(const std::string& line) {
  auto r = run({"fish", "--no-config", "-c",
                "source completions/iotrace.fish; or exit 1; complete -C$argv[1]", line});
  EXPECT_EQ(r.status, 0) << r.out;
  return lines_of(r.out);
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> w;
  std::istringstream in(s);
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

TEST(BashCompletion, CompletesCommandsAndOptions) {
  REQUIRE_PROGRAM("bash");
  EXPECT_EQ(bash_complete({"iotrace", "att"}), std::set<std::string>{"attach"});
  EXPECT_EQ(bash_complete({"iotrace", "attach", "--fo"}),
            (std::set<std::string>{"--folded", "--follow-children"}));
  EXPECT_EQ(bash_complete({"iotrace", "report", "c.json", "--hi"}), std::set<std::string>{"--hist"});
  EXPECT_EQ(bash_complete({"iotrace", "run", "--fold"}), std::set<std::string>{"--folded"});
  EXPECT_EQ(bash_complete({"iotrace", "run", "--time"}),
            (std::set<std::string>{"--timeline", "--timeline-limit"}));
  EXPECT_TRUE(bash_complete({"iotrace", "report", "c.json", "--time"}).empty());  // attach and run only
  auto timeline = bash_complete({"iotrace", "attach", "--timeline", "man/iotrace."});
  EXPECT_TRUE(timeline.count("man/iotrace.8")) << joined(timeline);
  EXPECT_EQ(bash_complete({"iotrace", "--no-feature", ""}),
            (std::set<std::string>{"io_uring", "kfuncs", "sched_info", "tp_btf", "unwind"}));
  // the shell's own pid is a running process
  auto pids = bash_complete({"iotrace", "attach", ""});
  EXPECT_TRUE(pids.count("1")) << joined(pids);
  auto files = bash_complete({"iotrace", "attach", "-o", "man/iotrace."});
  EXPECT_TRUE(files.count("man/iotrace.8")) << joined(files);
  files = bash_complete({"iotrace", "report", "man/iotrace."});
  EXPECT_TRUE(files.count("man/iotrace.8")) << joined(files);
  // --debug-dir takes a directory: directories only, and after it the capture file again
  EXPECT_EQ(bash_complete({"iotrace", "report", "--debug-dir", "tests/do"}),
            std::set<std::string>{"tests/docs"});
  EXPECT_TRUE(bash_complete({"iotrace", "report", "--debug-dir", "man/iotrace."}).empty());
  files = bash_complete({"iotrace", "report", "--debug-dir", "tests", "man/iotrace."});
  EXPECT_TRUE(files.count("man/iotrace.8")) << joined(files);
}

// diff takes two files (captures or JSON reports), before and after any option.
TEST(BashCompletion, CompletesDiff) {
  REQUIRE_PROGRAM("bash");
  EXPECT_EQ(bash_complete({"iotrace", "dif"}), std::set<std::string>{"diff"});
  auto files = bash_complete({"iotrace", "diff", "man/iotrace."});
  EXPECT_TRUE(files.count("man/iotrace.8")) << joined(files);
  files = bash_complete({"iotrace", "diff", "--threshold", "10", "before.json", "man/iotrace."});
  EXPECT_TRUE(files.count("man/iotrace.8")) << joined(files);
  EXPECT_EQ(bash_complete({"iotrace", "diff", "--thr"}), std::set<std::string>{"--threshold"});
  EXPECT_TRUE(bash_complete({"iotrace", "diff", "--threshold", ""}).count("25"));
  auto ids = bash_complete({"iotrace", "diff", "--fail-on", "blocking-call-on-l"});
  EXPECT_EQ(ids, std::set<std::string>{"blocking-call-on-loop"});
}

// exporter's values: duty cycles, the default address, cgroups and names of running processes.
TEST(BashCompletion, CompletesExporter) {
  REQUIRE_PROGRAM("bash");
  EXPECT_EQ(bash_complete({"iotrace", "expo"}), std::set<std::string>{"exporter"});
  EXPECT_TRUE(bash_complete({"iotrace", "exporter", "--duty", ""}).count("5s/60s"));
  EXPECT_TRUE(bash_complete({"iotrace", "exporter", "--duty", ""}).count("always"));
  EXPECT_EQ(bash_complete({"iotrace", "exporter", "--listen", "127"}), std::set<std::string>{"127.0.0.1:19731"});
  EXPECT_TRUE(bash_complete({"iotrace", "exporter", "--cgroup", "/"}).count("/")) << "this process's own cgroup";
}

TEST(BashCompletion, ListsExactlyTheOptionsOfEachCommand) {
  REQUIRE_PROGRAM("bash");
  for (const auto& c : cli_commands()) {
    std::vector<std::string> words = {"iotrace"};
    for (const auto& w : split_words(c.path)) words.push_back(w);
    words.push_back("--");
    auto offered = bash_complete(words);
    EXPECT_EQ(offered, long_opts_of(c)) << "bash completion of 'iotrace " << c.path << " --'";
    words.back() = "-";
    EXPECT_EQ(bash_complete(words), all_opts_of(c)) << "bash completion of 'iotrace " << c.path << " -'";
    std::set<std::string> subs(c.subcommands.begin(), c.subcommands.end());
    words.back() = "";
    if (!subs.empty()) {
      EXPECT_EQ(bash_complete(words), subs) << "bash completion of 'iotrace " << c.path << " '";
    }
  }
}

TEST(FishCompletion, CompletesCommandsAndOptions) {
  REQUIRE_PROGRAM("fish");
  auto attach = fish_complete("iotrace attach --");
  EXPECT_TRUE(attach.count("--follow-children")) << joined(attach);
  EXPECT_EQ(fish_complete("iotrace att"), std::set<std::string>{"attach"});
  EXPECT_EQ(fish_complete("iotrace --no-feature "), (std::set<std::string>{"io_uring", "kfuncs", "sched_info", "tp_btf", "unwind"}));
  auto pids = fish_complete("iotrace attach ");
  EXPECT_TRUE(pids.count("1")) << joined(pids);
  auto files = fish_complete("iotrace attach --save-capture man/iotrace.");
  EXPECT_TRUE(files.count("man/iotrace.8")) << joined(files);
  files = fish_complete("iotrace run --timeline man/iotrace.");
  EXPECT_TRUE(files.count("man/iotrace.8")) << joined(files);
  auto run = fish_complete("iotrace run --");
  EXPECT_TRUE(run.count("--timeline") && run.count("--timeline-limit")) << joined(run);
  EXPECT_EQ(fish_complete("iotrace report --debug-dir tests/do"),
            std::set<std::string>{"tests/docs/"});
  EXPECT_TRUE(fish_complete("iotrace report --debug-dir man/iotrace.").empty());
}

TEST(FishCompletion, CompletesExporter) {
  REQUIRE_PROGRAM("fish");
  EXPECT_EQ(fish_complete("iotrace expo"), std::set<std::string>{"exporter"});
  EXPECT_TRUE(fish_complete("iotrace exporter --duty ").count("5s/60s"));
  EXPECT_TRUE(fish_complete("iotrace exporter --listen ").count("127.0.0.1:19731"));
}

TEST(FishCompletion, CompletesDiff) {
  REQUIRE_PROGRAM("fish");
  EXPECT_EQ(fish_complete("iotrace dif"), std::set<std::string>{"diff"});
  auto files = fish_complete("iotrace diff man/iotrace.");
  EXPECT_TRUE(files.count("man/iotrace.8")) << joined(files);
  EXPECT_TRUE(fish_complete("iotrace diff --threshold ").count("25"));
  EXPECT_TRUE(fish_complete("iotrace diff a.json b.json --fail-on ").count("blocking-call-on-loop"));
}

TEST(FishCompletion, ListsExactlyTheOptionsOfEachCommand) {
  REQUIRE_PROGRAM("fish");
  for (const auto& c : cli_commands()) {
    std::string line = "iotrace " + c.path + (c.path.empty() ? "" : " ") + "--";
    EXPECT_EQ(fish_complete(line), long_opts_of(c)) << "fish completion of '" << line << "'";
    EXPECT_EQ(fish_complete(line.substr(0, line.size() - 1)), all_opts_of(c))
        << "fish completion of '" << line.substr(0, line.size() - 1) << "'";
    std::set<std::string> subs(c.subcommands.begin(), c.subcommands.end());
    if (!subs.empty()) {
      line.resize(line.size() - 2);
      auto offered = fish_complete(line);
      for (const auto& s : subs) EXPECT_TRUE(offered.count(s)) << "fish: '" << line << "' lacks " << s;
    }
  }
}

TEST(ZshCompletion, ParsesAndLoadsThroughCompinit) {
  REQUIRE_PROGRAM("zsh");
  auto r = run({"zsh", "-n", "completions/_iotrace"});
  EXPECT_EQ(r.status, 0) << r.out;
  r = run({"zsh", "-f", "-c",
           "fpath=($PWD/completions $fpath); autoload -U compinit; compinit -u -D; "
           "[[ ${_comps[iotrace]} == _iotrace ]] || { print -u2 'iotrace not bound'; exit 1 }; "
           "autoload -Uz +X _iotrace || exit 1; print ok"});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("ok"), std::string::npos) << r.out;
}

// Drives an interactive zsh on a pseudo-terminal, presses TAB and reads the screen.
std::string zsh_complete(const std::string& line) {
  auto r = run({"zsh", "-f", "tests/docs/complete_zsh.zsh", "completions", line}, 30);
  EXPECT_EQ(r.status, 0) << r.out;
  return r.out;
}

TEST(ZshCompletion, CompletesCommandsAndOptions) {
  REQUIRE_PROGRAM("zsh");
  EXPECT_NE(zsh_complete("iotrace att").find("BUFFER[iotrace attach ]"), std::string::npos);
  EXPECT_NE(zsh_complete("iotrace attach --foll").find("BUFFER[iotrace attach --follow-children ]"),
            std::string::npos);
  EXPECT_NE(zsh_complete("iotrace report --hi").find("BUFFER[iotrace report --hist ]"), std::string::npos);
  EXPECT_NE(zsh_complete("iotrace attach --timeline-").find("BUFFER[iotrace attach --timeline-limit"),
            std::string::npos);
  std::string feats = zsh_complete("iotrace --no-feature ");
  EXPECT_NE(feats.find("tp_btf"), std::string::npos) << feats;
  EXPECT_NE(feats.find("io_uring"), std::string::npos) << feats;
  EXPECT_NE(feats.find("sched_info"), std::string::npos) << feats;
  EXPECT_NE(feats.find("unwind"), std::string::npos) << feats;
  EXPECT_NE(feats.find("kfuncs"), std::string::npos) << feats;
  std::string dirs = zsh_complete("iotrace report --debug-dir tests/do");
  EXPECT_NE(dirs.find("BUFFER[iotrace report --debug-dir tests/docs/"), std::string::npos) << dirs;
}

TEST(ZshCompletion, CompletesDiff) {
  REQUIRE_PROGRAM("zsh");
  EXPECT_NE(zsh_complete("iotrace dif").find("BUFFER[iotrace diff ]"), std::string::npos);
  EXPECT_NE(zsh_complete("iotrace diff --thr").find("BUFFER[iotrace diff --threshold="),
            std::string::npos);
  std::string files = zsh_complete("iotrace diff man/iotrace.");
  EXPECT_NE(files.find("BUFFER[iotrace diff man/iotrace.8 ]"), std::string::npos) << files;
}

TEST(ZshCompletion, ListsTheOptionsOfEachCommand) {
  REQUIRE_PROGRAM("zsh");
  for (const auto& c : cli_commands()) {
    std::string line = "iotrace " + c.path + (c.path.empty() ? "" : " ") + "--";
    std::string shown = zsh_complete(line);
    for (const auto& o : long_opts_of(c))
      EXPECT_TRUE(has_word(shown, o)) << "zsh: '" << line << "' does not offer " << o << "\n" << shown;
  }
}

}  // namespace
}  // namespace iotrace::docs
