// peak_threads: threads alive at once, from when each was first and last seen.
#include "src/model/thread_concurrency.hpp"

#include <gtest/gtest.h>

#include "capture_builder.hpp"

namespace iotrace {
namespace {

using test::CaptureBuilder;
using test::k_ms;
using test::k_s;

// A thread of pid 100 seen from first to last; exited unless alive is set.
void span(CaptureBuilder& b, uint32_t tid, uint64_t first, uint64_t last, bool alive = false) {
  auto& t = b.thread(100, tid, "w");
  t.first_ns = first;
  t.last_ns = last;
  t.exited = !alive;
}

TEST(PeakThreads, ThreadsOneAfterAnotherAreOneAtATime) {
  CaptureBuilder b;
  b.process(100, "srv");
  for (uint32_t i = 0; i < 50; ++i) span(b, 1000 + i, i * 100 * k_ms, i * 100 * k_ms + 50 * k_ms);
  EXPECT_EQ(peak_threads(b.capture(), 100), 1u);
}

TEST(PeakThreads, OverlapsAreCounted) {
  CaptureBuilder b;
  b.process(100, "srv");
  span(b, 1, 0, 3 * k_s);
  span(b, 2, 1 * k_s, 2 * k_s);
  span(b, 3, 1500 * k_ms, 4 * k_s);
  span(b, 4, 5 * k_s, 6 * k_s);
  EXPECT_EQ(peak_threads(b.capture(), 100), 3u);
}

TEST(PeakThreads, AThreadStartingWhenAnotherEndsOverlapsIt) {
  CaptureBuilder b;
  b.process(100, "srv");
  span(b, 1, 0, 2 * k_s);
  span(b, 2, 2 * k_s, 3 * k_s);
  EXPECT_EQ(peak_threads(b.capture(), 100), 2u);
}

TEST(PeakThreads, ThreadsThatDidNotExitLiveToTheEnd) {
  CaptureBuilder b;  // 10 s capture
  b.process(100, "srv");
  span(b, 1, 1 * k_s, 1 * k_s, true);  // last call at 1 s, still alive
  span(b, 2, 9 * k_s, 9500 * k_ms);    // exited at 9.5 s
  EXPECT_EQ(peak_threads(b.capture(), 100), 2u);
}

TEST(PeakThreads, NeverBelowTheThreadsProcShowed) {
  CaptureBuilder b;
  b.process(100, "srv").threads_now = 12;
  span(b, 1, 0, 1 * k_s);
  EXPECT_EQ(peak_threads(b.capture(), 100), 12u);
}

TEST(PeakThreads, OnlyThatProcess) {
  CaptureBuilder b;
  b.process(100, "srv");
  b.process(200, "other");
  span(b, 1, 0, 1 * k_s);
  for (uint32_t i = 0; i < 5; ++i) {
    auto& t = b.thread(200, 2000 + i, "o");
    t.first_ns = 0;
  }
  EXPECT_EQ(peak_threads(b.capture(), 100), 1u);
  EXPECT_EQ(peak_threads(b.capture(), 200), 5u);
  EXPECT_EQ(peak_threads(b.capture(), 300), 0u);
}

TEST(PeakThreads, AnEndBeforeItsStartIsAnInstant) {
  CaptureBuilder b;
  b.process(100, "srv");
  span(b, 1, 5 * k_s, 1 * k_s);
  span(b, 2, 5 * k_s, 6 * k_s);
  EXPECT_EQ(peak_threads(b.capture(), 100), 2u);
}

}  // namespace
}  // namespace iotrace
