//===- MLIRGen.h - AST to the nn dialect ------------------------*- C++ -*-===//
//
// Emits one `func.func` per model of a checked AST.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_MLIRGEN_H
#define NNC_FRONTEND_MLIRGEN_H

#include "frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace nnc {

/// Lowers a module that passed `checkModule` to the nn dialect. Each model
/// becomes `func.func @<Model>` marked `nn.model`, taking its inputs (with a
/// dynamic batch dimension, marked `nn.input`) followed by its parameters in
/// order of first use (marked `nn.param` / `nn.init`). Returns null, after
/// reporting the error, if the generated module does not verify.
/// Every tensor gets `elementType` (f32 by default; f64 for gradient checks).
/// A model with a `train` block carries it as the `nn.train` dictionary.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const ModuleAST &module,
                                          mlir::Type elementType = {});

} // namespace nnc

#endif // NNC_FRONTEND_MLIRGEN_H
