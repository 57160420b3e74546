// A fixed pool of worker threads started once (in wasm: at session creation, from Emscripten's
// prestarted pthread pool). parallel_for splits [0, n) into chunks that the calling thread and the
// workers take from a shared counter, so uneven chunks balance themselves. Between jobs a worker
// spins briefly before sleeping on a condition variable: consecutive operators of one inference
// then start without a futex wake-up each.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace edgeinfer {

class ThreadPool {
 public:
  // num_threads counts the calling thread: 1 means everything runs inline, no worker is started.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(begin, end) over disjoint ranges covering [0, n), each at most `grain` long
  // (grain <= 0 picks a grain that gives each thread a few chunks). Blocks until all are done.
  // fn must not call parallel_for on the same pool.
  template <typename F>
  void parallel_for(int64_t n, int64_t grain, F&& fn) {
    if (n <= 0) return;
    auto thunk = [](void* ctx, int64_t b, int64_t e) { (*static_cast<F*>(ctx))(b, e); };
    run(n, grain, thunk, &fn);
  }
  template <typename F>
  void parallel_for(int64_t n, F&& fn) { parallel_for(n, 0, std::forward<F>(fn)); }

 private:
  using Thunk = void (*)(void*, int64_t, int64_t);
  void run(int64_t n, int64_t grain, Thunk thunk, void* ctx);
  void worker_loop();
  void take_chunks();

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> sleepers_{0};
  // The current job.
  Thunk thunk_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0, grain_ = 1;
  std::atomic<int64_t> next_{0};
  std::atomic<int> active_{0};
};

}  // namespace edgeinfer
