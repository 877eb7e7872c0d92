//===- sustained.h - A rate sustained over a stretch of time ----*- C++ -*-===//
//
// The timing loop the host probes share (fma_peak.cpp, read_probe.cpp): a
// unit of work repeated until a time has passed, and the rate is all the
// work over all the time taken, not the best trial, so that it reports what
// the host gave the calling thread meanwhile.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BENCH_SUSTAINED_H
#define NNC_BENCH_SUSTAINED_H

#include <chrono>

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

} // namespace nnc::bench

#endif // NNC_BENCH_SUSTAINED_H
