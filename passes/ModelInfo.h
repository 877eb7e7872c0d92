//===- ModelInfo.h - What a compiled model exports --------------*- C++ -*-===//
//
// The facts about each model that the C interface, the descriptor and the
// generated header are made from: inputs, parameters with their offsets in
// the flat parameter buffer, and the output. Collected from the nn-level
// module (the `nn.model` functions and their argument attributes) before any
// lowering, so every consumer sees the same layout.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_MODELINFO_H
#define NNC_PASSES_MODELINFO_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>
#include <vector>

namespace nnc {

/// A model input or output; `shape` excludes the batch dimension.
struct TensorInfo {
  std::string name;
  llvm::SmallVector<int64_t> shape;
  int64_t size() const;
};

struct ParamInfo {
  std::string name;
  llvm::SmallVector<int64_t> shape;
  int64_t offset = 0; // elements from the start of the parameter buffer
  int64_t size = 0;
  int init = 0; // nnc_init_kind
  int64_t fanIn = 0;
  int64_t fanOut = 0;
  /// False for model state the train step computes (`nn.buffer`).
  bool trainable = true;
  /// Stored as this many column blocks of a rank-2 `shape`, one after the
  /// other (nnc-split-units), rather than row-major: nnc_param_desc's
  /// `column_blocks`.
  int64_t columnBlocks = 1;
};

/// A function argument that is a part of a parameter (nnc-split-units).
struct PartInfo {
  std::string of;  // the whole parameter
  llvm::SmallVector<int64_t> shape; // the whole parameter's
  int64_t dim = 0, index = 0, count = 1;
};

/// What a model's `train` block compiled into (nnc_train_desc).
struct TrainInfo {
  int loss = 0;      // nnc_loss_kind
  int optimizer = 0; // nnc_optimizer_kind
  double lr = 0, momentum = 0, weightDecay = 0, beta1 = 0, beta2 = 0, eps = 0;
  int64_t batch = 0, epochs = 0;
  /// Default augmentation: random horizontal flip, random shift in pixels.
  bool augmentFlip = false;
  int64_t augmentShift = 0;
  /// Optimizer state tensors per parameter (0, 1 or 2); the state buffer
  /// holds that many copies of the parameter layout.
  unsigned statesPerParam = 0;
  /// Bytes, from the lowered entry points (see readWorkspaceSizes).
  int64_t workspaceFixed = 0, workspacePerExample = 0;
};

/// One argument of the model function, in order: an input or a parameter.
struct ArgInfo {
  bool isParam;
  unsigned index; // into ModelInfo::inputs or ModelInfo::params
};

struct ModelInfo {
  std::string name;
  std::string funcName; // the func.func symbol
  std::vector<TensorInfo> inputs;
  /// One per parameter argument of the model function, in order: the
  /// views the entry points pass. A parameter split into parts is several
  /// of these, consecutive (see `parts` and describedParams()).
  std::vector<ParamInfo> params;
  /// Per entry of `params`: the part it is, if it is one.
  std::vector<std::optional<PartInfo>> parts;
  std::vector<ArgInfo> args;
  TensorInfo output;
  int64_t paramSize = 0; // elements, padding included
  bool isF64 = false;    // element type f64 instead of f32
  /// Bytes of the one buffer nnc_<M>_forward allocates for every call's
  /// intermediates (see readWorkspaceSizes); both 0: it allocates none, or
  /// the body allocates its own.
  int64_t forwardWorkspaceFixed = 0, forwardWorkspacePerExample = 0;
  std::optional<TrainInfo> train;

  /// The parameters as the descriptor lists them: the parts of a split
  /// parameter as the one whole tensor, stored in column blocks when the
  /// split was by columns.
  std::vector<ParamInfo> describedParams() const;

  bool hasForwardWorkspace() const {
    return forwardWorkspaceFixed || forwardWorkspacePerExample;
  }
};

/// Each parameter starts on a 64-byte boundary of the buffer (16 floats), so
/// vector loads of a tensor's first row are aligned.
inline constexpr int64_t kParamAlignment = 16;

/// The symbol of the body function a model's func.func is renamed to before
/// lowering, so user model names can never collide with libc or our symbols.
std::string getModelBodySymbol(llvm::StringRef model);

/// Reads every `nn.model` function of `module`; emits an error and fails on a
/// signature the C interface cannot express.
llvm::FailureOr<std::vector<ModelInfo>> collectModels(mlir::ModuleOp module);

/// Fills the workspace sizes of models from the `nn.workspace_*` attributes
/// the workspace pass left on their lowered functions: the forward body's,
/// and for trainable models the largest over gradient, train_step and eval
/// (one buffer serves all).
void readWorkspaceSizes(mlir::ModuleOp lowered,
                        llvm::MutableArrayRef<ModelInfo> models);

} // namespace nnc

#endif // NNC_PASSES_MODELINFO_H
