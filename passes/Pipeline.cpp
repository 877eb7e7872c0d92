//===- Pipeline.cpp - nnc compilation pipelines -----------------*- C++ -*-===//
//
// Chains nnc's own passes with upstream MLIR ones. Tensor-level work (the nn
// conversion, elementwise fusion) happens before one-shot bufferization;
// function boundaries bufferize to identity-layout memrefs and results become
// out-parameters, which is the shape the C interface wrapper expects (see
// CInterface.cpp). Linalg ops then become loops, over rows of vectors where
// nnc-vectorize-rows can (with LLVM told which other loops are parallel);
// everything after that is the standard lowering to LLVM.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipeline.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void nnc::buildNNToLinalgPipeline(OpPassManager &pm,
                                  const PipelineOptions &options) {
  AutodiffPassOptions autodiff;
  autodiff.testBreakRule = options.testBreakRule;
  pm.addPass(createBuildTrainForwardPass());
  pm.addPass(createAutodiffPass(autodiff));
  pm.addPass(createBuildTrainStepPass());
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  OpPassManager &funcPM = pm.nest<func::FuncOp>();
  funcPM.addPass(createCSEPass());
  funcPM.addPass(createConvertNNToLinalgPass());
  funcPM.addPass(createCanonicalizerPass());
  if (options.optLevel > 0) {
    funcPM.addPass(createLinalgElementwiseOpFusionPass());
    funcPM.addPass(createCSEPass());
  }
  funcPM.addPass(createLowerRecurrentPass());
  funcPM.addPass(createCSEPass());
}

void nnc::buildLinalgToLLVMPipeline(OpPassManager &pm,
                                    const PipelineOptions &options) {
  bool branches = options.parallel && options.optLevel > 0;
  if (branches)
    pm.addPass(createOutlineBranchesPass());
  if (options.optLevel > 0) {
    TileContractionsPassOptions tiling;
    tiling.vectorBits = options.vectorBits;
    tiling.l1Bytes = options.l1Bytes;
    tiling.l2Bytes = options.l2Bytes;
    pm.addNestedPass<func::FuncOp>(createTileContractionsPass(tiling));
    pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createCSEPass());
  }
  pm.addNestedPass<func::FuncOp>(createApproximateMathPass());
  pm.addNestedPass<func::FuncOp>(createSplitSharedFillsPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Loops over tiles carry their buffers through iter_args; folding those
  // lets the passes below see which buffer a function returns.
  pm.addPass(createCanonicalizerPass());

  // The branch functions' in-place results (their optimizer updates),
  // so that their callers see the updated buffers are their arguments.
  if (branches) {
    pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
    pm.addPass(createCanonicalizerPass());
  }
  pm.addNestedPass<func::FuncOp>(createDropInPlaceResultsPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  outParams.hoistStaticAllocs = true;
  outParams.hoistDynamicAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (branches)
    pm.addPass(createForkBranchesPass());
  pm.addNestedPass<func::FuncOp>(
      createUseWorkspacePass(UseWorkspacePassOptions{options.parallel}));
  bufferization::buildBufferDeallocationPipeline(pm);

  pm.addNestedPass<func::FuncOp>(createLowerStridedCopiesPass());
  if (options.optLevel > 0)
    pm.addNestedPass<func::FuncOp>(
        createVectorizeRowsPass(VectorizeRowsPassOptions{options.parallel}));
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // The register tiles of nnc-tile-contractions read and write 2-D vectors:
  // one 1-D transfer per row.
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  if (options.parallel && options.optLevel > 0) {
    pm.addPass(createParallelizeTilesPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    // (Inlines the memref.alloca_scope the conversion wraps each body in:
    // the tiles allocate nothing, and the scope must not hold the blocks
    // that scf-to-cf makes of the loops inside.)
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createElideLoopBarriersPass());
    // (After that canonicalization: the cycle counter it reads in each
    // loop body has no memory effects MLIR knows of, which would keep the
    // scopes from being inlined.)
    if (options.balanceThreads)
      pm.addPass(createBalanceThreadsPass());
  }
  // A training step is one large function: cut into segments, it is
  // lowered and optimised on several threads like the entry points.
  pm.addPass(createOutlineSegmentsPass());
  // The conversions that need no module-wide view run function by function,
  // on MLIR's thread pool (the entry points of a model and the segments are
  // independent).
  OpPassManager &lowerPM = pm.nest<func::FuncOp>();
  lowerPM.addPass(createLowerAffinePass());
  lowerPM.addPass(createSCFToControlFlowPass());
  lowerPM.addPass(memref::createExpandStridedMetadataPass());
  lowerPM.addPass(createLowerAffinePass());
  // The square tiles of a transpose (nnc-vectorize-rows) become unpacks
  // and lane shuffles rather than one move per element.
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.vectorTransposeLowering =
      vector::VectorTransposeLowering::Shuffle16x16;
  lowerPM.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  lowerPM.addPass(createConvertMathToLLVMPass());
  lowerPM.addPass(createArithToLLVMConversionPass());
  lowerPM.addPass(createConvertIndexToLLVMPass());
  lowerPM.addPass(createUBToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (options.parallel && options.optLevel > 0)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addNestedPass<LLVM::LLVMFuncOp>(createReconcileUnrealizedCastsPass());
  if (options.parallel && options.optLevel > 0)
    pm.addPass(createThreadCountPass());
  if (options.optLevel > 0) {
    OpPassManager &llvmFuncPM = pm.nest<LLVM::LLVMFuncOp>();
    llvmFuncPM.addPass(createTagParallelAccessesPass());
    llvmFuncPM.addPass(createLimitUnrollingPass());
    llvmFuncPM.addPass(createCanonicalizerPass());
  }
}

namespace {
/// The options `nnc-opt` gives the registered pipelines.
struct RegisteredPipelineOptions
    : public PassPipelineOptions<RegisteredPipelineOptions> {
  Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run the loops over row tiles as OpenMP worksharing "
                     "loops (as `nnc --parallel`)"),
      llvm::cl::init(false)};
  Option<bool> evenSplit{
      *this, "even-split",
      llvm::cl::desc("With parallel: split each parallel loop evenly "
                     "between the threads (as `nnc --even-split`)"),
      llvm::cl::init(false)};

  nnc::PipelineOptions get() const {
    nnc::PipelineOptions options;
    options.parallel = parallel;
    options.balanceThreads = !evenSplit;
    return options;
  }
};
} // namespace

void nnc::registerPipelines() {
  PassPipelineRegistration<>(
      "nnc-lower-to-linalg", "Lower the nn dialect to linalg on tensors",
      [](OpPassManager &pm) { buildNNToLinalgPipeline(pm, {}); });
  PassPipelineRegistration<RegisteredPipelineOptions>(
      "nnc-linalg-to-llvm",
      "Bufferize linalg on tensors and lower it to the LLVM dialect",
      [](OpPassManager &pm, const RegisteredPipelineOptions &options) {
        buildLinalgToLLVMPipeline(pm, options.get());
      });
  PassPipelineRegistration<RegisteredPipelineOptions>(
      "nnc-lower-to-llvm", "Lower the nn dialect all the way to LLVM",
      [](OpPassManager &pm, const RegisteredPipelineOptions &options) {
        buildNNToLinalgPipeline(pm, options.get());
        buildLinalgToLLVMPipeline(pm, options.get());
      });
}
