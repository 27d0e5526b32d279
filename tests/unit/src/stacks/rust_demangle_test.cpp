#include <gtest/gtest.h>

#include "src/stacks/rust_demangle.hpp"

namespace iotrace {
namespace {

// Names as they appear in a tokio server built with Debian's rustc (legacy scheme for the
// crates, v0 for std).
TEST(RustDemangleTest, LegacyNamesLoseTheHashAndEscapes) {
  EXPECT_EQ(demangle_rust("_ZN11tokio_httpd4main28_$u7b$$u7b$closure$u7d$$u7d$28_$u7b$$u7b$closure$"
                          "u7d$$u7d$17h6abf6ed090e07dcaE.llvm.6971324857626810856"),
            "tokio_httpd::main::{{closure}}::{{closure}}");
  EXPECT_EQ(demangle_rust("_ZN5tokio7runtime4task4core17Core$LT$T$C$S$GT$4poll17haa78e09f33883648E"),
            "tokio::runtime::task::core::Core<T,S>::poll");
  EXPECT_EQ(demangle_rust("_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$"
                          "closure$u7d$$u7d$$GT$17h0123456789abcdefE"),
            "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>");
}

TEST(RustDemangleTest, V0PathsAreRead) {
  EXPECT_EQ(demangle_rust("_RNvNtNtCsjrHSEGnQ3l9_3std6thread9functions5sleep"),
            "std::thread::functions::sleep");
  EXPECT_EQ(demangle_rust("_RNCNvCs1234_5hello4main0"), "hello::main::{closure}");
}

TEST(RustDemangleTest, OtherNamesAreLeftToTheCxxDemangler) {
  EXPECT_FALSE(demangle_rust("_ZN5boost6system8categoryEv"));  // no hash: C++
  EXPECT_FALSE(demangle_rust("main"));
  EXPECT_FALSE(demangle_rust("_RINvCs1_3foo3barpE"));  // generics: not read
}

}  // namespace
}  // namespace iotrace
