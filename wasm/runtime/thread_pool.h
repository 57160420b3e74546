// A fixed pool of worker threads started once per session (in wasm from Emscripten's prestarted
// pthread pool). parallel_for splits [0, n) into chunks that the calling thread and the workers take
// from a shared counter, so uneven chunks balance themselves. The caller never waits for a worker that
// has not joined the job: on a busy machine a worker that is not scheduled simply does not help,
// instead of stalling every operator until it runs. After a job a worker spins briefly for the next.
// While a model runs (an ActiveScope is held) a worker that found no job then naps in 50 us steps
// and looks again, so the caller never pays a futex wake-up per operator (in wasm that took 40% of a
// small conv model's run); once no run is active, workers sleep until woken.
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
    auto thunk = [](void* ctx, int64_t b, int64_t e) { (*static_cast<std::remove_reference_t<F>*>(ctx))(b, e); };
    run(n, grain, thunk, const_cast<void*>(static_cast<const void*>(&fn)));
  }
  template <typename F>
  void parallel_for(int64_t n, F&& fn) { parallel_for(n, 0, std::forward<F>(fn)); }

  // Keeps the workers polling for jobs for its lifetime (one wake-up per model run, not per
  // operator). Scopes nest.
  class ActiveScope {
   public:
    explicit ActiveScope(ThreadPool& pool) : pool_(pool) { pool_.begin_active(); }
    ~ActiveScope() { pool_.active_.fetch_sub(1); }
    ActiveScope(const ActiveScope&) = delete;
    ActiveScope& operator=(const ActiveScope&) = delete;

   private:
    ThreadPool& pool_;
  };

 private:
  using Thunk = void (*)(void*, int64_t, int64_t);
  struct Job {
    Thunk thunk;
    void* ctx;
    int64_t n, grain;
    std::atomic<int64_t> next{0};
  };
  void run(int64_t n, int64_t grain, Thunk thunk, void* ctx);
  void begin_active();
  void worker_loop();
  static void take_chunks(Job& job);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<Job*> job_{nullptr};  // the open job, null once its caller has finished its own share
  std::atomic<int> joined_{0};      // workers currently inside a job
  std::atomic<int> active_{0};      // live ActiveScopes
};

}  // namespace edgeinfer
