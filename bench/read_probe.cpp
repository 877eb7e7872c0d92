//===- read_probe.cpp - Sustained memory read bandwidth -------------------===//
//
// The memory side of nnc-bench's host probe: a thread sums the 64-bit words
// of its own buffer, front to back, again and again, and the rate is every
// byte read over all the time taken. Sized to the last-level cache it
// measures what a training step that lives there gets (the MLP's: batches,
// parameters, gradients and Adam's moments, a few MiB); sized well beyond,
// the memory's. Run on N threads at once against 1, it shows whether the
// host gave N threads N times the bandwidth, which the FMA loop (arithmetic
// only) does not see. The hand-off probe has two threads take turns writing
// a buffer and reading it, each reading in turn what it wrote itself and
// what the other wrote: a multi-thread step hands data between cores that
// way (a weight one core updates and both read). The update probe has both
// threads rewrite their halves of a buffer at once, after both read all of
// it or each only its half: what an optimizer's update of its share of
// such a weight pays to take the lines back. Integer sums vectorize
// without reassociating floats; compiled with -march=native like
// fma_peak.cpp.
//
//===----------------------------------------------------------------------===//

#include "bench/read_probe.h"
#include "bench/sustained.h"

#include <atomic>
#include <chrono>
#include <thread>

namespace {

/// The sum of every word of `data`, which depends on every load.
__attribute__((noinline)) uint64_t sumWords(const uint64_t *data,
                                            size_t count) {
  uint64_t sum = 0;
  for (size_t i = 0; i < count; ++i)
    sum += data[i];
  return sum;
}

/// The GB/s of the two threads' passes over `bytes` each, `counts[t]` of
/// them taking `seconds[t]` on thread t: all bytes over all their time.
double pairGBs(const int64_t counts[2], const double seconds[2], size_t bytes) {
  double total = seconds[0] + seconds[1];
  return total > 0 ? double(counts[0] + counts[1]) * double(bytes) / total *
                         1e-9
                   : 0.0;
}

/// Adds `seed` to every word of `data`: a read-modify-write, as an
/// optimizer's update of a weight is.
__attribute__((noinline)) void updateWords(uint64_t *data, size_t count,
                                           uint64_t seed) {
  for (size_t i = 0; i < count; ++i)
    data[i] += seed;
}

} // namespace

std::vector<uint64_t> nnc::bench::makeReadBuffer(size_t bytes) {
  std::vector<uint64_t> buffer(bytes / sizeof(uint64_t));
  for (size_t i = 0; i < buffer.size(); ++i)
    buffer[i] = i * 0x9e3779b97f4a7c15ull;
  return buffer;
}

double nnc::bench::measureReadGBs(const std::vector<uint64_t> &buffer,
                                  double seconds) {
  volatile uint64_t sink = 0;
  return sustainedRate(seconds,
                       [&] {
                         sink = sink + sumWords(buffer.data(), buffer.size());
                         return double(buffer.size() * sizeof(uint64_t));
                       }) *
         1e-9;
}

nnc::bench::HandoffRates nnc::bench::measureHandoff(size_t bytes,
                                                    double seconds) {
  using Clock = std::chrono::steady_clock;
  std::vector<uint64_t> buffer(bytes / sizeof(uint64_t));
  // On turn 2j thread j % 2 writes the buffer and reads it back; on turn
  // 2j + 1 the other thread reads it. Thread 0 decides when to stop.
  std::atomic<int64_t> turn{0};
  std::atomic<bool> stop{false};
  double ownSeconds[2] = {0, 0}, otherSeconds[2] = {0, 0};
  int64_t ownReads[2] = {0, 0}, otherReads[2] = {0, 0};
  auto timedRead = [&](double &seconds, int64_t &reads) {
    Clock::time_point start = Clock::now();
    volatile uint64_t sink = sumWords(buffer.data(), buffer.size());
    (void)sink;
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    ++reads;
  };
  auto waitFor = [&](int64_t t) {
    while (turn.load(std::memory_order_acquire) != t)
      if (stop.load(std::memory_order_relaxed))
        return false;
    return true;
  };
  auto body = [&](int me) {
    Clock::time_point start = Clock::now();
    for (int64_t j = 0;; ++j) {
      if (j % 2 == me) {
        if (!waitFor(2 * j))
          return;
        if (me == 0 &&
            std::chrono::duration<double>(Clock::now() - start).count() >=
                seconds) {
          stop.store(true);
          return;
        }
        for (size_t i = 0; i < buffer.size(); ++i)
          buffer[i] = uint64_t(j) * 0x9e3779b97f4a7c15ull + i;
        timedRead(ownSeconds[me], ownReads[me]);
      } else {
        if (!waitFor(2 * j + 1))
          return;
        timedRead(otherSeconds[me], otherReads[me]);
      }
      turn.store(2 * j + (j % 2 == me ? 1 : 2), std::memory_order_release);
    }
  };
  std::thread other(body, 1);
  body(0);
  other.join();
  HandoffRates rates;
  rates.otherGBs = pairGBs(otherReads, otherSeconds, bytes);
  rates.ownGBs = pairGBs(ownReads, ownSeconds, bytes);
  return rates;
}

nnc::bench::UpdateRates nnc::bench::measureUpdates(size_t bytes,
                                                   double seconds) {
  using Clock = std::chrono::steady_clock;
  std::vector<uint64_t> buffer = makeReadBuffer(bytes);
  size_t half = buffer.size() / 2;
  // [shared?][thread]: seconds spent rewriting a half, and how many times.
  double updateSeconds[2][2] = {{0, 0}, {0, 0}};
  int64_t updates[2][2] = {{0, 0}, {0, 0}};
  SpinBarrier barrier;
  auto body = [&](int me) {
    uint64_t *mine = buffer.data() + me * half;
    Clock::time_point start = Clock::now();
    for (int64_t round = 0;; ++round) {
      int shared = round % 2;
      volatile uint64_t sink = shared ? sumWords(buffer.data(), 2 * half)
                                      : sumWords(mine, half);
      (void)sink;
      bool done = me == 0 && shared &&
                  std::chrono::duration<double>(Clock::now() - start)
                          .count() >= seconds;
      if (barrier.wait(done))
        return;
      Clock::time_point before = Clock::now();
      updateWords(mine, half, uint64_t(round) | 1);
      updateSeconds[shared][me] +=
          std::chrono::duration<double>(Clock::now() - before).count();
      ++updates[shared][me];
      barrier.wait();
    }
  };
  std::thread other(body, 1);
  body(0);
  other.join();
  size_t halfBytes = half * sizeof(uint64_t);
  UpdateRates rates;
  rates.sharedGBs = pairGBs(updates[1], updateSeconds[1], halfBytes);
  rates.ownGBs = pairGBs(updates[0], updateSeconds[0], halfBytes);
  return rates;
}
