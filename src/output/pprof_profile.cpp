#include "src/output/pprof_profile.hpp"

#include <map>
#include <tuple>
#include <unordered_map>

#include "profile.pb.h"
#include "src/stacks/blocked_samples.hpp"
#include "src/util/gzip.hpp"

namespace iotrace {
namespace {

namespace pp = perftools::profiles;

class Builder {
 public:
  Builder() { str(""); }  // the string table starts with ""

  int64_t str(const std::string& s) {
    auto [it, added] = strings_.emplace(s, static_cast<int64_t>(strings_.size()));
    if (added) profile.add_string_table(s);
    return it->second;
  }

  uint64_t function(const std::string& name, const std::string& file) {
    auto key = std::make_pair(name, file);
    auto it = functions_.find(key);
    if (it != functions_.end()) return it->second;
    auto* f = profile.add_function();
    f->set_id(functions_.size() + 1);
    f->set_name(str(name));
    f->set_system_name(str(name));
    f->set_filename(str(file));
    return functions_[key] = f->id();
  }

  // One location per distinct frame (its address in its file, its function and line).
  uint64_t location(const Frame& fr) {
    const std::string name = fr.kind == FrameKind::interpreted || !fr.symbol.empty() ? fr.symbol : frame_label(fr);
    auto key = std::make_tuple(fr.module, fr.offset, name, fr.file, fr.line);
    auto it = frames_.find(key);
    if (it != frames_.end()) return it->second;
    auto* loc = profile.add_location();
    loc->set_id(profile.location_size());
    if (fr.kind != FrameKind::interpreted) loc->set_address(fr.offset);
    auto* line = loc->add_line();
    line->set_function_id(function(name.empty() ? "?" : name, fr.file.empty() ? fr.path : fr.file));
    line->set_line(fr.line);
    return frames_[key] = loc->id();
  }

  // The call or marker that ends a sample's path.
  uint64_t marker(const std::string& name) {
    auto it = markers_.find(name);
    if (it != markers_.end()) return it->second;
    auto* loc = profile.add_location();
    loc->set_id(profile.location_size());
    loc->add_line()->set_function_id(function(name, ""));
    return markers_[name] = loc->id();
  }

  void label(pp::Sample* s, const std::string& key, const std::string& value) {
    auto* l = s->add_label();
    l->set_key(str(key));
    l->set_str(str(value));
  }

  pp::Profile profile;

 private:
  std::unordered_map<std::string, int64_t> strings_;
  std::map<std::pair<std::string, std::string>, uint64_t> functions_;
  std::map<std::tuple<std::string, uint64_t, std::string, std::string, uint32_t>, uint64_t> frames_;
  std::map<std::string, uint64_t> markers_;
};

}  // namespace

std::string pprof_profile(const Capture& c) {
  Builder b;
  auto* blocked = b.profile.add_sample_type();
  blocked->set_type(b.str("blocked"));
  blocked->set_unit(b.str("nanoseconds"));
  auto* calls = b.profile.add_sample_type();
  calls->set_type(b.str("calls"));
  calls->set_unit(b.str("count"));
  b.profile.mutable_period_type()->set_type(b.str("blocked"));
  b.profile.mutable_period_type()->set_unit(b.str("nanoseconds"));
  b.profile.set_period(1);
  b.profile.set_duration_nanos(static_cast<int64_t>(c.duration_ns));
  b.profile.set_default_sample_type(b.str("blocked"));
  b.profile.add_comment(b.str("iotrace: time event-loop threads were blocked, in flagged calls and stalls"));
  for (const auto& s : blocked_samples(c)) {
    auto* sample = b.profile.add_sample();
    for (auto it = s.leaf.rbegin(); it != s.leaf.rend(); ++it) sample->add_location_id(b.marker(*it));
    if (s.stack)
      for (const auto& fr : s.stack->frames) sample->add_location_id(b.location(fr));
    sample->add_value(static_cast<int64_t>(s.ns));
    sample->add_value(static_cast<int64_t>(s.count));
    b.label(sample, "thread", s.thread);
    b.label(sample, "finding", s.finding);
    auto* tid = sample->add_label();
    tid->set_key(b.str("tid"));
    tid->set_num(s.tid);
  }
  std::string bytes;
  b.profile.SerializeToString(&bytes);
  return gzip(bytes);
}

}  // namespace iotrace
