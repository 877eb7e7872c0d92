//===- NNDialect.h - The nn dialect -----------------------------*- C++ -*-===//
//
// Declares the `nn` dialect and the names of the attributes it attaches to
// functions and their arguments to mark models, inputs and parameters.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NNDIALECT_H
#define NNC_DIALECT_NNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialect/NNDialect.h.inc"

namespace nnc::nn {

/// Unit attribute on a `func.func` that is a model's forward function.
inline constexpr llvm::StringLiteral kModelAttr = "nn.model";
/// String attribute on a model argument that is an input: its source name.
inline constexpr llvm::StringLiteral kInputAttr = "nn.input";
/// String attribute on a model argument that is a parameter: its full name.
inline constexpr llvm::StringLiteral kParamAttr = "nn.param";
/// String attribute next to `nn.param`: how the runtime initialises it.
inline constexpr llvm::StringLiteral kInitAttr = "nn.init";

/// Spellings of the initialisers, indexed by `nnc_init_kind`.
inline constexpr llvm::StringLiteral kInitKinds[] = {
    "zeros", "ones", "xavier_uniform", "he_uniform"};

} // namespace nnc::nn

#endif // NNC_DIALECT_NNDIALECT_H
