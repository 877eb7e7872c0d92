//===- Sema.h - Semantic checks and shape inference -------------*- C++ -*-===//
//
// Resolves names and builtins, binds call arguments, infers the per-example
// shape of every tensor-valued expression and names the parameters of each
// layer; resolves the settings of train blocks and checks that their models
// can be trained. After a successful checkModule, MLIRGen can lower the AST
// without checking anything itself.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_SEMA_H
#define NNC_FRONTEND_SEMA_H

#include "frontend/AST.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/LogicalResult.h"

#include <string>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace nnc {

/// Checks names, arities, arguments and shapes; fills the "set by Sema"
/// fields of the AST. Emits every error it finds as MLIR diagnostics; returns
/// failure if any.
llvm::LogicalResult checkModule(ModuleAST &module, mlir::MLIRContext &ctx);

/// `f32[1, 28, 28]`: how types appear in messages and in the AST dump.
std::string formatTensorType(const Shape &shape);

/// The name a builtin is called by in source, e.g. "dense".
llvm::StringRef getBuiltinName(Builtin builtin);

/// The spelling of an initialiser in source (`init=he`), e.g. "he".
llvm::StringRef getInitKindName(InitKind kind);

/// The spelling of a loss in source (`loss = mse`), e.g. "mse".
llvm::StringRef getLossKindName(LossKind kind);

/// The spelling of an optimizer in source (`optimizer = adam`), e.g. "adam".
llvm::StringRef getOptimizerKindName(OptimizerKind kind);

} // namespace nnc

#endif // NNC_FRONTEND_SEMA_H
