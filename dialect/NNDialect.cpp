//===- NNDialect.cpp - The nn dialect ---------------------------*- C++ -*-===//
//
// Registers the ops of the `nn` dialect and verifies the attributes it owns
// on functions (`nn.model`) and on function arguments (`nn.input`,
// `nn.param`, `nn.init`), so that a hand-written or transformed module with a
// malformed model signature is rejected before code generation relies on it.
//
//===----------------------------------------------------------------------===//

#include "dialect/NNDialect.h"
#include "dialect/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace nnc::nn;

#include "dialect/NNDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/NNOps.cpp.inc"
      >();
}

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  if (attr.getName() == kModelAttr) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << kModelAttr << "' must be a unit attribute";
    if (!isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << kModelAttr
                             << "' is only valid on a function";
    return success();
  }
  return op->emitError() << "unknown attribute '" << attr.getName().getValue()
                         << "' of the nn dialect";
}

LogicalResult NNDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                  unsigned argIndex,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name != kInputAttr && name != kParamAttr && name != kInitAttr)
    return op->emitError() << "unknown argument attribute '" << name
                           << "' of the nn dialect";
  auto str = dyn_cast<StringAttr>(attr.getValue());
  if (!str)
    return op->emitError() << "'" << name << "' of argument " << argIndex
                           << " must be a string";
  if (name == kInitAttr && !llvm::is_contained(kInitKinds, str.getValue()))
    return op->emitError() << "'" << kInitAttr << "' of argument " << argIndex
                           << " must be one of zeros, ones, xavier_uniform, "
                              "he_uniform, got '"
                           << str.getValue() << "'";
  return success();
}
