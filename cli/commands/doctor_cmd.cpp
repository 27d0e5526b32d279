// iotrace doctor: one line per check with what it means, then what will work and what falls
// back. Exit 0 when attach will work, 4 (environment) when it will not.
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/errors.hpp"
#include "cli/output.hpp"
#include "cli/render/terminal.hpp"
#include "probes/kernel/doctor_checks.hpp"

namespace iotrace::cli {
namespace {

using probes::CheckState;

constexpr size_t k_name_width = 21;
constexpr size_t k_state_width = 9;
constexpr size_t k_feature_width = 32;
constexpr size_t k_width = 80;

const char* state_colour(CheckState s) {
  switch (s) {
    case CheckState::ok: return "32";
    case CheckState::fallback: return "33";
    case CheckState::fatal: return "1;31";
    case CheckState::info: return "";
  }
  return "";
}

std::string state_word(CheckState s) {
  return s == CheckState::info ? "-" : probes::check_state_name(s);
}

// Word-wraps text into lines of at most width, continuation lines indented by indent.
std::string wrap(const std::string& text, size_t first_col, size_t indent) {
  std::string out, line;
  size_t col = first_col;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t sp = text.find(' ', pos);
    std::string word = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    pos = sp == std::string::npos ? text.size() : sp + 1;
    size_t need = (line.empty() ? 0 : 1) + word.size();
    if (!line.empty() && col + need > k_width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
      col = indent;
      need = word.size();
    }
    line += (line.empty() ? "" : " ") + word;
    col += need;
  }
  return out + line;
}

std::string render_line(CheckState st, const std::string& name, const std::string& text,
                        bool colour, size_t name_width = k_name_width) {
  std::string word = state_word(st);
  std::string pad(k_state_width > word.size() ? k_state_width - word.size() : 1, ' ');
  std::string label = fmt::format("{:<{}}", name, name_width);
  return fmt::format("{}{}{}{}\n", paint(word, state_colour(st), colour), pad, label,
                     wrap(text, k_state_width + label.size(), k_state_width + name_width));
}

}  // namespace

std::string render_doctor_text(const probes::DoctorReport& r, bool colour) {
  std::string o;
  for (const auto& c : r.checks)
    o += render_line(c.state, c.name, fmt::format("{}: {}", c.result, c.meaning), colour);
  o += "\nWhat iotrace will do here:\n";
  for (const auto& f : r.features)
    o += render_line(f.state, f.feature, f.how, colour, k_feature_width);
  if (!r.kernel.empty()) {
    o += "\nChosen from this kernel's BTF, as attach chooses it:\n";
    for (const auto& k : r.kernel) {
      auto st = k.state == probes::KernelFeature::State::on ? CheckState::ok : CheckState::fallback;
      std::string word = probes::kernel_feature_state_name(k.state);
      std::string pad(k_state_width > word.size() ? k_state_width - word.size() : 1, ' ');
      std::string label = fmt::format("{:<{}}", k.name, k_feature_width);
      o += fmt::format("{}{}{}{}\n", paint(word, state_colour(st), colour), pad, label,
                       wrap(k.detail, k_state_width + label.size(), k_state_width + k_feature_width));
    }
  }
  if (!r.unavailable.empty())
    o += wrap(fmt::format("Counts this kernel cannot give (reported as unavailable, never used "
                          "by a finding): {}", fmt::join(r.unavailable, ", ")), 0, 2) + "\n";
  o += r.attach_works ? "\niotrace attach will work on this machine.\n"
                      : "\niotrace attach will NOT work on this machine: see the fatal lines above.\n";
  return o;
}

std::string render_doctor_json(const probes::DoctorReport& r) {
  nlohmann::json j;
  j["schema_version"] = 1;
  j["attach_works"] = r.attach_works;
  j["checks"] = nlohmann::json::array();
  for (const auto& c : r.checks)
    j["checks"].push_back({{"id", c.id}, {"name", c.name}, {"state", probes::check_state_name(c.state)},
                           {"result", c.result}, {"meaning", c.meaning}});
  j["features"] = nlohmann::json::array();
  for (const auto& f : r.features)
    j["features"].push_back(
        {{"feature", f.feature}, {"state", probes::check_state_name(f.state)}, {"how", f.how}});
  j["kernel_features"] = nlohmann::json::array();
  for (const auto& k : r.kernel)
    j["kernel_features"].push_back(
        {{"name", k.name}, {"state", probes::kernel_feature_state_name(k.state)}, {"detail", k.detail}});
  j["unavailable_counts"] = r.unavailable;
  return j.dump(2) + "\n";
}

CLI::App* add_doctor_command(CLI::App& app, DoctorArgs& a) {
  auto* doctor = app.add_subcommand(
      "doctor", "Check what this machine allows and which iotrace features will work");
  doctor->add_flag("--json", a.json, "Write the checks as JSON");
  return doctor;
}

int run_doctor_cmd(const AppArgs& args) {
  probes::DoctorReport r = probes::run_doctor(args.verbose);
  std::string text = args.doctor.json ? render_doctor_json(r) : render_doctor_text(r, colour_on(1));
  write_stdout(text);
  return r.attach_works ? k_exit_ok : k_exit_environment;
}

}  // namespace iotrace::cli
