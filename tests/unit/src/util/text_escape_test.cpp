#include "src/util/text_escape.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace iotrace {
namespace {

using namespace std::string_literals;

TEST(EscapeText, PlainTextIsUnchanged) {
  EXPECT_EQ(escape_text(""), "");
  EXPECT_EQ(escape_text("nginx: worker process"), "nginx: worker process");
  EXPECT_EQ(escape_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(EscapeText, ControlCharacters) {
  EXPECT_EQ(escape_text("a\nb"), "a\\nb");
  EXPECT_EQ(escape_text("\t\r"), "\\t\\r");
  EXPECT_EQ(escape_text("back\\slash"), "back\\\\slash");
  EXPECT_EQ(escape_text("nul\0byte"s), "nul\\x00byte");
  EXPECT_EQ(escape_text("\x01\x07\x08\x1f\x7f"), "\\x01\\x07\\x08\\x1f\\x7f");
}

TEST(EscapeText, TerminalEscapeSequencesAreDefused) {
  EXPECT_EQ(escape_text("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(escape_text("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
  EXPECT_EQ(escape_text("fake\n[high] finding"), "fake\\n[high] finding");
}

TEST(EscapeText, C1ControlsAreEscaped) {
  EXPECT_EQ(escape_text("\xc2\x9b" "31m"), "\\u009b31m");  // CSI
  EXPECT_EQ(escape_text("\xc2\x80\xc2\x85\xc2\x9f"), "\\u0080\\u0085\\u009f");
  EXPECT_EQ(escape_text("\xc2\xa0"), "\xc2\xa0");  // no-break space is printable
}

TEST(EscapeText, BidiControlsAreEscaped) {
  // U+202E RIGHT-TO-LEFT OVERRIDE and friends reorder the rest of the line on screen.
  EXPECT_EQ(escape_text("\xe2\x80\xae" "evil" "\xe2\x80\xac"), "\\u202eevil\\u202c");
  EXPECT_EQ(escape_text("\xe2\x80\x8e\xe2\x80\x8f\xe2\x81\xa6\xe2\x81\xa9"),
            "\\u200e\\u200f\\u2066\\u2069");
  EXPECT_EQ(escape_text("\xe2\x80\x94"), "\xe2\x80\x94");  // an em dash is printable
}

TEST(EscapeText, InvalidUtf8BytesAreShownAsHex) {
  EXPECT_EQ(escape_text("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_text("ab\xe2\x82"), "ab\\xe2\\x82");        // truncated sequence
  EXPECT_EQ(escape_text("\xe2\x82x"), "\\xe2\\x82x");
  EXPECT_EQ(escape_text("\xc0\xaf"), "\\xc0\\xaf");            // overlong '/'
  EXPECT_EQ(escape_text("\x80"), "\\x80");                     // lone continuation byte
  EXPECT_EQ(escape_text("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");   // overlong, three bytes
  EXPECT_EQ(escape_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");   // UTF-16 surrogate
  EXPECT_EQ(escape_text("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(escape_text("\xf8\x88\x80\x80\x80"), "\\xf8\\x88\\x80\\x80\\x80");
}

TEST(ToValidUtf8, ReplacesInvalidBytes) {
  EXPECT_EQ(to_valid_utf8("ok \xc3\xa9"), "ok \xc3\xa9");
  EXPECT_EQ(to_valid_utf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(to_valid_utf8("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(to_valid_utf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(to_valid_utf8("\n\x1b"), "\n\x1b");  // JSON escapes controls itself
}

TEST(ToValidUtf8, OutputAlwaysSerializesAsJson) {
  // nlohmann::json refuses to dump invalid UTF-8: whatever to_valid_utf8 returns must pass.
  for (std::string s : {"\xff"s, "\xc0\xaf"s, "\xe0\x80\xaf"s, "\xed\xa0\x80"s, "\xed\xbf\xbf"s,
                        "\xf0\x80\x80\x80"s, "\xf4\x90\x80\x80"s, "\xf5\x80\x80\x80"s,
                        "x\xe2\x82"s, "ok\0\x1b[1m"s}) {
    nlohmann::json j = to_valid_utf8(s);
    EXPECT_NO_THROW((void)j.dump()) << escape_text(s);
  }
}

}  // namespace
}  // namespace iotrace
