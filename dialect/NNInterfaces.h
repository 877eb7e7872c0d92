//===- NNInterfaces.h - Interfaces of the nn dialect ------------*- C++ -*-===//
//
// Declares the ODS-generated DifferentiableOpInterface.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NNINTERFACES_H
#define NNC_DIALECT_NNINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "dialect/NNInterfaces.h.inc"

#endif // NNC_DIALECT_NNINTERFACES_H
