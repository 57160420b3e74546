#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace edgeinfer {

namespace {
constexpr int kSpinsBeforeSleep = 20000;
constexpr int kSpinsAfterNap = 1000;
constexpr int kActiveNapMicros = 50;
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
#if defined(EDGEINFER_NO_THREADS)
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

void ThreadPool::take_chunks(Job& job) {
  for (;;) {
    int64_t begin = job.next.fetch_add(job.grain, std::memory_order_relaxed);
    if (begin >= job.n) break;
    job.thunk(job.ctx, begin, std::min(job.n, begin + job.grain));
  }
}

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
      if (active_.load() > 0) {
        // A run is on: nap briefly and look again rather than wait for a wake-up that the caller
        // would have to pay for; spinning instead would steal the core from the caller whenever the
        // machine is busier than the pool.
        std::this_thread::sleep_for(std::chrono::microseconds(kActiveNapMicros));
        spins = kSpinsBeforeSleep - kSpinsAfterNap;
        continue;
      }
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen || active_.load() > 0; });
      sleepers_.fetch_sub(1);
      spins = 0;
    }
    if (stop_.load()) return;
    seen = gen;
    // Join, then look for the job: if the caller has already closed it (job_ null), the job may be
    // gone, and this worker touches nothing. All seq_cst: pairs with the caller's close-then-wait.
    joined_.fetch_add(1);
    if (Job* job = job_.load()) take_chunks(*job);
    joined_.fetch_sub(1);
  }
}

void ThreadPool::begin_active() {
  // seq_cst: a worker either sees active_ > 0 in its wait predicate or is counted in sleepers_ here.
  if (active_.fetch_add(1) == 0 && num_threads_ > 1 && sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    wake_.notify_all();
  }
}

void ThreadPool::run(int64_t n, int64_t grain, Thunk thunk, void* ctx) {
  if (grain <= 0) grain = std::max<int64_t>(1, n / (int64_t{4} * num_threads_));
  if (num_threads_ == 1 || n <= grain) {
    for (int64_t b = 0; b < n; b += grain) thunk(ctx, b, std::min(n, b + grain));
    return;
  }
  Job job;
  job.thunk = thunk;
  job.ctx = ctx;
  job.n = n;
  job.grain = grain;
  job_.store(&job);
  generation_.fetch_add(1);
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    wake_.notify_all();
  }
  take_chunks(job);
  job_.store(nullptr);
  // Wait only for workers that joined and may still be running a chunk.
  while (joined_.load() != 0) std::this_thread::yield();
}

}  // namespace edgeinfer
