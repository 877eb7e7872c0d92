//===- Passes.h - nnc passes ------------------------------------*- C++ -*-===//
//
// Declares the generated pass constructors and the registration of every nnc
// pass and pipeline with the global registry (used by nnc-opt).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PASSES_H
#define NNC_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace nnc {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace nnc

#endif // NNC_PASSES_PASSES_H
