// Rendering a comparison of two runs (iotrace diff): a short text summary grouped by process,
// or a stable JSON object.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "src/output/report_diff.hpp"

namespace iotrace::cli {

struct DiffHeader {
  std::string before, after;  // the files compared, as given
  DiffOptions options;
};

std::string render_diff_text(const DiffHeader& h, const Diff& d);
nlohmann::json diff_to_json(const DiffHeader& h, const Diff& d);

}  // namespace iotrace::cli
