//===- NNOps.h - Operations of the nn dialect -------------------*- C++ -*-===//
//
// Declares the ODS-generated op classes of the `nn` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NNOPS_H
#define NNC_DIALECT_NNOPS_H

#include "dialect/NNDialect.h"
#include "dialect/NNInterfaces.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialect/NNOps.h.inc"

#endif // NNC_DIALECT_NNOPS_H
