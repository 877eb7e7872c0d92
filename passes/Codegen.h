//===- Codegen.h - From the LLVM dialect to machine code --------*- C++ -*-===//
//
// The last stage of the compiler: translation of the LLVM dialect to LLVM IR,
// the C interface of each model, LLVM's optimisation pipeline, and object or
// assembly emission for the host CPU (or one named with --target-cpu).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_CODEGEN_H
#define NNC_PASSES_CODEGEN_H

#include "passes/ModelInfo.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace nnc {

struct CodegenOptions {
  /// LLVM optimisation level, 0..3.
  unsigned optLevel = 2;
  /// CPU to generate code for; empty means the host CPU with its features.
  std::string targetCPU;
  /// Threads for LLVM's optimisation pipeline, which runs the independent
  /// entry points of a module side by side; 0 means one per hardware thread.
  unsigned threads = 0;
};

/// A TargetMachine for the host triple and the chosen CPU, producing
/// position-independent code (objects link into PIE executables).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CodegenOptions &options);

/// What the tiling passes need to know about the target: the width of its
/// widest vector registers and the sizes of its L1 data and L2 caches.
struct TargetShape {
  int64_t vectorBits = 128;
  int64_t l1Bytes = 32 * 1024;
  int64_t l2Bytes = 512 * 1024;
};

/// The shape of `tm`'s CPU: vector width from its features (AVX-512, AVX,
/// or SSE), cache sizes from the host when compiling for the host, and
/// conservative defaults otherwise.
TargetShape describeTarget(const llvm::TargetMachine &tm, bool host);

/// Translates `module` (LLVM dialect only) to LLVM IR, adds the C interface
/// of `models`, and runs LLVM's optimisation pipeline. The translation and
/// the optimisation are timed as children of `timing`, if given.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &context,
                  llvm::ArrayRef<ModelInfo> models, llvm::TargetMachine &tm,
                  const CodegenOptions &options,
                  mlir::TimingScope *timing = nullptr);

/// Writes `module` as an object file or assembly to `os`.
llvm::Error emitMachineCode(llvm::Module &module, llvm::TargetMachine &tm,
                            llvm::CodeGenFileType type,
                            llvm::raw_pwrite_stream &os);

} // namespace nnc

#endif // NNC_PASSES_CODEGEN_H
