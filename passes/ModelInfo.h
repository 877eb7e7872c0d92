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
  std::vector<ParamInfo> params;
  std::vector<ArgInfo> args;
  TensorInfo output;
  int64_t paramSize = 0; // elements, padding included
};

/// Each parameter starts on a 64-byte boundary of the buffer (16 floats), so
/// vector loads of a tensor's first row are aligned.
inline constexpr int64_t kParamAlignment = 16;

/// Reads every `nn.model` function of `module`; emits an error and fails on a
/// signature the C interface cannot express.
llvm::FailureOr<std::vector<ModelInfo>> collectModels(mlir::ModuleOp module);

} // namespace nnc

#endif // NNC_PASSES_MODELINFO_H
