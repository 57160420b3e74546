#include "runtime/thread_pool.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace edgeinfer {
namespace {

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 2, 7, 64, 1001}) {
      for (int64_t grain : {0, 1, 5, 2000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
          ASSERT_LE(0, b);
          ASSERT_LT(b, e);
          ASSERT_LE(e, n);
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
        });
        for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "threads=" << threads << " n=" << n << " grain=" << grain;
      }
    }
  }
}

TEST(ThreadPool, ReusedManyTimes) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  for (int rep = 0; rep < 500; ++rep)
    pool.parallel_for(10, 1, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
  EXPECT_EQ(sum.load(), 5000);
}

// Workers go from sleeping to spinning (ActiveScope) and back, with jobs in between and across the
// transitions; every job must still cover its range exactly once and nothing may hang.
TEST(ThreadPool, ActiveScopesWakeAndReleaseWorkers) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    std::atomic<int64_t> sum{0};
    int64_t expected = 0;
    for (int rep = 0; rep < 200; ++rep) {
      if (rep % 50 == 10) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // let workers sleep
      ThreadPool::ActiveScope outer(pool);
      pool.parallel_for(37, 3, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
      {
        ThreadPool::ActiveScope nested(pool);
        pool.parallel_for(5, 1, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
      }
      expected += 42;
    }
    pool.parallel_for(11, 1, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
    EXPECT_EQ(sum.load(), expected + 11) << "threads=" << threads;
  }
}

}  // namespace
}  // namespace edgeinfer
