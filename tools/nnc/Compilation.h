//===- Compilation.h - One .nn file through the compiler --------*- C++ -*-===//
//
// The stages of nnc as one object, shared by the compiler driver (which can
// stop after any of them) and by `nnc train` / `nnc gradcheck` (which JIT the
// result): parse and check, nn dialect, linalg, LLVM dialect, LLVM IR.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_NNC_COMPILATION_H
#define NNC_TOOLS_NNC_COMPILATION_H

#include "frontend/AST.h"
#include "passes/Codegen.h"
#include "passes/ModelInfo.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class SourceMgrDiagnosticHandler;
} // namespace mlir

namespace nnc {

struct CompilationOptions {
  unsigned optLevel = 2;
  std::string targetCPU; // empty: the host CPU
  bool f64 = false;      // every tensor in double precision
  /// Parallel loops over row tiles (OpenMP, NNC_THREADS threads).
  bool parallel = false;
  /// With `parallel`: every thread gets the same share of each parallel
  /// loop, instead of a share adapted to its measured speed.
  bool evenSplit = false;
  /// Give every model without a train block a default one (mse, sgd), so
  /// every model gets gradient entry points (gradient checks). Training
  /// needs one input and a parameter; other models are left alone.
  bool trainAll = false;
  /// Testing only: see nnc-autodiff's `test-break-rule`.
  std::string testBreakRule;
  /// Time every stage and MLIR pass; the report goes to stderr when the
  /// Compilation is destroyed.
  bool timing = false;
};

class Compilation {
public:
  explicit Compilation(CompilationOptions options);
  ~Compilation();

  /// Parses and checks `buffer`; diagnostics (file:line:col, source line,
  /// caret) go to stderr.
  llvm::LogicalResult parse(std::unique_ptr<llvm::MemoryBuffer> buffer,
                            llvm::StringRef filename);
  /// AST -> nn dialect; collects the models' interface.
  llvm::LogicalResult generateNN();
  /// nn -> linalg on tensors (autodiff and training functions included).
  llvm::LogicalResult lowerToLinalg();
  /// linalg -> LLVM dialect; fills in workspace sizes.
  llvm::LogicalResult lowerToLLVMDialect();
  /// LLVM dialect -> optimised LLVM IR with the C interface.
  llvm::Expected<std::unique_ptr<llvm::Module>>
  translate(llvm::LLVMContext &context, llvm::TargetMachine &tm);

  /// Runs every stage up to optimised LLVM IR.
  llvm::Expected<std::unique_ptr<llvm::Module>>
  compileToLLVMIR(std::unique_ptr<llvm::MemoryBuffer> buffer,
                  llvm::StringRef filename, llvm::LLVMContext &context,
                  llvm::TargetMachine &tm);

  const ModuleAST &ast() const { return *astModule; }
  mlir::ModuleOp module() { return *mlirModule; }
  llvm::ArrayRef<ModelInfo> models() const { return modelInfos; }
  const std::string &filename() const { return file; }
  const CompilationOptions &options() const { return opts; }
  /// The root of the timing report (a no-op unless `timing` is set), for
  /// stages the driver runs itself.
  mlir::TimingScope &timing() { return rootTiming; }

private:
  CompilationOptions opts;
  // Declared before everything it times so that it reports last.
  mlir::DefaultTimingManager timingManager;
  mlir::TimingScope rootTiming;
  mlir::MLIRContext context;
  llvm::SourceMgr sourceMgr;
  std::unique_ptr<mlir::SourceMgrDiagnosticHandler> diagnostics;
  std::string file;
  std::unique_ptr<ModuleAST> astModule;
  mlir::OwningOpRef<mlir::ModuleOp> mlirModule;
  std::vector<ModelInfo> modelInfos;
};

} // namespace nnc

#endif // NNC_TOOLS_NNC_COMPILATION_H
