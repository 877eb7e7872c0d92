//===- Codegen.cpp - From the LLVM dialect to machine code ------*- C++ -*-===//
//
// Uses MLIR's LLVM IR translation and LLVM's new pass manager at the chosen
// level. Without an explicit CPU name LLVM targets a baseline x86-64 (SSE
// only); asking for the host CPU and its features is what turns on AVX-512.
//
//===----------------------------------------------------------------------===//

#include "passes/Codegen.h"
#include "passes/CInterface.h"
#include "passes/ParallelOptimize.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Pass.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Threading.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <mutex>

#include <unistd.h>

using namespace llvm;

/// Turns off LLVM's loop strength reduction, an IR pass of the code
/// generator. On `fashion_resnet` it took a quarter of the machine-code time
/// (0.13 of 0.55 s, `llc -time-passes`) and changed no run time we measure
/// (nnc-bench, every model, batches 1 and 64, alternating binaries; the
/// GEMM micro-kernel's inner loop gets one more address instruction): the
/// loops MLIR emits already step one induction variable each. LLVM has no
/// TargetMachine option for it, only the `-disable-lsr` flag, which is
/// process-wide and set once here.
static void disableLoopStrengthReduction() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto &registered = cl::getRegisteredOptions();
    auto it = registered.find("disable-lsr");
    if (it != registered.end())
      it->second->addOccurrence(0, "disable-lsr", "true");
  });
}

Expected<std::unique_ptr<TargetMachine>>
nnc::createTargetMachine(const CodegenOptions &options) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  disableLoopStrengthReduction();

  Triple triple(sys::getDefaultTargetTriple());
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return createStringError(error);

  std::string cpu = options.targetCPU;
  std::string features;
  if (cpu.empty() || cpu == "native") {
    cpu = sys::getHostCPUName().str();
    SubtargetFeatures featureSet;
    for (const auto &[name, enabled] : sys::getHostCPUFeatures())
      featureSet.AddFeature(name, enabled);
    features = featureSet.getString();
  } else if (!target->createMCSubtargetInfo(triple, cpu, "")
                  ->isCPUStringValid(cpu)) {
    return createStringError("unknown target CPU '%s'", cpu.c_str());
  }

  TargetOptions targetOptions;
  CodeGenOptLevel level = options.optLevel == 0   ? CodeGenOptLevel::None
                          : options.optLevel == 1 ? CodeGenOptLevel::Less
                          : options.optLevel == 2 ? CodeGenOptLevel::Default
                                                  : CodeGenOptLevel::Aggressive;
  std::unique_ptr<TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, targetOptions, Reloc::PIC_, std::nullopt, level));
  if (!tm)
    return createStringError("cannot create a target machine for '%s'",
                             triple.str().c_str());
  return tm;
}

static void optimize(Module &module, TargetMachine &tm, unsigned optLevel) {
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  // Standard instrumentations make LLVM's own -time-passes and
  // -print-after-all work in the driver.
  PassInstrumentationCallbacks callbacks;
  StandardInstrumentations instrumentations(module.getContext(),
                                            /*DebugLogging=*/false);
  instrumentations.registerCallbacks(callbacks, &mam);
  PassBuilder pb(&tm, PipelineTuningOptions(), std::nullopt, &callbacks);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  OptimizationLevel level = optLevel == 0   ? OptimizationLevel::O0
                            : optLevel == 1 ? OptimizationLevel::O1
                            : optLevel == 2 ? OptimizationLevel::O2
                                            : OptimizationLevel::O3;
  ModulePassManager mpm = optLevel == 0
                              ? pb.buildO0DefaultPipeline(level)
                              : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

Expected<std::unique_ptr<Module>>
nnc::translateToLLVMIR(mlir::ModuleOp module, LLVMContext &context,
                       ArrayRef<ModelInfo> models, TargetMachine &tm,
                       const CodegenOptions &options,
                       mlir::TimingScope *timing) {
  mlir::TimingScope untimed;
  mlir::TimingScope &parent = timing ? *timing : untimed;
  mlir::TimingScope translation = parent.nest("LLVM IR translation");
  // nn argument attributes (roles) have no LLVM IR meaning; LLVM's
  // translation would warn about them.
  module.walk([](mlir::LLVM::LLVMFuncOp func) {
    auto iface = llvm::cast<mlir::FunctionOpInterface>(func.getOperation());
    for (unsigned i = 0; i < iface.getNumArguments(); ++i)
      for (mlir::NamedAttribute attr : iface.getArgAttrs(i))
        if (attr.getName().getValue().starts_with("nn."))
          iface.removeArgAttr(i, attr.getName());
  });
  mlir::registerBuiltinDialectTranslation(*module->getContext());
  mlir::registerLLVMDialectTranslation(*module->getContext());
  mlir::registerOpenMPDialectTranslation(*module->getContext());
  std::unique_ptr<Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return createStringError("translation to LLVM IR failed");
  llvmModule->setDataLayout(tm.createDataLayout());
  llvmModule->setTargetTriple(tm.getTargetTriple());
  if (Error err = emitCInterface(*llvmModule, models))
    return std::move(err);
  translation.stop();
  mlir::TimingScope optimization = parent.nest("LLVM optimisation");
  unsigned threads = options.threads
                         ? options.threads
                         : hardware_concurrency().compute_thread_count();
  // LLVM's -time-passes keeps one set of timers for the whole process.
  if (TimePassesIsEnabled)
    threads = 1;
  if (options.optLevel == 0) {
    optimize(*llvmModule, tm, options.optLevel);
  } else if (Error err =
                 optimizeInParallel(*llvmModule, tm, threads,
                                    [&](Module &module, TargetMachine &tm) {
                                      optimize(module, tm, options.optLevel);
                                    })) {
    return std::move(err);
  }
  // Segments were external so that each could be optimised apart from its
  // caller; the object does not export them.
  for (Function &func : *llvmModule)
    if (func.hasFnAttribute(nnc::kSegmentAttr))
      func.setLinkage(GlobalValue::InternalLinkage);
  return llvmModule;
}

Error nnc::emitMachineCode(Module &module, TargetMachine &tm,
                           CodeGenFileType type, raw_pwrite_stream &os) {
  legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, type))
    return createStringError("the target cannot emit this file type");
  pm.run(module);
  return Error::success();
}

nnc::TargetShape nnc::describeTarget(const TargetMachine &tm, bool host) {
  TargetShape shape;
  const MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  if (sti->checkFeatures("+avx512f"))
    shape.vectorBits = 512;
  else if (sti->checkFeatures("+avx"))
    shape.vectorBits = 256;
  if (host) {
    if (long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE); l1 > 0)
      shape.l1Bytes = l1;
    if (long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE); l2 > 0)
      shape.l2Bytes = l2;
  }
  return shape;
}
