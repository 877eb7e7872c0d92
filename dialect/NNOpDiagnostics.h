//===- NNOpDiagnostics.h - Messages of nn op type inference -----*- C++ -*-===//
//
// Result-type inference runs from builders (no location to report at) and
// from the verifier; these helpers give both the "'nn.op' op ..." prefix
// that `emitOpError` would, so every op file reports errors the same way.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NNOPDIAGNOSTICS_H
#define NNC_DIALECT_NNOPDIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"

#include <optional>
#include <utility>

namespace nnc::nn {

/// Reports `args` as an error of `OpTy` at `loc` (if any) and fails.
template <typename OpTy, typename... Args>
llvm::LogicalResult opError(std::optional<mlir::Location> loc, Args &&...args) {
  return mlir::emitOptionalError(loc, "'", OpTy::getOperationName(), "' op ",
                                 std::forward<Args>(args)...);
}

} // namespace nnc::nn

#endif // NNC_DIALECT_NNOPDIAGNOSTICS_H
