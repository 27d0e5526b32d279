// Helpers shared by the finding rules (src/findings/findings.cpp, src/findings/loop_findings.cpp).
#pragma once
#include <set>
#include <string>
#include <string_view>

#include "src/findings/findings.hpp"
#include "src/output/report.hpp"

namespace iotrace {

Finding make_finding(std::string_view id);
// Fixes in the terms of the runtime that was detected.
std::string runtime_advice(const std::string& runtime, const std::string& generic);
const ThreadRecord* thread_of(const Capture& c, uint32_t tid);
// Threads of the process whose role is event-loop (src/model/thread_role.hpp): the only threads
// loop findings are made for.
std::set<uint32_t> loop_threads(const ProcessReport& pr);

// Severity from what a problem cost, for findings whose registry severity is a ceiling:
// high when it took a real share of the trace (1%) more than once, or one very long stop;
// medium when it recurs or one stop was long; low for a single short one.
Severity severity_by_cost(uint64_t count, uint64_t total_ns, uint64_t max_ns, uint64_t traced_ns,
                          Severity ceiling);

void loop_findings(const Capture& c, const ProcessReport& pr, std::vector<Finding>& out);

}  // namespace iotrace
