//===- fma_peak.cpp - Single-thread f32 FMA throughput --------------------===//
//
// The "peak" that bench/gemm_bench.cpp divides GEMM figures by: how many
// f32 FLOP/s one core retires when it does nothing but fused multiply-adds.
// Sixteen independent accumulators keep every FMA pipe busy (latency 4 x 2
// pipes needs 8), so the loop is bound by throughput, not latency. This file
// is compiled with -march=native: AVX-512 where the CPU has it (16 lanes),
// otherwise AVX2 + FMA (8 lanes).
//
//===----------------------------------------------------------------------===//

#include "bench/fma_peak.h"
#include "bench/sustained.h"

#include <immintrin.h>

#include <chrono>
#include <cstdint>

namespace {

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
constexpr const char *kIsa = "avx512";
inline Vec splat(float v) { return _mm512_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float sum(Vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
constexpr const char *kIsa = "avx2";
inline Vec splat(float v) { return _mm256_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float sum(Vec v) {
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  float s = 0;
  for (float x : lanes)
    s += x;
  return s;
}
#else
#error "fma_peak.cpp needs AVX2 + FMA or AVX-512 (compile with -march=native)"
#endif

constexpr int kAccumulators = 16;

/// `iterations` rounds of one FMA into each accumulator; the result depends
/// on every FMA so none can be removed.
__attribute__((noinline)) float fmaLoop(int64_t iterations, float scale) {
  Vec acc[kAccumulators];
  for (int j = 0; j < kAccumulators; ++j)
    acc[j] = splat(float(j) * 1e-3f);
  Vec a = splat(scale), b = splat(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
#pragma clang loop unroll(full)
    for (int j = 0; j < kAccumulators; ++j)
      acc[j] = fma(acc[j], a, b);
  }
  float total = 0;
  for (int j = 0; j < kAccumulators; ++j)
    total += sum(acc[j]);
  return total;
}

} // namespace

double nnc::bench::measureFmaPeakGflops(double seconds, const char **isa) {
  if (isa)
    *isa = kIsa;
  using Clock = std::chrono::steady_clock;
  volatile float scale = 0.999999f, sink = 0;
  double best = 0;
  int64_t iterations = 1 << 16;
  Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(seconds));
  while (Clock::now() < deadline) {
    Clock::time_point start = Clock::now();
    sink = sink + fmaLoop(iterations, scale);
    double elapsed =
        std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed < 0.01) {
      iterations *= 2;
      continue;
    }
    double flops = 2.0 * kLanes * kAccumulators * double(iterations);
    if (flops / elapsed > best)
      best = flops / elapsed;
  }
  return best * 1e-9;
}

double nnc::bench::measureFmaSustainedGflops(double seconds) {
  volatile float scale = 0.999999f, sink = 0;
  // About a millisecond a call, so the last call ends close to `seconds`.
  constexpr int64_t kIterations = 1 << 13;
  return sustainedRate(seconds,
                       [&] {
                         sink = sink + fmaLoop(kIterations, scale);
                         return 2.0 * kLanes * kAccumulators *
                                double(kIterations);
                       }) *
         1e-9;
}
