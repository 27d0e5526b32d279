// --hist: the histogram layout, whole strings.
#include <gtest/gtest.h>

#include "cli/render/render.hpp"

namespace iotrace::cli {
namespace {

TEST(RenderHist, RowsFromTheFirstToTheLastCountedSlotWithBarsScaledToTheFullest) {
  Histogram h;
  h.slots[10] = 4;  // [1024, 2048) ns
  h.slots[12] = 8;  // [4096, 8192) ns
  EXPECT_EQ(render_histogram(h, "  "),
            "                latency : count     distribution\n"
            "     1.02us -> 2.05us   : 4         |********************                    |\n"
            "     2.05us -> 4.09us   : 0         |                                        |\n"
            "     4.10us -> 8.19us   : 8         |****************************************|\n");
}

TEST(RenderHist, SlotZeroStartsAtZeroAndAnEmptyHistogramPrintsNothing) {
  Histogram h;
  EXPECT_EQ(render_histogram(h, ""), "");
  h.slots[0] = 1;
  EXPECT_EQ(render_histogram(h, ""),
            "              latency : count     distribution\n"
            "        0 -> 1ns      : 1         |****************************************|\n");
}

}  // namespace
}  // namespace iotrace::cli
