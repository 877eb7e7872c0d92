//===- OutlineSegments.cpp - Large functions cut into segments --*- C++ -*-===//
//
// A model's training step is one function: the forward, the backward and
// the optimizer update of every layer, tens of thousands of LLVM
// instructions for a small residual network. MLIR runs its function passes
// on several threads, and nnc optimises the partitions of an LLVM module on
// several threads (ParallelOptimize.cpp), but both split work by function,
// so the training step alone set the compile time. This pass cuts such a
// function, once it is loops over buffers, into segments: runs of
// consecutive top-level operations of a set size, each moved into a
// function of its own by MLIR's `outlineSingleBlockRegion` and called in
// its place. Values that cost nothing to recompute (constants, views of
// the argument buffers) are recomputed in each segment instead of becoming
// arguments; the rest (buffers, loop results such as the loss) are passed
// in and returned.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace nnc {
#define GEN_PASS_DEF_OUTLINESEGMENTSPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// The operations in `op`, itself included.
int64_t weight(Operation *op) {
  int64_t n = 0;
  op->walk([&](Operation *) { ++n; });
  return n;
}

/// The top-level operations of `body` that a segment recomputes instead of
/// receiving: no regions, no memory effects, and operands that are
/// arguments of the function or results of other such operations.
DenseSet<Operation *> rematerializable(Block &body) {
  DenseSet<Operation *> result;
  for (Operation &op : body.without_terminator()) {
    if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op))
      continue;
    if (llvm::all_of(op.getOperands(), [&](Value v) {
          Operation *def = v.getDefiningOp();
          return def ? result.contains(def)
                     : cast<BlockArgument>(v).getOwner() == &body;
        }))
      result.insert(&op);
  }
  return result;
}

/// Moves `ops` (consecutive top-level operations of the function, but for
/// rematerializable ones between them) into a new private function `name`
/// and calls it in their place.
LogicalResult outline(IRRewriter &rewriter, ArrayRef<Operation *> ops,
                      const DenseSet<Operation *> &remat, StringRef name) {
  Block &body = *ops.front()->getBlock();
  Location loc = ops.front()->getLoc();
  DenseSet<Operation *> inSegment(ops.begin(), ops.end());
  SetVector<Value> escaping;
  for (Operation *op : ops)
    for (Value result : op->getResults())
      for (Operation *user : result.getUsers())
        if (!inSegment.contains(body.findAncestorOpInBlock(*user)))
          escaping.insert(result);

  // The segment in an scf.execute_region, whose results are the values
  // used after it.
  rewriter.setInsertionPoint(ops.front());
  auto region = scf::ExecuteRegionOp::create(
      rewriter, loc, ValueRange(escaping.getArrayRef()).getTypes());
  Block *block = rewriter.createBlock(&region.getRegion());
  for (Operation *op : ops)
    op->moveBefore(block, block->end());
  rewriter.setInsertionPointToEnd(block);
  scf::YieldOp::create(rewriter, loc, escaping.getArrayRef());
  for (auto [value, result] : llvm::zip(escaping, region.getResults()))
    Value(value).replaceUsesWithIf(result, [&](OpOperand &use) {
      return !region->isProperAncestor(use.getOwner());
    });

  // Recompute what is cheap instead of passing it.
  SetVector<Value> captures;
  getUsedValuesDefinedAbove(region.getRegion(), captures);
  IRMapping clones;
  rewriter.setInsertionPointToStart(block);
  std::function<void(Value)> recompute = [&](Value v) {
    Operation *def = v.getDefiningOp();
    if (!def || !remat.contains(def) || clones.contains(v))
      return;
    for (Value operand : def->getOperands())
      recompute(operand);
    rewriter.clone(*def, clones);
  };
  for (Value v : captures.takeVector()) {
    recompute(v);
    if (Value clone = clones.lookupOrNull(v))
      v.replaceUsesWithIf(clone, [&](OpOperand &use) {
        return region->isProperAncestor(use.getOwner());
      });
  }

  func::CallOp call;
  FailureOr<func::FuncOp> segment =
      outlineSingleBlockRegion(rewriter, loc, region.getRegion(), name, &call);
  if (failed(segment))
    return failure();
  segment->setPrivate();
  (*segment)->setAttr(
      "passthrough",
      rewriter.getArrayAttr({rewriter.getStringAttr("noinline"),
                             rewriter.getStringAttr(nnc::kSegmentAttr)}));

  // Back out of the scf.execute_region: the call and its results.
  Block *callBlock = &region.getRegion().front();
  Operation *yield = callBlock->getTerminator();
  SmallVector<Value> results(yield->getOperands());
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(callBlock, region);
  rewriter.replaceOp(region, results);
  return success();
}

struct OutlineSegmentsPass
    : nnc::impl::OutlineSegmentsPassBase<OutlineSegmentsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs) {
      if (func.isExternal() || !func.getBody().hasOneBlock() ||
          weight(func) < 2 * segmentOps)
        continue;
      Block &body = func.getBody().front();
      DenseSet<Operation *> remat = rematerializable(body);

      // Runs of about segmentOps operations; an allocation stays in the
      // function and ends the run before it.
      SmallVector<SmallVector<Operation *>> segments(1);
      int64_t size = 0;
      auto close = [&] {
        if (!segments.back().empty())
          segments.emplace_back();
        size = 0;
      };
      for (Operation &op : body.without_terminator()) {
        if (remat.contains(&op))
          continue;
        if (hasEffect<MemoryEffects::Allocate>(&op)) {
          close();
          continue;
        }
        segments.back().push_back(&op);
        size += weight(&op);
        if (size >= segmentOps)
          close();
      }

      unsigned index = 0;
      for (ArrayRef<Operation *> ops : segments) {
        if (ops.empty())
          continue;
        std::string name;
        do
          name = (func.getSymName() + ".seg" + Twine(index++)).str();
        while (module.lookupSymbol(name));
        if (failed(outline(rewriter, ops, remat, name))) {
          func.emitError("cannot outline segment '") << name << "'";
          return signalPassFailure();
        }
      }
      // What only the segments used.
      SmallVector<Operation *> left = llvm::to_vector(llvm::map_range(
          body.without_terminator(), [](Operation &op) { return &op; }));
      for (Operation *op : llvm::reverse(left))
        if (remat.contains(op) && op->use_empty())
          rewriter.eraseOp(op);
    }
  }
};

} // namespace
