#include "cli/commands/pictures.hpp"

#include "cli/output.hpp"
#include "src/output/pprof_profile.hpp"
#include "src/stacks/folded_stacks.hpp"

namespace iotrace::cli {

void write_pictures(const Capture& capture, const PictureArgs& p) {
  if (!p.folded.empty()) write_output(p.folded, folded_stacks(capture));
  if (!p.pprof.empty()) write_output(p.pprof, pprof_profile(capture));
}

}  // namespace iotrace::cli
