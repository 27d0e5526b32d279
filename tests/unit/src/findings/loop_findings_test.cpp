// Loop findings on synthetic captures built from the figures of real ones.
#include "src/findings/findings.hpp"

#include <gtest/gtest.h>

#include "capture_builder.hpp"
#include "src/output/report.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;
using test::k_ms;

const Finding* finding(const ProcessReport& p, std::string_view id) {
  for (const auto& f : p.findings)
    if (f.id == id) return &f;
  return nullptr;
}

// A redis replica whose master is named and down (tests/fixtures/realworld/redis-replica-dns):
// replicationCron resolves the name through the DNS server once a second on the loop, 6
// lookups in 6 s that took 6.9 ms in all (0.11% of the loop's time), the longest 3.5 ms. A
// real lookup, so a finding; its severity follows its share of the loop's time, as every
// finding about time the loop lost does: low here, medium from 1%, high from 5% or when one
// lookup held the loop for 250 ms (a resolver timing out).
TEST(LoopFindings, SyncDnsSeverityFollowsItsShareOfTheLoop) {
  struct Case {
    uint64_t total_ns, max_ns;
    Severity want;
  };
  for (const Case& k : {Case{6882959, 3531460, Severity::low}, Case{72 * k_ms, 3531460, Severity::medium},
                        Case{400 * k_ms, 3531460, Severity::high},
                        Case{1005 * k_ms, 1000 * k_ms, Severity::high}}) {
    CaptureBuilder b;
    b.capture().duration_ns = 6001169450;
    b.process(25716, "redis-server").traced_ns = 6001169450;
    test::epoll_loop(b, 25716, 25716, 8000, 2);
    b.capture().threads[0].dns_udp53 = 6;
    auto& f = b.flagged(25716, "getppid", FdKind::none, FlagKind::dns);
    f.nr = k_nr_fn_base;  // getaddrinfo: resolver functions are numbered from k_nr_fn_base
    f.count = 6;
    f.total_ns = k.total_ns;
    f.max_ns = k.max_ns;
    f.sleep_ns = 765694;
    f.runq_ns = 3855098;
    Report rep = b.report();
    const Finding* dns = finding(rep.processes[0], "sync-dns-on-loop");
    ASSERT_NE(dns, nullptr) << k.total_ns;
    EXPECT_EQ(dns->severity, k.want) << k.total_ns;
    EXPECT_EQ(dns->count, 6u);
  }
}

}  // namespace
}  // namespace iotrace
