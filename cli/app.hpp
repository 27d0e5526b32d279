// The command line: subcommands, their options, and the top-level error handling.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cli/commands/pictures.hpp"
#include "cli/commands/policy_options.hpp"

namespace iotrace::cli {

// --timeline FILE and --timeline-limit N (attach and run: a capture keeps no per-iteration
// records, so report cannot draw one).
struct TimelineArgs {
  std::string file;
  uint64_t limit = 1000000;
};

struct AttachArgs {
  std::vector<std::string> pids;
  std::string duration;
  bool json = false;
  std::string output;
  bool follow_children = false;
  std::string stall_threshold = "20ms";
  std::string block_threshold = "5ms";
  std::string save_capture;
  std::string interval;  // compact reports this often while tracing; empty: off
  bool all_threads = false;
  bool loop_watch = false;
  PictureArgs pictures;
  TimelineArgs timeline;
  PolicyArgs policy;
};

struct RunArgs {
  std::vector<std::string> command;
  std::string duration;
  bool json = false;
  std::string output;
  std::string stall_threshold = "20ms";
  std::string block_threshold = "5ms";
  std::string kill_after = "2s";
  std::string user;
  std::string save_capture;
  bool all_threads = false;
  bool loop_watch = false;
  PictureArgs pictures;
  TimelineArgs timeline;
  PolicyArgs policy;
};

struct DoctorArgs {
  bool json = false;
};

struct TopArgs {
  std::vector<std::string> pids;
  std::string interval = "1s";
  bool batch = false;
  int iterations = -1;  // -1: batch 1, interactive until q
  std::string sort;  // empty: syscalls, or iterations with --loop-watch
  std::string stall_threshold = "20ms";
  bool loop_watch = false;
};

struct ExporterArgs {
  std::string listen = "127.0.0.1:19731";
  std::vector<std::string> pids;
  std::string comm;
  std::string cgroup;
  std::string duty = "5s/60s";
  std::string stall_threshold = "20ms";
  std::string block_threshold = "5ms";
  size_t max_processes = 100;
  size_t max_threads = 16;
  int windows = 0;
  std::string web_config;     // TLS and basic auth (exporter-toolkit keys)
  bool no_loop_watch = false; // loop health from the sampled windows only
  size_t max_connections = 256;
};

struct DemoArgs {
  std::string duration = "3s";
  bool json = false;
  std::string output;
};

struct ReportArgs {
  std::string capture;
  bool json = false;
  std::string output;
  bool all_threads = false;
  PictureArgs pictures;
  PolicyArgs policy;  // judges the capture as attach would have
  std::vector<std::string> debug_dirs;  // --debug-dir: where separate debug files are
};

struct DiffArgs {
  std::string before, after;
  bool json = false;
  std::string output;
  std::string threshold = "25";  // percent
  uint64_t min_calls = 100;
  PolicyArgs policy;  // --fail-on, --policy and --junit only
};

struct AppArgs {
  bool verbose = false;
  std::vector<std::string> no_feature;
  AttachArgs attach;
  RunArgs run;
  DoctorArgs doctor;
  TopArgs top;
  ExporterArgs exporter;
  DemoArgs demo;
  ReportArgs report;
  DiffArgs diff;
};

// Builds the CLI11 app bound to args. Tests use it to check the man page and completions.
std::unique_ptr<CLI::App> build_app(AppArgs& args);
int run_app(int argc, char** argv);

int run_attach(const AppArgs& args);
int run_run(const AppArgs& args);
CLI::App* add_run_command(CLI::App& app, RunArgs& args);  // in run_cmd.cpp
CLI::App* add_doctor_command(CLI::App& app, DoctorArgs& args);  // in doctor_cmd.cpp
int run_doctor_cmd(const AppArgs& args);
CLI::App* add_top_command(CLI::App& app, TopArgs& args);  // in top_cmd.cpp
int run_top(const AppArgs& args);
CLI::App* add_exporter_command(CLI::App& app, ExporterArgs& args);  // in exporter_cmd.cpp
int run_exporter(const AppArgs& args);
int run_demo(const AppArgs& args);
int run_report(const AppArgs& args);
CLI::App* add_diff_command(CLI::App& app, DiffArgs& args);  // in diff_cmd.cpp
int run_diff(const AppArgs& args);
// --json and -o/--output, shared by the commands that write a report.
void add_output_options(CLI::App* cmd, bool& json, std::string& output);
// --all-threads, shared by attach, run and report.
void add_loop_watch_flag(CLI::App* cmd, bool& loop_watch);
void add_all_threads_flag(CLI::App* cmd, bool& all_threads);
// --loop-watch (attach, run): the loop-watch tier instead of the full tracer.
void add_loop_watch_flag(CLI::App* cmd, bool& loop_watch);
// --hist and --folded, shared by attach, run and report.
void add_picture_options(CLI::App* cmd, PictureArgs& pictures);
void add_save_capture_option(CLI::App* cmd, std::string& file);
// --timeline and --timeline-limit, shared by attach and run.
void add_timeline_options(CLI::App* cmd, TimelineArgs& timeline);

}  // namespace iotrace::cli
