// A host-wide capture split into one capture per process that made calls or stalled.
// The analysis indexes a capture's rows for each process it reports, so small captures keep
// the work of host-wide reports (top, exporter) linear in the rows.
#pragma once
#include <vector>

#include "src/capture/capture.hpp"

namespace iotrace {

// Processes with no thread row are left out: they need no classification, and host-wide they
// are most of them. Each part keeps the capture's header, settings and nothing of its losses.
std::vector<Capture> split_by_process(Capture c);

}  // namespace iotrace
