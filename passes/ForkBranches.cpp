//===- ForkBranches.cpp - A section's branches on threads -------*- C++ -*-===//
//
// After bufferization, the calls of each section that nnc-outline-branches
// made become one loop over the branches, marked `nnc.parallel` and
// `nnc.branches`, whose
// iteration i runs branch i (an `scf.index_switch`): nnc-parallelize-tiles
// runs it on threads (each thread one branch, the first thread the first),
// and on one thread it runs the branches in order, as the calls did. The
// calls are then inlined, the branch functions erased, and the buffers the
// branches allocate hoisted in front of the loop, so that nnc-use-workspace
// plans them with the function's others: each is live across the whole
// loop, and no two branches share memory. The parallel loops of a branch's
// own products, nested in the loop over branches, stay serial.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <map>

namespace nnc {
#define GEN_PASS_DEF_FORKBRANCHESPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// The section and branch numbers of the function `call` calls, if it is a
/// branch.
std::optional<std::pair<int64_t, int64_t>> branchOf(func::CallOp call,
                                                     ModuleOp module) {
  auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
  if (!callee)
    return std::nullopt;
  auto section = callee->getAttrOfType<IntegerAttr>(nnc::kBranchSectionAttr);
  auto branch = callee->getAttrOfType<IntegerAttr>(nnc::kBranchAttr);
  if (!section || !branch)
    return std::nullopt;
  return std::pair(section.getInt(), branch.getInt());
}

/// Whether the calls `calls` (in block order) can run together at the last
/// one: they return nothing, and between them are only allocations and ops
/// without effects, which the calls moved down past them cannot read (they
/// are defined later).
bool canGather(ArrayRef<func::CallOp> calls) {
  DenseSet<Operation *> members;
  for (func::CallOp call : calls) {
    if (call->getNumResults() != 0)
      return false;
    members.insert(call);
  }
  for (Operation *op = calls.front()->getNextNode(); op != calls.back();
       op = op->getNextNode()) {
    if (members.contains(op))
      continue;
    if (!isa<memref::AllocOp>(op) && !isMemoryEffectFree(op))
      return false;
  }
  return true;
}

/// Replaces `call` by a copy of its callee's body.
void inlineCall(RewriterBase &rewriter, func::CallOp call, func::FuncOp callee) {
  IRMapping mapping;
  Block &body = callee.front();
  for (auto [arg, operand] : llvm::zip(body.getArguments(), call.getOperands()))
    mapping.map(arg, operand);
  rewriter.setInsertionPoint(call);
  for (Operation &op : body.without_terminator())
    rewriter.clone(op, mapping);
  SmallVector<Value> results;
  for (Value v : body.getTerminator()->getOperands())
    results.push_back(mapping.lookupOrDefault(v));
  rewriter.replaceOp(call, results);
}

/// Moves `op` and the ops of its block that it needs in front of `loop`,
/// if all of those are free of effects (and have no regions) but `op`
/// itself, and nothing else it needs is defined inside `loop`.
bool hoistBefore(Operation *op, Operation *loop) {
  Block *block = op->getBlock();
  SetVector<Operation *> chain;
  SmallVector<Operation *> worklist = {op};
  while (!worklist.empty()) {
    Operation *current = worklist.pop_back_val();
    if (!chain.insert(current))
      continue;
    if (current != op &&
        (current->getNumRegions() != 0 || !isMemoryEffectFree(current)))
      return false;
    for (Value v : current->getOperands()) {
      Operation *owner = v.getParentRegion()->getParentOp();
      if (owner != loop && !loop->isProperAncestor(owner))
        continue;
      Operation *def = v.getDefiningOp();
      if (!def || def->getBlock() != block)
        return false;
      worklist.push_back(def);
    }
  }
  SmallVector<Operation *> ordered = chain.takeVector();
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  for (Operation *moved : ordered)
    moved->moveBefore(loop);
  return true;
}

struct ForkBranchesPass : nnc::impl::ForkBranchesPassBase<ForkBranchesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<func::FuncOp> callees;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(nnc::kBranchSectionAttr))
        callees.push_back(func);
    if (callees.empty())
      return;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func->hasAttr(nnc::kBranchSectionAttr))
        continue;
      // section -> calls, in the order met (block order within a block).
      std::map<int64_t, SmallVector<func::CallOp>> sections;
      func.walk([&](func::CallOp call) {
        if (auto branch = branchOf(call, module))
          sections[branch->first].push_back(call);
      });
      for (auto &[section, calls] : sections) {
        SmallVector<scf::ForOp> loops;
        if (calls.size() >= 2 &&
            llvm::all_equal(llvm::map_range(
                calls, [](func::CallOp c) { return c->getBlock(); })) &&
            canGather(calls))
          fork(rewriter, calls, module, loops);
        for (func::CallOp call : calls)
          inlineCall(rewriter, call,
                     module.lookupSymbol<func::FuncOp>(call.getCallee()));
        for (scf::ForOp loop : loops) {
          SmallVector<memref::AllocOp> allocs;
          loop.walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });
          for (memref::AllocOp alloc : allocs)
            (void)hoistBefore(alloc, loop);
        }
      }
    }
    for (func::FuncOp callee : callees)
      callee.erase();
  }

  /// Puts `calls` into the cases of a loop over them, at the last one.
  void fork(RewriterBase &rewriter, ArrayRef<func::CallOp> calls,
            ModuleOp module, SmallVectorImpl<scf::ForOp> &loops) {
    SmallVector<func::CallOp> byBranch(calls.begin(), calls.end());
    llvm::sort(byBranch, [&](func::CallOp a, func::CallOp b) {
      return branchOf(a, module)->second < branchOf(b, module)->second;
    });
    Location loc = byBranch.back().getLoc();
    rewriter.setInsertionPoint(func::CallOp(calls.back()));
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value count = arith::ConstantIndexOp::create(rewriter, loc, calls.size());
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(rewriter, loc, zero, count, one);
    loop->setAttr(nnc::kParallelAttr, rewriter.getUnitAttr());
    loop->setAttr(nnc::kBranchesAttr, rewriter.getUnitAttr());
    loops.push_back(loop);
    rewriter.setInsertionPoint(loop.getBody()->getTerminator());
    SmallVector<int64_t> cases =
        llvm::to_vector(llvm::seq<int64_t>(0, calls.size()));
    auto sw = scf::IndexSwitchOp::create(rewriter, loc, TypeRange{},
                                         loop.getInductionVar(), cases,
                                         cases.size());
    rewriter.createBlock(&sw.getDefaultRegion());
    scf::YieldOp::create(rewriter, loc);
    for (auto [i, call] : llvm::enumerate(byBranch)) {
      Block *block = rewriter.createBlock(&sw.getCaseRegions()[i]);
      rewriter.setInsertionPointToStart(block);
      auto yield = scf::YieldOp::create(rewriter, loc);
      call->moveBefore(yield);
    }
  }
};

} // namespace
