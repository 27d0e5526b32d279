// What each kind of loss means for the figures of a report, in one sentence.
#pragma once
#include <string>

#include "src/capture/capture.hpp"

namespace iotrace {

// "" when nothing was lost; otherwise each non-zero loss with what it affects, e.g.
// "ring buffer 12 (stall details: stall counts stay exact)".
std::string describe_losses(const Losses& l);

}  // namespace iotrace
