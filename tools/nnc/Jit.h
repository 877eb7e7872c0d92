//===- Jit.h - Running compiled models in-process ---------------*- C++ -*-===//
//
// `nnc train` and `nnc gradcheck` run the code nnc generates without writing
// an object: LLVM's ORC LLJIT links the optimised module in memory and hands
// out the addresses of its exported C symbols.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_NNC_JIT_H
#define NNC_TOOLS_NNC_JIT_H

#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/Module.h"

#include <memory>

namespace nnc {

class JitSession {
public:
  /// JITs `module` (which owns nothing else) for the host, generating
  /// machine code at `codegen` (CodeGenOptLevel::None for IR compiled at
  /// -O0: LLVM's default level spends longer on unoptimised IR than the
  /// whole -O2 compile).
  static llvm::Expected<std::unique_ptr<JitSession>>
  create(std::unique_ptr<llvm::Module> module,
         std::unique_ptr<llvm::LLVMContext> context,
         llvm::CodeGenOptLevel codegen = llvm::CodeGenOptLevel::Default);

  /// The address of an exported symbol such as `nnc_MLP_desc`.
  llvm::Expected<void *> lookup(llvm::StringRef symbol);

private:
  explicit JitSession(std::unique_ptr<llvm::orc::LLJIT> jit)
      : jit(std::move(jit)) {}
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

} // namespace nnc

#endif // NNC_TOOLS_NNC_JIT_H
