//===- ParallelOptimize.cpp - LLVM's pipeline on several threads ---------===//
//
// An LLVMContext cannot be shared between threads, so each partition other
// than the first is cloned into a module of its own (CloneModule, with the
// other partitions' definitions as declarations) and optimised in a fresh
// context from its bitcode; the first partition is optimised in place, in
// the original module, and the others are linked back into it. Partitions are unions of
// definitions that reference each other (found with union-find over the
// references of every function body and initializer), so internal linkage,
// inlining and interprocedural attributes are what they would be on the
// whole module. Private constants that refer to no other global but such
// constants (MLIR's splat constants; the source location that every
// OpenMP runtime call of an object compiled with --parallel passes, a
// struct pointing to a string) and linkonce_odr definitions are the
// exception: every partition keeps a copy, so they do not tie the entry
// points together. Calls to the segments nnc-outline-segments cut out of
// large functions do not tie either: segments are noinline and external
// while they are optimised, and Codegen.cpp makes them internal afterwards
// (the parallel regions OpenMP outlines from a segment inherit its
// attributes but are internal, and stay with it). Every class is
// a partition of its own, whatever the number of threads, so the result
// does not depend on it; threads take the partitions largest first.
//
//===----------------------------------------------------------------------===//

#include "passes/ParallelOptimize.h"
#include "passes/Passes.h"

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
#include "llvm/Transforms/Utils/Cloning.h"

#include <atomic>
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

/// How deep a private constant's references to other such constants are
/// followed (OpenMP's source locations: a struct that points to a string).
constexpr unsigned kMaxCopyableDepth = 4;

/// A private constant that refers to no other global but copyable ones (the
/// source location every OpenMP runtime call of the object passes), or a
/// linkonce_odr definition (`nnc_threads` and its cache, which every
/// function with parallel loops calls): copied into every partition instead
/// of tying its users together. The linker keeps one of the linkonce_odr
/// copies.
bool isCopyable(const GlobalValue &gv, unsigned depth = 0) {
  if (gv.hasLinkOnceODRLinkage())
    return true;
  auto *var = dyn_cast<GlobalVariable>(&gv);
  if (!var || !var->hasLocalLinkage() || !var->isConstant() ||
      !var->hasInitializer() || depth > kMaxCopyableDepth)
    return false;
  SmallPtrSet<const Constant *, 8> seen;
  bool refersToOther = false;
  forEachGlobal(var->getInitializer(), seen, [&](const GlobalValue *other) {
    refersToOther |= !isCopyable(*other, depth + 1);
  });
  return !refersToOther;
}

/// A segment (external while it is optimised). The parallel regions
/// OpenMP outlines from a segment inherit its attributes but are internal:
/// they go with the function that forks them.
bool isSegment(const GlobalValue &gv) {
  auto *func = dyn_cast<Function>(&gv);
  return func && func->hasFnAttribute(nnc::kSegmentAttr) &&
         !func->hasLocalLinkage();
}

/// The partition of every definition that is not copyable, by name, or
/// nothing when the module has nothing to split. Each class of definitions
/// that reference each other is a partition, numbered from the largest
/// (by instruction count); classes of global variables alone join the
/// first.
std::optional<StringMap<unsigned>> partition(Module &module) {
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
    // A call to a segment (see nnc-outline-segments) does not tie the
    // caller to it: segments are external until the partitions are linked.
    auto join = [&](const GlobalValue *other) {
      if (isSplittable(*other) && !isSegment(*other))
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
  llvm::sort(sizes, [](auto &a, auto &b) {
    return a.first != b.first ? a.first > b.first
                              : a.second->getName() < b.second->getName();
  });
  if (sizes.size() < 2 || sizes[1].first == 0)
    return std::nullopt;
  StringMap<unsigned> partOf;
  for (auto [part, entry] : llvm::enumerate(sizes))
    for (const GlobalValue *gv : classes.members(entry.second))
      partOf[gv->getName()] = entry.first > 0 ? part : 0;
  return partOf;
}

/// Erases what no function of `module` uses any more: declarations, and the
/// copies of constants.
void dropUnused(Module &module) {
  for (GlobalValue &gv : make_early_inc_range(module.global_values())) {
    gv.removeDeadConstantUsers();
    if (gv.use_empty() && (gv.isDeclaration() || gv.hasLocalLinkage()))
      gv.eraseFromParent();
  }
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
  dropUnused(module);
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
  std::optional<StringMap<unsigned>> partOf = partition(module);
  if (!partOf) {
    optimize(module, tm);
    return Error::success();
  }
  unsigned parts = 0;
  for (const auto &entry : *partOf)
    parts = std::max(parts, entry.second + 1);

  // Every partition but the first, the largest, as a module of its own in
  // bitcode, which a thread reads into a context of its own; the first is
  // optimised in place.
  struct Job {
    SmallString<0> bitcode;
    std::string error;
  };
  std::vector<Job> jobs(parts);
  for (unsigned part = 1; part < parts; ++part) {
    ValueToValueMapTy map;
    std::unique_ptr<Module> copy =
        CloneModule(module, map, [&](const GlobalValue *gv) {
          auto it = partOf->find(gv->getName());
          return it == partOf->end() || it->second == part;
        });
    dropUnused(*copy);
    raw_svector_ostream os(jobs[part].bitcode);
    WriteBitcodeToFile(*copy, os);
  }
  if (Error err = keepPartition(module, 0, *partOf))
    return err;

  std::atomic<unsigned> next = 1;
  auto work = [&](TargetMachine &tm) {
    for (unsigned part; (part = next++) < parts;) {
      Job &job = jobs[part];
      LLVMContext context;
      Expected<std::unique_ptr<Module>> copy = parseBitcodeFile(
          MemoryBufferRef(job.bitcode, "nnc-partition"), context);
      if (!copy) {
        job.error = toString(copy.takeError());
        continue;
      }
      optimize(**copy, tm);
      job.bitcode.clear();
      raw_svector_ostream os(job.bitcode);
      WriteBitcodeToFile(**copy, os);
    }
  };
  // A TargetMachine caches subtargets: one per thread.
  std::vector<std::unique_ptr<TargetMachine>> machines;
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < std::min(threads, parts); ++i) {
    machines.push_back(cloneTargetMachine(tm));
    pool.emplace_back(work, std::ref(*machines.back()));
  }
  optimize(module, tm);
  work(tm);
  for (std::thread &thread : pool)
    thread.join();

  Linker linker(module);
  for (unsigned part = 1; part < parts; ++part) {
    if (!jobs[part].error.empty())
      return createStringError(jobs[part].error);
    Expected<std::unique_ptr<Module>> copy =
        parseBitcodeFile(MemoryBufferRef(jobs[part].bitcode, "nnc-partition"),
                         module.getContext());
    if (!copy)
      return copy.takeError();
    if (linker.linkInModule(std::move(*copy)))
      return createStringError("cannot link the optimised partitions");
  }
  return Error::success();
}
