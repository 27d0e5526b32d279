// cli/junit: the JUnit XML is asserted whole, escapes what XML forbids, and validates against
// tests/fixtures/junit.xsd with libxml2's xmllint.
#include "cli/render/junit.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

using namespace iotrace;
using namespace iotrace::cli;

namespace {

std::vector<RuleResult> sample_results() {
  RuleResult pass;
  pass.name = "max-stall 50.0ms";
  pass.message = "worst loop stall 31.0ms <= 50.0ms";
  RuleResult fail;
  fail.name = "fail-on blocking-call-on-loop";
  fail.passed = false;
  fail.message = "1 matching finding";
  Violation v;
  v.pid = 100;
  v.comm = "server";
  v.message = "blocking-call-on-loop [high] in process 100 (server): nanosleep ran 8 times";
  Finding f;
  f.id = "blocking-call-on-loop";
  f.severity = Severity::high;
  f.title = "blocking call on an event-loop thread";
  f.tid = 101;
  f.thread = "ci-loop";
  f.syscall = "clock_nanosleep";
  f.count = 8;
  f.max_ns = 30100000;
  f.p99_ns = 33554432;
  f.evidence = "clock_nanosleep ran 8 times";
  f.advice = "move the call off the loop";
  Frame fr;
  fr.symbol = "handle_request_blocking";
  fr.sym_offset = 0x14;
  fr.module = "wl_ci_blocking";
  f.stack.frames.push_back(fr);
  Frame raw;
  raw.module = "libc.so.6";
  raw.offset = 0xe5a1;
  f.stack.frames.push_back(raw);
  v.finding = f;
  fail.violations.push_back(v);
  return {fail, pass};
}

JunitSuite sample_suite() {
  JunitSuite s;
  s.name = "iotrace run wl_ci_blocking";
  s.timestamp = "2026-11-26T12:00:00";
  s.hostname = "ci-runner";
  s.time_s = 1.25;
  s.properties = {{"command", "wl_ci_blocking"}};
  s.system_out = "policy: FAILED (1 of 2 rules)\n";
  return s;
}

bool have_xmllint() { return system("command -v xmllint >/dev/null 2>&1") == 0; }

// Runs xmllint on xml; returns its exit status and output.
std::pair<int, std::string> xmllint(const std::string& xml, bool schema) {
  char path[] = "/tmp/iotrace-junit-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, xml.data(), xml.size()), static_cast<ssize_t>(xml.size()));
  close(fd);
  std::string cmd = std::string("xmllint --noout ") +
                    (schema ? "--schema " IOTRACE_FIXTURES_DIR "/junit.xsd " : "") + path + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int st = pclose(p);
  unlink(path);
  return {WEXITSTATUS(st), out};
}

}  // namespace

TEST(Junit, RendersOneTestCasePerRule) {
  EXPECT_EQ(render_junit(sample_suite(), sample_results()),
            R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="iotrace" tests="2" failures="1" errors="0" time="1.250">
  <testsuite name="iotrace run wl_ci_blocking" tests="2" failures="1" errors="0" skipped="0" time="1.250" timestamp="2026-11-26T12:00:00" hostname="ci-runner">
    <properties>
      <property name="command" value="wl_ci_blocking"/>
    </properties>
    <testcase name="fail-on blocking-call-on-loop" classname="iotrace.policy" time="0">
      <failure message="blocking-call-on-loop [high] in process 100 (server): nanosleep ran 8 times" type="blocking-call-on-loop">blocking-call-on-loop [high] in process 100 (server): nanosleep ran 8 times
  finding: blocking-call-on-loop [high] blocking call on an event-loop thread
  thread: 101 (ci-loop)
  syscall: clock_nanosleep
  count: 8, max 30.1ms, p99 33.6ms
  evidence: clock_nanosleep ran 8 times
  advice: move the call off the loop
  stack:
    handle_request_blocking+0x14 (wl_ci_blocking)
    libc.so.6+0xe5a1
</failure>
      <system-out>1 matching finding</system-out>
    </testcase>
    <testcase name="max-stall 50.0ms" classname="iotrace.policy" time="0">
      <system-out>worst loop stall 31.0ms &lt;= 50.0ms</system-out>
    </testcase>
    <system-out>policy: FAILED (1 of 2 rules)
</system-out>
  </testsuite>
</testsuites>
)");
}

TEST(Junit, EscapesMarkupControlBytesAndInvalidUtf8) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(xml_escape("line\nnext\ttab\rcr"), "line&#10;next&#9;tab&#13;cr");
  EXPECT_EQ(xml_escape("esc\x1b[31m nul\x01"), "esc\xef\xbf\xbd[31m nul\xef\xbf\xbd");
  EXPECT_EQ(xml_escape("bad\xff\xfe"), "bad\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(xml_escape("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(xml_escape("\xef\xbf\xbe"), "\xef\xbf\xbd");  // U+FFFE is not an XML character
}

TEST(Junit, ValidatesAgainstTheSchema) {
  if (!have_xmllint()) GTEST_SKIP() << "xmllint not installed (Debian: libxml2-utils)";
  auto [code, out] = xmllint(render_junit(sample_suite(), sample_results()), true);
  EXPECT_EQ(code, 0) << out;
}

TEST(Junit, HostileNamesStayWellFormedAndValid) {
  if (!have_xmllint()) GTEST_SKIP() << "xmllint not installed (Debian: libxml2-utils)";
  auto results = sample_results();
  auto& f = *results[0].violations[0].finding;
  f.thread = "]]></failure><x a=\"\x01\x02\xff";
  f.stack.frames[0].symbol = "operator<<(std::ostream&, T const&)";
  results[0].violations[0].message = "</testcase>\x1b[2J";
  JunitSuite s = sample_suite();
  s.name = "iotrace run <&>";
  s.properties.push_back({"command", "sh -c 'echo \"x\"'\n"});
  auto [code, out] = xmllint(render_junit(s, results), true);
  EXPECT_EQ(code, 0) << out;
}

TEST(Junit, NoRulesIsAnEmptyValidSuite) {
  if (!have_xmllint()) GTEST_SKIP() << "xmllint not installed (Debian: libxml2-utils)";
  JunitSuite s = sample_suite();
  std::string xml = render_junit(s, {});
  EXPECT_NE(xml.find("tests=\"0\" failures=\"0\""), std::string::npos);
  auto [code, out] = xmllint(xml, true);
  EXPECT_EQ(code, 0) << out;
}
