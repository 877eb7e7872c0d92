//===- fma_peak.h - Single-thread f32 FMA throughput ------------*- C++ -*-===//
//
// The measured peak bench/gemm_bench.cpp reports GEMM figures against; see
// fma_peak.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BENCH_FMA_PEAK_H
#define NNC_BENCH_FMA_PEAK_H

namespace nnc::bench {

/// The best f32 GFLOP/s of an FMA-only loop on the calling thread, over
/// about `seconds` of trials; `*isa` (if not null) names the vector
/// extension used ("avx512" or "avx2").
double measureFmaPeakGflops(double seconds, const char **isa);

/// The f32 GFLOP/s of the same loop on the calling thread sustained over
/// about `seconds` (all the FMAs over all the time, not the best trial):
/// what the core gave this thread meanwhile.
double measureFmaSustainedGflops(double seconds);

} // namespace nnc::bench

#endif // NNC_BENCH_FMA_PEAK_H
