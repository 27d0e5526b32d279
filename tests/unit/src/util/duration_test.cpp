#include "src/util/duration.hpp"

#include <gtest/gtest.h>

namespace iotrace {
namespace {

uint64_t parsed(std::string_view text, bool allow_zero = false) {
  auto r = parse_duration_ns(text, allow_zero);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? r.value() : 0;
}

std::string rejected(std::string_view text, bool allow_zero = false) {
  auto r = parse_duration_ns(text, allow_zero);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? std::string() : r.error();
}

TEST(ParseDuration, BareNumberIsSeconds) {
  EXPECT_EQ(parsed("10"), 10000000000u);
  EXPECT_EQ(parsed("1.5"), 1500000000u);
}

TEST(ParseDuration, EveryUnit) {
  EXPECT_EQ(parsed("100ns"), 100u);
  EXPECT_EQ(parsed("250us"), 250000u);
  EXPECT_EQ(parsed("500ms"), 500000000u);
  EXPECT_EQ(parsed("2s"), 2000000000u);
  EXPECT_EQ(parsed("2m"), 120000000000u);
  EXPECT_EQ(parsed("1h"), 3600000000000u);
  EXPECT_EQ(parsed("0.5ms"), 500000u);
}

TEST(ParseDuration, ThirtyDaysIsTheLimit) {
  EXPECT_EQ(parsed("720h"), 720ull * 3600 * 1000000000);
  EXPECT_EQ(rejected("721h"), "invalid duration '721h': longer than 30 days");
  EXPECT_EQ(rejected("1e30"), "invalid duration '1e30': unknown unit 'e30': use ns, us, ms, s, m or h");
}

TEST(ParseDuration, ZeroOnlyWhenAllowed) {
  EXPECT_EQ(rejected("0"), "invalid duration '0': must be greater than zero");
  EXPECT_EQ(rejected("0.1ns"), "invalid duration '0.1ns': must be greater than zero");
  EXPECT_EQ(parsed("0", true), 0u);
  EXPECT_EQ(parsed("0ms", true), 0u);
}

TEST(ParseDuration, MalformedInputNamesTheProblem) {
  EXPECT_EQ(rejected(""), "invalid duration '': empty");
  EXPECT_EQ(rejected("-5"), "invalid duration '-5': must not be negative");
  EXPECT_EQ(rejected("5x"), "invalid duration '5x': unknown unit 'x': use ns, us, ms, s, m or h");
  EXPECT_EQ(rejected("10 s"), "invalid duration '10 s': unknown unit ' s': use ns, us, ms, s, m or h");
  EXPECT_EQ(rejected("ms"),
            "invalid duration 'ms': expected a number with ns, us, ms, s, m or h (e.g. 500ms, 2m)");
  EXPECT_EQ(rejected("1.2.3s"),
            "invalid duration '1.2.3s': expected a number with ns, us, ms, s, m or h (e.g. 500ms, 2m)");
  EXPECT_EQ(rejected("."),
            "invalid duration '.': expected a number with ns, us, ms, s, m or h (e.g. 500ms, 2m)");
}

TEST(FormatDuration, ThreeSignificantDigits) {
  EXPECT_EQ(format_duration(0), "0ns");
  EXPECT_EQ(format_duration(850), "850ns");
  EXPECT_EQ(format_duration(999), "999ns");
  EXPECT_EQ(format_duration(1000), "1.00us");
  EXPECT_EQ(format_duration(12345), "12.3us");
  EXPECT_EQ(format_duration(123456), "123us");
  EXPECT_EQ(format_duration(4560000), "4.56ms");
  EXPECT_EQ(format_duration(45600000), "45.6ms");
  EXPECT_EQ(format_duration(456000000), "456ms");
  EXPECT_EQ(format_duration(1200000000), "1.20s");
  EXPECT_EQ(format_duration(59000000000), "59.00s");
  EXPECT_EQ(format_duration(60000000000), "1m00s");
  EXPECT_EQ(format_duration(125000000000), "2m05s");
}

TEST(FormatDuration, RoundingUpMovesToTheNextUnit) {
  EXPECT_EQ(format_duration(9999), "10.0us");
  EXPECT_EQ(format_duration(99999), "100us");
  EXPECT_EQ(format_duration(999999), "1.00ms");
  EXPECT_EQ(format_duration(9999999), "10.0ms");
  EXPECT_EQ(format_duration(999999999), "1.00s");
}

TEST(FormatBytes, BinaryUnits) {
  EXPECT_EQ(format_bytes(0), "0B");
  EXPECT_EQ(format_bytes(1023), "1023B");
  EXPECT_EQ(format_bytes(1024), "1.0KiB");
  EXPECT_EQ(format_bytes(1536), "1.5KiB");
  EXPECT_EQ(format_bytes(20ull << 20), "20.0MiB");
  EXPECT_EQ(format_bytes(8ull << 30), "8.0GiB");
  EXPECT_EQ(format_bytes(3ull << 40), "3.0TiB");
  EXPECT_EQ(format_bytes(2048ull << 40), "2048.0TiB");
}

TEST(FormatCount, ShortForms) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(7), "7");
  EXPECT_EQ(format_count(2.5), "2.5");
  EXPECT_EQ(format_count(12), "12");
  EXPECT_EQ(format_count(9999), "9999");
  EXPECT_EQ(format_count(10000), "10.0k");
  EXPECT_EQ(format_count(123456), "123.5k");
  EXPECT_EQ(format_count(3400000), "3.4M");
  EXPECT_EQ(format_count(5e9), "5.0G");
}

}  // namespace
}  // namespace iotrace
