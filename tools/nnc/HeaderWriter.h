//===- HeaderWriter.h - The header of a compiled model file -----*- C++ -*-===//
//
// Writes the C/C++ header that goes with an object nnc produced.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_NNC_HEADERWRITER_H
#define NNC_TOOLS_NNC_HEADERWRITER_H

#include "passes/ModelInfo.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc {

/// Writes a header declaring each model's descriptor and forward function,
/// size macros, and (under __cplusplus) a small wrapper class owning the
/// parameters. `source` names the .nn file in the banner and include guard.
void writeHeader(llvm::raw_ostream &os, llvm::ArrayRef<ModelInfo> models,
                 llvm::StringRef source);

} // namespace nnc

#endif // NNC_TOOLS_NNC_HEADERWRITER_H
