// Thread pool behind parallel_for. One job at a time (ops run one after another on the JS thread). Work is handed out
// dynamically: up to kChunksPerThread chunks per thread, taken one by one from an atomic counter, so uneven chunks
// balance themselves and a worker that loses its core (these cores are shared with other processes) holds up at most
// the one chunk it is running while the others drain the rest.
// Waiting: a worker that finished a job spins briefly (AHA_SPIN_US, default 50 us: about the gap between two
// back-to-back ops) before it sleeps on a condition variable, and the caller spins as long before it sleeps on the
// job's completion; a wake-up through the kernel can cost more than a whole small product. Spinning is bounded so idle
// workers never hold a shared core for long.
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AHA_PAUSE() _mm_pause()
#else
#define AHA_PAUSE() std::this_thread::yield()
#endif

namespace aha {
namespace {

constexpr int64_t kChunksPerThread = 16;

// How long a waiting thread spins before it sleeps: AHA_SPIN_US microseconds, default 50 (about the gap between two
// back-to-back ops on the JS thread). A spinning thread uses up its fair share of a shared core while it waits, so a
// longer spin is not better on a loaded machine; 0 sleeps at once (after a few pause instructions).
int64_t spinNs() {
  static const int64_t ns = [] {
    const char* env = std::getenv("AHA_SPIN_US");
    const long us = env ? std::atol(env) : 50;
    return static_cast<int64_t>(std::max(0L, std::min(us, 100000L))) * 1000;
  }();
  return ns;
}

thread_local bool tl_in_worker = false;
std::atomic<int64_t> g_jobs{0};  // see pool_jobs()

// Spins until pred() holds or spinNs() passed; returns pred()'s last value.
template <class Pred>
bool spinUntil(Pred pred) {
  const auto start = std::chrono::steady_clock::now();
  const auto limit = std::chrono::nanoseconds(spinNs());
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (pred()) return true;
      AHA_PAUSE();
    }
    if (std::chrono::steady_clock::now() - start > limit) return pred();
  }
}

// One parallel_for call. It lives on the caller's stack; workers reach it through `Pool::job_` and count themselves
// in `active`, and the caller returns only when every chunk is done AND no worker still holds a pointer to it.
// (An earlier version kept the job state in the pool and reset it per call: a worker delayed between claiming a
// chunk number and reading the chunk count could run a chunk of the next job twice — a hang or a crash under load.)
// `active` is only incremented under Pool::mu_ while job_ points here, so once the caller has cleared job_ (under the
// lock) it can only fall; a worker touches nothing of the job after its decrement.
struct Job {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n, chunkSize, chunks;
  std::atomic<int64_t> next{0}, done{0};
  std::atomic<int> active{0};
};

class Pool {
 public:
  Pool() {
    int n = static_cast<int>(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("AHA_NUM_THREADS")) {
      int v = std::atoi(env);
      if (v > 0) n = v;
    }
    resize(std::max(1, n));
  }
  ~Pool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    stop();
    stopping_.store(false);
    for (int i = 0; i < n - 1; ++i) workers_.emplace_back([this] { loop(); });
  }

  void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    grain = std::max<int64_t>(1, grain);
    int64_t maxChunks = (n + grain - 1) / grain;
    int threads = size();
    if (tl_in_worker || threads == 1 || maxChunks <= 1) {
      fn(0, n);
      return;
    }
    g_jobs.fetch_add(1, std::memory_order_relaxed);
    int64_t chunks = std::min<int64_t>(maxChunks, static_cast<int64_t>(threads) * kChunksPerThread);
    Job job;
    job.fn = &fn;
    job.n = n;
    job.chunkSize = (n + chunks - 1) / chunks;
    job.chunks = (n + job.chunkSize - 1) / job.chunkSize;
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &job;
      generation_.fetch_add(1, std::memory_order_release);
      if (sleepers_ > 0) cv_.notify_all();
    }
    tl_in_worker = true;
    work(job);
    tl_in_worker = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = nullptr;  // no worker can pick the job up from here on
    }
    auto finished = [&] {
      return job.done.load(std::memory_order_acquire) == job.chunks && job.active.load(std::memory_order_acquire) == 0;
    };
    if (spinUntil(finished)) return;
    std::unique_lock<std::mutex> lock(mu_);
    doneCv_.wait(lock, finished);
  }

 private:
  void work(Job& job) {
    for (;;) {
      int64_t c = job.next.fetch_add(1);
      if (c >= job.chunks) break;
      int64_t b = c * job.chunkSize;
      int64_t e = std::min(job.n, b + job.chunkSize);
      (*job.fn)(b, e);
      if (job.done.fetch_add(1, std::memory_order_acq_rel) + 1 == job.chunks) {
        std::lock_guard<std::mutex> lock(mu_);
        doneCv_.notify_all();
      }
    }
  }

  void loop() {
    tl_in_worker = true;
    uint64_t seen = 0;
    for (;;) {
      // Spin a little for the next job first, then sleep.
      spinUntil([&] {
        return generation_.load(std::memory_order_acquire) != seen || stopping_.load(std::memory_order_relaxed);
      });
      Job* job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (generation_.load() == seen && !stopping_.load()) {
          ++sleepers_;
          cv_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
          --sleepers_;
        }
        if (stopping_.load()) return;
        seen = generation_.load();
        job = job_;
        if (job == nullptr) continue;
        job->active.fetch_add(1);
      }
      work(*job);
      job->active.fetch_sub(1, std::memory_order_acq_rel);  // the job may be gone from here on
      std::lock_guard<std::mutex> lock(mu_);
      doneCv_.notify_all();
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_.store(true);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_, doneCv_;
  Job* job_ = nullptr;                   // guarded by mu_
  std::atomic<uint64_t> generation_{0};  // written under mu_, read by spinning workers without it
  std::atomic<bool> stopping_{false};
  int sleepers_ = 0;  // workers waiting on cv_; guarded by mu_
};

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  pool().run(n, grain, fn);
}

void parallel_for_work(int64_t work, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (work < kMinParallelWork)
    fn(0, n);
  else
    pool().run(n, grain, fn);
}

int64_t pool_jobs() { return g_jobs.load(std::memory_order_relaxed); }

int num_threads() { return pool().size(); }

void set_num_threads(int n) { pool().resize(std::max(1, n)); }

}  // namespace aha
