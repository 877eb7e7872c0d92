//===- ParallelOptimize.cpp - LLVM's pipeline on several threads ---------===//
//
// An LLVMContext cannot be shared between threads, so each partition other
// than the first is optimised in a fresh context from a bitcode copy of the
// whole module, in which the definitions of the other partitions are
// dropped; the first partition is optimised in place, in the original
// module, and the others are linked back into it. Partitions are unions of
// definitions that reference each other (found with union-find over the
// references of every function body and initializer), so internal linkage,
// inlining and interprocedural attributes are what they would be on the
// whole module. Small private constants referencing nothing (MLIR's splat
// constants) are the exception: every partition keeps a copy, so they do not
// tie the entry points together. Partitions are balanced by instruction
// count, largest first.
//
//===----------------------------------------------------------------------===//

#include "passes/ParallelOptimize.h"

#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"

#include <thread>

using namespace llvm;

namespace {

/// Calls `f` on every global value that `c` refers to, through constant
/// expressions and aggregates.
void forEachGlobal(const Constant *c, SmallPtrSetImpl<const Constant *> &seen,
                   function_ref<void(const GlobalValue *)> f) {
  if (!seen.insert(c).second)
    return;
  if (auto *gv = dyn_cast<GlobalValue>(c)) {
    f(gv);
    return;
  }
  for (const Use &op : c->operands())
    forEachGlobal(cast<Constant>(op.get()), seen, f);
}

/// A private constant that refers to no other global: copied into every
/// partition instead of tying its users together.
bool isCopyable(const GlobalValue &gv) {
  auto *var = dyn_cast<GlobalVariable>(&gv);
  if (!var || !var->hasLocalLinkage() || !var->isConstant() ||
      !var->hasInitializer())
    return false;
  SmallPtrSet<const Constant *, 8> seen;
  bool refersToGlobal = false;
  forEachGlobal(var->getInitializer(), seen,
                [&](const GlobalValue *) { refersToGlobal = true; });
  return !refersToGlobal;
}

/// The partition of every definition that is not copyable, by name, or
/// nothing when the module has nothing to split.
std::optional<StringMap<unsigned>> partition(Module &module,
                                             unsigned maxParts) {
  if (!module.getModuleInlineAsm().empty() || !module.alias_empty() ||
      !module.ifunc_empty())
    return std::nullopt;
  EquivalenceClasses<const GlobalValue *> classes;
  auto isSplittable = [](const GlobalValue &gv) {
    return !gv.isDeclaration() && !isCopyable(gv);
  };
  for (GlobalValue &gv : module.global_values()) {
    if (!isSplittable(gv))
      continue;
    if (gv.hasComdat())
      return std::nullopt;
    if (!gv.hasName())
      gv.setName("__nnc_unnamed");
    classes.insert(&gv);
    SmallPtrSet<const Constant *, 32> seen;
    auto join = [&](const GlobalValue *other) {
      if (isSplittable(*other))
        classes.unionSets(&gv, other);
    };
    if (auto *var = dyn_cast<GlobalVariable>(&gv)) {
      forEachGlobal(var->getInitializer(), seen, join);
      continue;
    }
    for (const Instruction &inst : instructions(cast<Function>(gv)))
      for (const Use &op : inst.operands())
        if (auto *c = dyn_cast<Constant>(op.get()))
          forEachGlobal(c, seen, join);
  }

  // Largest class first, into the partition with the fewest instructions.
  SmallVector<std::pair<size_t, const GlobalValue *>> sizes;
  for (const auto *cls : classes) {
    if (!cls->isLeader())
      continue;
    size_t size = 0;
    for (const GlobalValue *gv : classes.members(*cls))
      if (auto *func = dyn_cast<Function>(gv))
        size += func->getInstructionCount();
    sizes.push_back({size, cls->getData()});
  }
  llvm::sort(sizes, [](auto &a, auto &b) { return a.first > b.first; });
  unsigned parts = 0;
  for (auto &[size, leader] : sizes)
    parts += size > 0;
  parts = std::min(parts, maxParts);
  if (parts < 2)
    return std::nullopt;
  SmallVector<size_t> load(parts, 0);
  StringMap<unsigned> partOf;
  for (auto &[size, leader] : sizes) {
    unsigned part = llvm::min_element(load) - load.begin();
    load[part] += size;
    for (const GlobalValue *gv : classes.members(leader))
      partOf[gv->getName()] = part;
  }
  return partOf;
}

/// Drops from `module` the definitions of every partition but `part`.
Error keepPartition(Module &module, unsigned part,
                    const StringMap<unsigned> &partOf) {
  SmallVector<GlobalValue *> dropped;
  for (GlobalValue &gv : module.global_values()) {
    auto it = partOf.find(gv.getName());
    if (it != partOf.end() && it->second != part)
      dropped.push_back(&gv);
  }
  SmallVector<bool> wasLocal;
  for (GlobalValue *gv : dropped) {
    wasLocal.push_back(gv->hasLocalLinkage());
    gv->setLinkage(GlobalValue::ExternalLinkage);
    if (auto *func = dyn_cast<Function>(gv))
      func->deleteBody();
    else
      cast<GlobalVariable>(gv)->setInitializer(nullptr);
  }
  // What is still used is an external definition of another partition
  // (the partitions never refer to each other's local symbols).
  for (auto [gv, local] : llvm::zip(dropped, wasLocal)) {
    gv->removeDeadConstantUsers();
    if (gv->use_empty())
      gv->eraseFromParent();
    else if (local)
      return createStringError("cannot partition the module at '%s'",
                               gv->getName().str().c_str());
  }
  // Copies of constants that no function here uses.
  for (GlobalVariable &var : make_early_inc_range(module.globals())) {
    var.removeDeadConstantUsers();
    if (var.use_empty() && var.hasLocalLinkage())
      var.eraseFromParent();
  }
  return Error::success();
}

std::unique_ptr<TargetMachine> cloneTargetMachine(const TargetMachine &tm) {
  return std::unique_ptr<TargetMachine>(tm.getTarget().createTargetMachine(
      tm.getTargetTriple(), tm.getTargetCPU(), tm.getTargetFeatureString(),
      tm.Options, tm.getRelocationModel(), tm.getCodeModel(),
      tm.getOptLevel()));
}

} // namespace

Error nnc::optimizeInParallel(
    Module &module, TargetMachine &tm, unsigned threads,
    function_ref<void(Module &, TargetMachine &)> optimize) {
  std::optional<StringMap<unsigned>> partOf = partition(module, threads);
  if (!partOf) {
    optimize(module, tm);
    return Error::success();
  }
  unsigned parts = 0;
  for (const auto &entry : *partOf)
    parts = std::max(parts, entry.second + 1);

  SmallString<0> whole;
  {
    raw_svector_ostream os(whole);
    WriteBitcodeToFile(module, os);
  }
  struct Worker {
    std::unique_ptr<TargetMachine> tm;
    SmallString<0> bitcode;
    std::string error;
    std::thread thread;
  };
  std::vector<Worker> workers(parts - 1);
  for (unsigned part = 1; part < parts; ++part) {
    Worker &w = workers[part - 1];
    // A TargetMachine caches subtargets: one per thread.
    w.tm = cloneTargetMachine(tm);
    w.thread = std::thread([&, part, &w = w] {
      LLVMContext context;
      Expected<std::unique_ptr<Module>> copy =
          parseBitcodeFile(MemoryBufferRef(whole, "nnc-partition"), context);
      Error err =
          copy ? keepPartition(**copy, part, *partOf) : copy.takeError();
      if (err) {
        w.error = toString(std::move(err));
        return;
      }
      optimize(**copy, *w.tm);
      raw_svector_ostream os(w.bitcode);
      WriteBitcodeToFile(**copy, os);
    });
  }
  Error err = keepPartition(module, 0, *partOf);
  if (!err)
    optimize(module, tm);
  for (Worker &w : workers)
    w.thread.join();
  if (err)
    return err;

  Linker linker(module);
  for (Worker &w : workers) {
    if (!w.error.empty())
      return createStringError(w.error);
    Expected<std::unique_ptr<Module>> part = parseBitcodeFile(
        MemoryBufferRef(w.bitcode, "nnc-partition"), module.getContext());
    if (!part)
      return part.takeError();
    if (linker.linkInModule(std::move(*part)))
      return createStringError("cannot link the optimised partitions");
  }
  return Error::success();
}
