//===- CInterface.h - C entry points and descriptors ------------*- C++ -*-===//
//
// Adds to a translated LLVM module what a C program links against: one
// `nnc_<Model>_forward` function per model and its `nnc_<Model>_desc`
// descriptor (runtime/nnc_model.h).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_CINTERFACE_H
#define NNC_PASSES_CINTERFACE_H

#include "passes/ModelInfo.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

namespace nnc {

/// Emits, for each model, the exported wrappers
///   void nnc_<M>_forward_ws(const float *params, const float *in0, ...,
///                           int64_t batch, float *out, void *workspace);
///   void nnc_<M>_forward(const float *params, const float *in0, ...,
///                        int64_t batch, float *out);
/// the first of which builds the memref descriptors of the lowered body
/// function (each parameter is a view at its offset into `params`, the
/// intermediates in `workspace` when the body has any), the second calls it
/// with a workspace it allocates for the call and frees; for a model with a
/// train block, nnc_<M>_train_step, nnc_<M>_eval and nnc_<M>_gradient around
/// `@M.train_step`, `@M.eval` and `@M.gradient`; and the exported descriptor
/// constant. Lowered functions become internal so LLVM inlines them into
/// their wrappers. f64 models take double wherever f32 ones take float.
llvm::Error emitCInterface(llvm::Module &module,
                           llvm::ArrayRef<ModelInfo> models);

} // namespace nnc

#endif // NNC_PASSES_CINTERFACE_H
