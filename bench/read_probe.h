//===- read_probe.h - Sustained memory read bandwidth -----------*- C++ -*-===//
//
// What the host's caches and memory give a thread that reads; see
// read_probe.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BENCH_READ_PROBE_H
#define NNC_BENCH_READ_PROBE_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nnc::bench {

/// A buffer of `bytes` that the calling thread has written (so that its
/// pages are placed and mapped before anything is timed).
std::vector<uint64_t> makeReadBuffer(size_t bytes);

/// The GB/s at which the calling thread reads `buffer` from start to end,
/// over and over, sustained over about `seconds`.
double measureReadGBs(const std::vector<uint64_t> &buffer, double seconds);

/// What two threads get when each reads a buffer of `bytes` that the
/// other has just written (GB/s of those reads, `otherGBs`) and when each
/// reads what it has itself just written (`ownGBs`), taking turns for about
/// `seconds`: how fast data moves between the cores the host gave them.
struct HandoffRates {
  double otherGBs = 0, ownGBs = 0;
};
HandoffRates measureHandoff(size_t bytes, double seconds);

/// What two threads get when each rewrites its half of a buffer of `bytes`
/// at the same time as the other (GB/s of those writes): after both read
/// the whole buffer (`sharedGBs`: each core must take its half's lines
/// from the other's cache first, as when an optimizer updates its share of
/// a weight that both threads' products read) and after each read only its
/// own half (`ownGBs`). The two kinds of round alternate for about
/// `seconds`.
struct UpdateRates {
  double sharedGBs = 0, ownGBs = 0;
};
UpdateRates measureUpdates(size_t bytes, double seconds);

} // namespace nnc::bench

#endif // NNC_BENCH_READ_PROBE_H
