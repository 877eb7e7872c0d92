//===- sustained.h - A rate sustained over a stretch of time ----*- C++ -*-===//
//
// The timing loop the host probes share (fma_peak.cpp, read_probe.cpp): a
// unit of work repeated until a time has passed, and the rate is all the
// work over all the time taken, not the best trial, so that it reports what
// the host gave the calling thread meanwhile. And the barrier with which
// two threads start and end each round together (read_probe.cpp's update
// probe, nnc-bench's host:units).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BENCH_SUSTAINED_H
#define NNC_BENCH_SUSTAINED_H

#include <atomic>
#include <chrono>
#include <cstdint>

namespace nnc::bench {

/// Calls `work`, which does some work and returns how much (FLOPs, bytes),
/// until about `seconds` have passed; returns the work per second.
template <typename Work> double sustainedRate(double seconds, Work work) {
  using Clock = std::chrono::steady_clock;
  double done = 0, elapsed = 0;
  Clock::time_point start = Clock::now();
  while (elapsed < seconds) {
    done += work();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return done / elapsed;
}

/// A barrier for two threads that spin (the probes' threads have a CPU
/// each); `wait` returns whether one of them asked to stop at this round.
class SpinBarrier {
public:
  bool wait(bool stopHere = false) {
    int64_t round = rounds.load(std::memory_order_acquire);
    if (stopHere)
      stop.store(true, std::memory_order_relaxed);
    if (arrived.fetch_add(1, std::memory_order_acq_rel) == 1) {
      arrived.store(0, std::memory_order_relaxed);
      rounds.store(round + 1, std::memory_order_release);
    } else {
      while (rounds.load(std::memory_order_acquire) == round) {
      }
    }
    return stop.load(std::memory_order_relaxed);
  }

private:
  std::atomic<int> arrived{0};
  std::atomic<int64_t> rounds{0};
  std::atomic<bool> stop{false};
};

} // namespace nnc::bench

#endif // NNC_BENCH_SUSTAINED_H
