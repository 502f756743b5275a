// Thread pool behind parallel_for. One job at a time (ops run one after another on the JS thread); workers sleep on a
// condition variable between jobs and take chunks from an atomic counter so uneven chunks balance themselves.
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace aha {
namespace {

thread_local bool tl_in_worker = false;

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
    stopping_ = false;
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
    // A few chunks per thread balances uneven work without much scheduling cost.
    int64_t chunks = std::min<int64_t>(maxChunks, static_cast<int64_t>(threads) * 4);
    int64_t chunkSize = (n + chunks - 1) / chunks;
    chunks = (n + chunkSize - 1) / chunkSize;
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &fn;
      jobN_ = n;
      chunkSize_ = chunkSize;
      chunks_ = chunks;
      next_.store(0);
      done_.store(0);
      ++generation_;
    }
    cv_.notify_all();
    tl_in_worker = true;
    work();
    tl_in_worker = false;
    std::unique_lock<std::mutex> lock(mu_);
    doneCv_.wait(lock, [&] { return done_.load() == chunks_; });
    job_ = nullptr;
  }

 private:
  void work() {
    for (;;) {
      int64_t c = next_.fetch_add(1);
      if (c >= chunks_) break;
      int64_t b = c * chunkSize_;
      int64_t e = std::min(jobN_, b + chunkSize_);
      (*job_)(b, e);
      if (done_.fetch_add(1) + 1 == chunks_) {
        std::lock_guard<std::mutex> lock(mu_);
        doneCv_.notify_all();
      }
    }
  }

  void loop() {
    tl_in_worker = true;
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        if (job_ == nullptr) continue;
      }
      work();
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_, doneCv_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t jobN_ = 0, chunkSize_ = 0, chunks_ = 0;
  std::atomic<int64_t> next_{0}, done_{0};
  uint64_t generation_ = 0;
  bool stopping_ = false;
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

int num_threads() { return pool().size(); }

void set_num_threads(int n) { pool().resize(std::max(1, n)); }

}  // namespace aha
