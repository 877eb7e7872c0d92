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
/// Dictionary attribute next to `nn.param` on a model argument that is a
/// part of a parameter split by nnc-split-units: `of` (the whole
/// parameter's name), `shape` (its shape), `dim` (the dimension split),
/// `index` and `count` (which part of how many).
inline constexpr llvm::StringLiteral kPartAttr = "nn.part";
/// String attribute next to `nn.param`: how the runtime initialises it.
inline constexpr llvm::StringLiteral kInitAttr = "nn.init";
/// Unit attribute next to `nn.param`: model state, not trained (batch
/// norm's running statistics). The train step replaces it with the value
/// the training-mode forward computes; its gradient is zero.
inline constexpr llvm::StringLiteral kBufferAttr = "nn.buffer";
/// Unit attribute on the i64 argument of `@M.train_forward` that selects
/// the dropout masks.
inline constexpr llvm::StringLiteral kKeyAttr = "nn.key";
/// Integer attribute on a result of `@M.train_forward` other than the
/// output: the index of the model argument (an `nn.buffer`) it updates.
inline constexpr llvm::StringLiteral kUpdatesAttr = "nn.updates";
/// Symbol reference on `@M.train_forward` to its model.
inline constexpr llvm::StringLiteral kTrainForwardOfAttr =
    "nn.train_forward_of";

/// Dictionary attribute on a model function: its `train` block (loss,
/// optimizer and hyper-parameters).
inline constexpr llvm::StringLiteral kTrainAttr = "nn.train";
/// Symbol reference on a generated `@M.backward` function to its model.
inline constexpr llvm::StringLiteral kBackwardOfAttr = "nn.backward_of";
/// String attribute on arguments and results of generated training entry
/// points: what the value is (see kRoles).
inline constexpr llvm::StringLiteral kRoleAttr = "nn.role";

/// Roles of training entry-point arguments and results.
inline constexpr llvm::StringLiteral kRoles[] = {
    "input", "labels", "step", "seed",    "update",   "param",
    "grad",  "state",  "loss", "correct", "workspace"};
/// String attribute on a generated training function: which entry point it
/// is ("gradient", "train_step" or "eval"). Such functions take a workspace
/// instead of allocating.
inline constexpr llvm::StringLiteral kEntryAttr = "nn.entry";
/// Integer attributes the workspace pass leaves on an entry point: bytes of
/// workspace it needs, independent of and per example of the batch.
inline constexpr llvm::StringLiteral kWorkspaceFixedAttr = "nn.workspace_fixed";
inline constexpr llvm::StringLiteral kWorkspacePerExampleAttr =
    "nn.workspace_per_example";

/// Spellings of the initialisers, indexed by `nnc_init_kind`.
inline constexpr llvm::StringLiteral kInitKinds[] = {
    "zeros", "ones", "xavier_uniform", "he_uniform"};

} // namespace nnc::nn

#endif // NNC_DIALECT_NNDIALECT_H
