#include "runtime/thread_pool.h"

#include <algorithm>

namespace edgeinfer {

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
#if defined(EDGEINFER_NO_THREADS) || (defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__))
  // Builds without threads (the simd and baseline wasm variants): std::thread would abort, so every
  // parallel_for runs inline on the calling thread.
  num_threads_ = 1;
#endif
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::take_chunks() {
  for (;;) {
    int64_t begin = next_.fetch_add(grain_, std::memory_order_relaxed);
    if (begin >= n_) break;
    thunk_(ctx_, begin, std::min(n_, begin + grain_));
  }
}

namespace {
constexpr int kSpinsBeforeSleep = 20000;
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen;
    int spins = 0;
    while ((gen = generation_.load()) == seen && !stop_.load()) {
      if (++spins < kSpinsBeforeSleep) {
        cpu_relax();
        continue;
      }
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
      sleepers_.fetch_sub(1);
      spins = 0;
    }
    if (stop_.load()) return;
    seen = gen;
    take_chunks();
    active_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(int64_t n, int64_t grain, Thunk thunk, void* ctx) {
  if (grain <= 0) grain = std::max<int64_t>(1, n / (int64_t{4} * num_threads_));
  if (num_threads_ == 1 || n <= grain) {
    for (int64_t b = 0; b < n; b += grain) thunk(ctx, b, std::min(n, b + grain));
    return;
  }
  // Every worker has finished the previous job (active_ reached 0), so none reads these fields now.
  thunk_ = thunk;
  ctx_ = ctx;
  n_ = n;
  grain_ = grain;
  next_.store(0, std::memory_order_relaxed);
  active_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1);  // seq_cst: pairs with a worker's sleepers_ increment before it sleeps
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    wake_.notify_all();
  }
  take_chunks();
  // Workers finish their last chunk quickly once the counter is exhausted; spin briefly, then yield.
  while (active_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
}

}  // namespace edgeinfer
