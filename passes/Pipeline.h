//===- Pipeline.h - nnc compilation pipelines -------------------*- C++ -*-===//
//
// The pass pipelines from the nn dialect to the LLVM dialect, built in code
// (IREE style) so the driver can stop between stages, and registered for
// nnc-opt as `nnc-lower-to-linalg` and `nnc-lower-to-llvm`.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PIPELINE_H
#define NNC_PASSES_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace nnc {

struct PipelineOptions {
  /// 0 disables the optional cleanups and fusion; LLVM's level is set
  /// separately by the code generator.
  unsigned optLevel = 2;
  /// Testing only: see nnc-autodiff's `test-break-rule`.
  std::string testBreakRule;
  /// The target's vector registers and data caches, which choose the tile
  /// sizes of nnc-tile-contractions (see describeTarget in Codegen.h).
  int64_t vectorBits = 512;
  int64_t l1Bytes = 48 * 1024;
  int64_t l2Bytes = 1024 * 1024;
  /// Run the loops over row tiles as OpenMP worksharing loops, on
  /// NNC_THREADS threads (default 1); the object then needs libomp.
  bool parallel = false;
  /// With `parallel`: split each parallel loop between the threads by
  /// their measured speed (nnc-balance-threads), not evenly.
  bool balanceThreads = true;
};

/// nn -> linalg on tensors, with elementwise fusion.
void buildNNToLinalgPipeline(mlir::OpPassManager &pm,
                             const PipelineOptions &options);

/// linalg on tensors -> bufferized loops -> LLVM dialect.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm,
                               const PipelineOptions &options);

/// Registers both pipelines (and their composition, `nnc-lower-to-llvm`)
/// with the global pass-pipeline registry.
void registerPipelines();

} // namespace nnc

#endif // NNC_PASSES_PIPELINE_H
