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

// One parallel_for call. It lives on the caller's stack; workers reach it through `Pool::job_` and count themselves
// in `active`, and the caller returns only when every chunk is done AND no worker still holds a pointer to it.
// (An earlier version kept the job state in the pool and reset it per call: a worker delayed between claiming a
// chunk number and reading the chunk count could run a chunk of the next job twice — a hang or a crash under load.)
struct Job {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n, chunkSize, chunks;
  std::atomic<int64_t> next{0}, done{0};
  int active = 0;  // workers inside work(); guarded by Pool::mu_
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
    Job job;
    job.fn = &fn;
    job.n = n;
    job.chunkSize = (n + chunks - 1) / chunks;
    job.chunks = (n + job.chunkSize - 1) / job.chunkSize;
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &job;
      ++generation_;
    }
    cv_.notify_all();
    tl_in_worker = true;
    work(job);
    tl_in_worker = false;
    std::unique_lock<std::mutex> lock(mu_);
    job_ = nullptr;  // no worker can pick the job up from here on
    doneCv_.wait(lock, [&] { return job.done.load() == job.chunks && job.active == 0; });
  }

 private:
  void work(Job& job) {
    for (;;) {
      int64_t c = job.next.fetch_add(1);
      if (c >= job.chunks) break;
      int64_t b = c * job.chunkSize;
      int64_t e = std::min(job.n, b + job.chunkSize);
      (*job.fn)(b, e);
      if (job.done.fetch_add(1) + 1 == job.chunks) {
        std::lock_guard<std::mutex> lock(mu_);
        doneCv_.notify_all();
      }
    }
  }

  void loop() {
    tl_in_worker = true;
    uint64_t seen = 0;
    for (;;) {
      Job* job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        job = job_;
        if (job == nullptr) continue;
        ++job->active;
      }
      work(*job);
      std::lock_guard<std::mutex> lock(mu_);
      if (--job->active == 0) doneCv_.notify_all();
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
  Job* job_ = nullptr;
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
