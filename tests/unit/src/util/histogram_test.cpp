#include "src/util/histogram.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace iotrace {
namespace {

TEST(Log2Slot, PowersOfTwoStartASlot) {
  EXPECT_EQ(log2_slot(0), 0);
  EXPECT_EQ(log2_slot(1), 0);
  EXPECT_EQ(log2_slot(2), 1);
  EXPECT_EQ(log2_slot(3), 1);
  EXPECT_EQ(log2_slot(1023), 9);
  EXPECT_EQ(log2_slot(1024), 10);
  EXPECT_EQ(log2_slot(1ull << 39), 39);
}

TEST(Log2Slot, HugeValuesLandInTheLastSlot) {
  EXPECT_EQ(log2_slot(1ull << 40), k_hist_slots - 1);
  EXPECT_EQ(log2_slot(std::numeric_limits<uint64_t>::max()), k_hist_slots - 1);
}

TEST(Histogram, EmptyHasNoPercentiles) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.percentile(0.99, 1234), 0u);
}

TEST(Histogram, InterpolatesInsideTheSlot) {
  Histogram h;
  h.slots[10] = 100;  // 100 values in [1024, 2048)
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.percentile(0.50), 1536u);  // 50th of 100: half way
  EXPECT_EQ(h.percentile(0.99), 2037u);  // 1024 + 1024 * 0.99
  EXPECT_EQ(h.percentile(1.0), 2048u);
  EXPECT_EQ(h.percentile(0.0), 1034u);   // the first value: 1024 + 1024 / 100
}

TEST(Histogram, ClampsToTheKnownMaximum) {
  Histogram h;
  h.slots[10] = 100;
  EXPECT_EQ(h.percentile(0.50, 1500), 1500u);
  EXPECT_EQ(h.percentile(0.25, 1500), 1280u);  // below the maximum: unchanged
}

TEST(Histogram, QuantileOutsideZeroToOneIsClamped) {
  Histogram h;
  h.slots[4] = 2;  // [16, 32)
  EXPECT_EQ(h.percentile(-1.0), h.percentile(0.0));
  EXPECT_EQ(h.percentile(7.0), 32u);
}

TEST(Histogram, SlotZeroCoversZeroAndOne) {
  Histogram h;
  h.slots[0] = 4;
  EXPECT_EQ(h.percentile(0.5), 1u);  // 0 + 2 * 2/4
  EXPECT_EQ(h.percentile(1.0), 2u);
}

TEST(Histogram, PicksTheSlotHoldingTheRank) {
  Histogram h;
  h.slots[3] = 99;   // [8, 16)
  h.slots[20] = 1;   // [1Mi, 2Mi): one outlier
  EXPECT_EQ(h.percentile(0.50), 12u);        // 8 + 8 * 50/99
  EXPECT_EQ(h.percentile(0.99), 16u);        // the 99th value is the last in slot 3
  EXPECT_EQ(h.percentile(1.00), 2097152u);   // the outlier: slot 20's upper bound
  EXPECT_EQ(h.percentile(1.00, 1500000), 1500000u);
}

TEST(Histogram, MergeAddsSlotBySlot) {
  Histogram a, b;
  a.slots[1] = 3;
  a.slots[5] = 1;
  b.slots[5] = 2;
  b.slots[39] = 7;
  a.merge(b);
  EXPECT_EQ(a.slots[1], 3u);
  EXPECT_EQ(a.slots[5], 3u);
  EXPECT_EQ(a.slots[39], 7u);
  EXPECT_EQ(a.count(), 13u);
  EXPECT_EQ(b.count(), 9u);  // the source is unchanged
}

}  // namespace
}  // namespace iotrace
