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

// Severity from what a problem cost the loop, for findings whose registry severity is a
// ceiling: high from 5% of the loop's time or one stop of 250 ms; medium from 1% (the share a
// user notices) or one stop of 50 ms; low below both, however often it recurs.
inline constexpr double k_share_high = 0.05, k_share_medium = 0.01;
Severity severity_by_cost(uint64_t total_ns, uint64_t max_ns, uint64_t traced_ns, Severity ceiling);

void loop_findings(const Capture& c, const ProcessReport& pr, std::vector<Finding>& out);
// The finding a flagged call site makes (before the rules that drop uneventful sites): what
// its calls spent their time on, or the kind of flag.
std::string flagged_finding_id(Arch arch, const FlaggedCall& fc);

}  // namespace iotrace
