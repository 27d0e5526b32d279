// man/iotrace.8 against the program: every command, option, finding id and metric id of the
// real CLI and analysis is documented, in the place a reader looks for it, and nothing
// documented is gone from the program.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "docs_support.hpp"
#include "src/output/exporter_metrics.hpp"
#include "src/findings/findings.hpp"
#include "src/output/report.hpp"
#include "src/capture/syscall_table.hpp"

namespace iotrace::docs {
namespace {

// "-d" and "--duration" are documented together on one .TP tag line; short options are checked
// against the whole page.
std::string options_heading(const std::string& path) {
  return path.empty() ? "Global options" : "Options of " + path;
}

TEST(ManPage, EveryCommandHasAnEntryInCommands) {
  const std::string man = man_text();
  const std::string commands = man_section(man, "COMMANDS");
  ASSERT_FALSE(commands.empty()) << "man/iotrace.8 has no COMMANDS section";
  for (const auto& c : cli_commands()) {
    if (c.path.empty()) continue;
    // a tag line: .TP then ".B attach ..." (nested: ".B top pause")
    std::regex tag("(^|\n)\\.B[RI]? \"?" + c.path + "( |\"|\n)");
    EXPECT_TRUE(std::regex_search(commands, tag))
        << "command '" << c.path << "' has no .TP entry in COMMANDS of man/iotrace.8";
    EXPECT_TRUE(has_word(man_section(man, "SYNOPSIS"), c.path.substr(0, c.path.find(' '))))
        << "command '" << c.path << "' is missing from the SYNOPSIS of man/iotrace.8";
  }
}

TEST(ManPage, EveryOptionIsDocumentedUnderItsCommand) {
  const std::string man = man_text();
  const std::string options = man_section(man, "OPTIONS");
  ASSERT_FALSE(options.empty()) << "man/iotrace.8 has no OPTIONS section";
  EXPECT_TRUE(has_word(options, "--help"));
  EXPECT_TRUE(has_word(options, "--version"));
  for (const auto& c : cli_commands()) {
    const std::string heading = options_heading(c.path);
    const std::string block = man_section(options, heading, true);
    if (!c.long_opts.empty()) {
      EXPECT_FALSE(block.empty()) << "man/iotrace.8 needs a subsection '.SS " << heading << "'";
    }
    for (const auto& o : c.long_opts)
      EXPECT_TRUE(has_word(block, o)) << "option " << o << (c.path.empty() ? "" : " of " + c.path)
                                      << " is not documented under '.SS " << heading
                                      << "' in man/iotrace.8";
    for (const auto& s : c.short_opts)
      EXPECT_TRUE(has_word(block, s)) << "short option " << s << " of '" << c.path
                                      << "' is not documented under '.SS " << heading << "'";
  }
}

TEST(ManPage, DocumentsNoOptionTheProgramLacks) {
  const auto real = all_long_options();
  std::set<std::string> known(real.begin(), real.end());
  // other programs' options the page quotes: objcopy's, and the Node.js flags that make it
  // write a perf map
  known.insert({"--only-keep-debug", "--perf-basic-prof", "--perf-basic-prof-only-functions",
                "--install", "--now"});  // cmake --install, systemctl enable --now
  for (const auto& tok : long_option_tokens(man_text()))
    EXPECT_TRUE(known.count(tok)) << "man/iotrace.8 mentions " << tok
                                  << ", which no iotrace command accepts";
}

TEST(ManPage, EveryFindingIdWithItsSeverity) {
  const std::string findings = man_section(man_text(), "FINDINGS");
  ASSERT_FALSE(findings.empty()) << "man/iotrace.8 has no FINDINGS section";
  for (const auto& d : finding_registry()) {
    const std::string id(d.id), sev(severity_name(d.severity));
    // .BR blocking-call-on-loop " (high)"
    std::regex tag("(^|\n)\\.BR? " + id + " \" \\(" + sev + "\\)\"");
    EXPECT_TRUE(std::regex_search(findings, tag))
        << "finding " << id << " needs a tag line '.BR " << id << " \" (" << sev
        << ")\"' in FINDINGS of man/iotrace.8";
  }
}

TEST(ManPage, DocumentsNoFindingTheRegistryLacks) {
  const std::string findings = man_section(man_text(), "FINDINGS");
  std::set<std::string> ids;
  for (const auto& d : finding_registry()) ids.insert(std::string(d.id));
  std::regex tag("(^|\n)\\.BR ([a-z0-9-]+) \" \\((info|low|medium|high)\\)\"");
  for (auto it = std::sregex_iterator(findings.begin(), findings.end(), tag);
       it != std::sregex_iterator(); ++it)
    EXPECT_TRUE(ids.count((*it)[2].str()))
        << "man/iotrace.8 documents finding " << (*it)[2] << ", which the registry lacks";
}

// A capture whose one thread exercises every branch of compute_metrics(): epoll, select, poll,
// io_uring, Linux AIO, reads and writes.
Capture metric_capture() {
  Capture c;
  ProcessRecord p;
  p.pid = 100;
  p.comm = "docs";
  c.processes.push_back(p);
  ThreadRecord t;
  t.tid = 100;
  t.pid = 100;
  t.comm = "docs";
  t.loop = true;
  t.vol_switches = 3;
  t.uring.sqes = 4;
  t.uring.cqes = 4;
  t.select_max_nfds = 8;
  c.threads.push_back(t);
  auto row = [&](const char* name, FdKind kind, uint64_t calls, uint64_t ret_sum, uint64_t arg_sum,
                 uint64_t bytes, uint64_t eagain) {
    SyscallRow r;
    r.tid = 100;
    r.nr = syscall_nr(name).value();
    r.fd_kind = kind;
    r.nonblock = true;
    r.calls = calls;
    r.ret_sum = ret_sum;
    r.arg_sum = arg_sum;
    r.bytes = bytes;
    r.err_eagain = eagain;
    r.total_ns = calls * 1000;
    c.syscalls.push_back(r);
  };
  row("epoll_wait", FdKind::epoll, 10, 20, 640, 0, 0);
  row("epoll_ctl", FdKind::epoll, 2, 0, 0, 0, 0);
  row("select", FdKind::none, 5, 5, 40, 0, 0);
  row("poll", FdKind::none, 5, 5, 20, 0, 0);
  row("io_uring_enter", FdKind::io_uring, 2, 4, 4, 0, 0);
  row("io_submit", FdKind::none, 2, 2, 2, 0, 0);
  row("io_getevents", FdKind::none, 2, 2, 2, 0, 0);
  row("read", FdKind::tcp, 20, 0, 0, 2000, 5);
  row("write", FdKind::tcp, 20, 0, 0, 2000, 0);
  row("accept4", FdKind::tcp, 3, 0, 0, 0, 1);
  return c;
}

std::set<std::string> metric_ids() {
  std::set<std::string> ids;
  Report r = build_report(metric_capture());
  for (const auto& p : r.processes)
    for (const auto& m : p.metrics.values) ids.insert(m.id);
  // Metrics behind conditions the capture above misses are still named in the source.
  const std::string src = read_file(source_path("src/model/metrics.cpp"));
  std::regex lit("put(_count)?\\(\"([a-z0-9_]+)\"");
  for (auto it = std::sregex_iterator(src.begin(), src.end(), lit); it != std::sregex_iterator(); ++it)
    ids.insert((*it)[2].str());
  return ids;
}

TEST(ManPage, EveryMetricIdIsDefinedInMetrics) {
  const auto ids = metric_ids();
  ASSERT_GE(ids.size(), 20u) << "the metric capture no longer exercises compute_metrics()";
  const std::string metrics = man_section(man_text(), "METRICS");
  ASSERT_FALSE(metrics.empty()) << "man/iotrace.8 has no METRICS section";
  for (const auto& id : ids) {
    std::regex tag("(^|\n)\\.TP\n\\.BR? " + id + "(\n| )");
    EXPECT_TRUE(std::regex_search(metrics, tag))
        << "metric " << id << " needs a '.TP' entry '.B " << id << "' in METRICS of man/iotrace.8";
  }
}

// Every metric family the exporter serves has a '.TP' entry under EXPORTER, and every
// iotrace_ name there is served.
TEST(ManPage, EveryExporterMetricIsListedUnderExporter) {
  Capture c = metric_capture();
  c.threads[0].stalls = 2;
  c.threads[0].iterations = 40;
  c.threads[0].et_undrained = 1;
  Stall st;
  st.tid = 100;
  st.dur_ns = 30000000;
  c.stalls.push_back(st);
  FlaggedCall f;
  f.tid = 100;
  f.nr = syscall_nr("fsync").value();
  f.count = 1;
  f.total_ns = 9000000;
  c.flagged.push_back(f);
  ExporterMetrics m;
  m.add_window(c, 1.0, {});
  std::set<std::string> served;
  for (const auto& fam : m.families({})) served.insert(fam.name);
  ASSERT_GE(served.size(), 30u) << "the capture no longer exercises every family";
  const std::string sec = man_section(man_text(), "EXPORTER");
  ASSERT_FALSE(sec.empty()) << "man/iotrace.8 has no EXPORTER section";
  for (const auto& name : served) {
    std::regex tag("(^|\n)\\.TP\n\\.B " + name + "\n");
    EXPECT_TRUE(std::regex_search(sec, tag)) << "metric " << name << " needs a '.TP' entry under EXPORTER";
  }
  std::regex word("iotrace_[a-z_]+");
  for (auto it = std::sregex_iterator(sec.begin(), sec.end(), word); it != std::sregex_iterator(); ++it)
    EXPECT_TRUE(served.count(it->str())) << "EXPORTER names " << it->str() << ", which the exporter does not serve";
}

TEST(ManPage, HasTheSectionsAReaderExpects) {
  const std::string man = man_text();
  for (const char* s : {"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "I/O MODELS",
                        "FINDINGS", "METRICS", "FIELDS", "OUTPUT", "EXIT STATUS", "ENVIRONMENT",
                        "REQUIREMENTS", "OVERHEAD", "EXAMPLES", "SEE ALSO"})
    EXPECT_FALSE(man_section(man, s).empty()) << "man/iotrace.8 lacks section " << s;
}

TEST(ManPage, EveryModelAndRoleIsDescribed) {
  const std::string models = man_section(man_text(), "I/O MODELS");
  for (const char* m : {"blocking", "busy-poll", "select", "poll", "epoll", "io_uring", "linux-aio",
                        "threadpool", "mixed", "idle", "unknown", "level", "edge", "oneshot",
                        "exclusive", "event-loop", "async-io", "blocking-io", "pool-worker", "io-wq",
                        "sqpoll", "compute", "control-loop", "acceptor", "helper"})
    EXPECT_TRUE(has_word(models, m)) << "I/O MODELS of man/iotrace.8 does not describe " << m;
}

TEST(ManPage, LintsCleanWithMandoc) {
  if (!have_program("mandoc")) {
    if (in_ci()) FAIL() << "mandoc is not installed (Debian package mandoc)";
    GTEST_SKIP() << "mandoc is not installed";
  }
  auto r = run({"mandoc", "-T", "lint", "-W", "warning", "man/iotrace.8"});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace iotrace::docs
