//===- Jit.cpp - Running compiled models in-process -------------*- C++ -*-===//
//
// The generated code needs libc only (malloc, free, memcpy, memset), which
// the JIT resolves from the nnc process itself.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Jit.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"

using namespace llvm;

Expected<std::unique_ptr<nnc::JitSession>>
nnc::JitSession::create(std::unique_ptr<Module> module,
                        std::unique_ptr<LLVMContext> context,
                        CodeGenOptLevel codegen) {
  auto tmb = orc::JITTargetMachineBuilder::detectHost();
  if (!tmb)
    return tmb.takeError();
  tmb->setCodeGenOptLevel(codegen);
  auto jit = orc::LLJITBuilder().setJITTargetMachineBuilder(*tmb).create();
  if (!jit)
    return jit.takeError();
  module->setDataLayout((*jit)->getDataLayout());
  auto generator = orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator)
    return generator.takeError();
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  if (Error err = (*jit)->addIRModule(
          orc::ThreadSafeModule(std::move(module), std::move(context))))
    return std::move(err);
  return std::unique_ptr<JitSession>(new JitSession(std::move(*jit)));
}

Expected<void *> nnc::JitSession::lookup(StringRef symbol) {
  auto address = jit->lookup(symbol);
  if (!address)
    return address.takeError();
  return address->toPtr<void *>();
}
