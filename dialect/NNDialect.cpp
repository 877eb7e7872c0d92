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
#include "mlir/Transforms/InliningUtils.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace nnc::nn;

#include "dialect/NNDialect.cpp.inc"
#include "dialect/NNInterfaces.cpp.inc"

namespace {
/// Every nn op is a pure function of its operands, so calls to models (from
/// the generated training functions) can always be inlined.
struct NNInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/NNOps.cpp.inc"
      >();
  addInterfaces<NNInlinerInterface>();
}

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  if (attr.getName() == kModelAttr) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError()
             << "'" << kModelAttr << "' must be a unit attribute";
    if (!isa<FunctionOpInterface>(op))
      return op->emitError()
             << "'" << kModelAttr << "' is only valid on a function";
    return success();
  }
  if (attr.getName() == kTrainAttr) {
    if (!isa<DictionaryAttr>(attr.getValue()))
      return op->emitError() << "'" << kTrainAttr << "' must be a dictionary";
    if (!op->hasAttr(kModelAttr))
      return op->emitError()
             << "'" << kTrainAttr << "' is only valid on a model";
    return success();
  }
  if (attr.getName() == kEntryAttr) {
    auto entry = dyn_cast<StringAttr>(attr.getValue());
    if (!entry || !llvm::is_contained({"gradient", "train_step", "eval"},
                                      entry.getValue()))
      return op->emitError() << "'" << kEntryAttr
                             << "' must be one of gradient, train_step, eval";
    return success();
  }
  if (attr.getName() == kWorkspaceFixedAttr ||
      attr.getName() == kWorkspacePerExampleAttr) {
    if (!isa<IntegerAttr>(attr.getValue()))
      return op->emitError()
             << "'" << attr.getName().getValue() << "' must be an integer";
    return success();
  }
  if (attr.getName() == kBackwardOfAttr ||
      attr.getName() == kTrainForwardOfAttr) {
    if (!isa<FlatSymbolRefAttr>(attr.getValue()))
      return op->emitError() << "'" << attr.getName().getValue()
                             << "' must be a symbol reference";
    return success();
  }
  return op->emitError() << "unknown attribute '" << attr.getName().getValue()
                         << "' of the nn dialect";
}

/// `nn.role` must name one of kRoles.
static LogicalResult verifyRole(Operation *op, StringRef what, unsigned index,
                                NamedAttribute attr) {
  auto role = dyn_cast<StringAttr>(attr.getValue());
  if (!role || !llvm::is_contained(kRoles, role.getValue()))
    return op->emitError() << "'" << kRoleAttr << "' of " << what << " "
                           << index
                           << " must be one of input, labels, step, seed, "
                              "update, param, grad, state, loss, correct, "
                              "workspace";
  return success();
}

LogicalResult NNDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                     unsigned resultIndex,
                                                     NamedAttribute attr) {
  if (attr.getName() == kRoleAttr)
    return verifyRole(op, "result", resultIndex, attr);
  if (attr.getName() == kUpdatesAttr) {
    if (!isa<IntegerAttr>(attr.getValue()))
      return op->emitError() << "'" << kUpdatesAttr << "' of result "
                             << resultIndex << " must be an integer";
    return success();
  }
  return op->emitError() << "unknown result attribute '"
                         << attr.getName().getValue() << "' of the nn dialect";
}

LogicalResult NNDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                  unsigned argIndex,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kRoleAttr)
    return verifyRole(op, "argument", argIndex, attr);
  if (name == kBufferAttr || name == kKeyAttr) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' of argument " << argIndex
                             << " must be a unit attribute";
    return success();
  }
  if (name == kPartAttr) {
    auto part = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!part || !part.getAs<StringAttr>("of") ||
        !part.getAs<DenseI64ArrayAttr>("shape") ||
        !part.getAs<IntegerAttr>("dim") || !part.getAs<IntegerAttr>("index") ||
        !part.getAs<IntegerAttr>("count"))
      return op->emitError() << "'" << name << "' of argument " << argIndex
                             << " must be a dictionary with of, shape, dim, "
                                "index and count";
    return success();
  }
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
