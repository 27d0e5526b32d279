#include "cli/app.hpp"

int main(int argc, char** argv) { return iotrace::cli::run_app(argc, argv); }
