// --pprof: the gzipped profile.proto holds the same blocked time as --folded, with the frames
// as functions (file and line for interpreted code), thread and finding as labels, and
// nanoseconds and calls as its two sample types.
#include "src/output/pprof_profile.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "profile.pb.h"
#include "src/capture/syscall_table.hpp"
#include "src/stacks/folded_stacks.hpp"
#include "src/util/gzip.hpp"

namespace iotrace {
namespace {

namespace pp = perftools::profiles;

Capture blocked_loop() {
  Capture c;
  c.duration_ns = 2'000'000'000;
  ThreadRecord t;
  t.tid = 41;
  t.comm = "event-loop";
  c.threads.push_back(t);
  Frame py;
  py.kind = FrameKind::interpreted;
  py.symbol = "fetch_user";
  py.file = "app/db.py";
  py.line = 88;
  Frame native;
  native.symbol = "read";
  native.module = "libc.so.6";
  native.offset = 0x1234;
  FlaggedCall f;
  f.tid = 41;
  f.nr = *syscall_nr("read");
  f.fd_kind = FdKind::regular;
  f.count = 4;
  f.total_ns = 48'000'000;
  f.sleep_ns = 40'000'000;
  f.stack.frames = {native, py};
  c.flagged.push_back(f);
  Stall s;  // no stack
  s.tid = 41;
  s.dur_ns = 30'000'500;
  s.max_nr = *syscall_nr("write");
  c.stalls.push_back(s);
  return c;
}

pp::Profile decode(const std::string& gz) {
  pp::Profile p;
  EXPECT_TRUE(p.ParseFromString(gunzip(gz))) << "not a gzipped profile.proto";
  return p;
}

TEST(PprofProfile, HoldsTheFoldedTimeWithFramesAndLabels) {
  Capture c = blocked_loop();
  pp::Profile p = decode(pprof_profile(c));
  const auto& st = p.string_table();
  ASSERT_EQ(p.sample_type_size(), 2);
  EXPECT_EQ(st[p.sample_type(0).type()], "blocked");
  EXPECT_EQ(st[p.sample_type(0).unit()], "nanoseconds");
  EXPECT_EQ(st[p.sample_type(1).unit()], "count");
  EXPECT_EQ(p.duration_nanos(), 2'000'000'000);

  int64_t total_ns = 0;
  std::map<std::string, std::string> finding_of_leaf;
  std::map<uint64_t, const pp::Location*> locs;
  for (const auto& l : p.location()) locs[l.id()] = &l;
  std::map<uint64_t, const pp::Function*> funcs;
  for (const auto& f : p.function()) funcs[f.id()] = &f;
  std::set<std::string> names, files;
  for (const auto& s : p.sample()) {
    total_ns += s.value(0);
    std::map<std::string, std::string> labels;
    for (const auto& l : s.label()) labels[st[l.key()]] = l.str() ? st[l.str()] : std::to_string(l.num());
    EXPECT_EQ(labels["thread"], "event-loop");
    EXPECT_EQ(labels["tid"], "41");
    const auto* leaf = funcs[locs[s.location_id(0)]->line(0).function_id()];
    finding_of_leaf[st[leaf->name()]] = labels["finding"];
    for (uint64_t id : s.location_id())
      for (const auto& line : locs[id]->line()) {
        names.insert(st[funcs[line.function_id()]->name()]);
        files.insert(st[funcs[line.function_id()]->filename()] + ":" + std::to_string(line.line()));
      }
  }
  EXPECT_EQ(total_ns, 78'000'500);
  EXPECT_EQ(finding_of_leaf["read(regular)"], "blocking-call-on-loop");
  EXPECT_EQ(finding_of_leaf["longest:write"], "loop-stall");
  EXPECT_TRUE(names.count("fetch_user")) << "the Python frame is a function";
  EXPECT_TRUE(names.count("[loop_stall]"));
  EXPECT_TRUE(files.count("app/db.py:88"));

  // The folded file's microseconds are the same time.
  uint64_t folded_us = 0;
  std::string folded = folded_stacks(c);
  for (size_t at = 0; (at = folded.find(' ', at)) != std::string::npos; ++at) folded_us += std::stoull(folded.substr(at + 1));
  EXPECT_EQ(folded_us, static_cast<uint64_t>(total_ns) / 1000);
}

TEST(PprofProfile, NothingBlockedIsAProfileWithoutSamples) {
  pp::Profile p = decode(pprof_profile(Capture{}));
  EXPECT_EQ(p.sample_size(), 0);
  EXPECT_EQ(p.sample_type_size(), 2);
}

}  // namespace
}  // namespace iotrace
