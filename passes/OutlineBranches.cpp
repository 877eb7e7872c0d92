//===- OutlineBranches.cpp - Independent branches as functions -*- C++ -*-===//
//
// A model whose layers form independent branches (two towers over the same
// input whose outputs are added, say) can run them at once, each branch on
// a thread of its own, instead of splitting every product of every branch
// by rows between the threads. Owning a branch end to end, a thread keeps
// that branch's weights, gradients and optimizer moments in its own core's
// cache: nothing it updates is read by the other thread, so no cache line
// crosses between the cores but the branches' results where they meet
// (see docs/performance.md for why that matters on hosts whose cores do
// not share a cache).
//
// On linalg on tensors, before tiling, this pass finds such branches in
// each function and moves each into a private function, called where it
// ran; nnc-fork-branches later runs the calls of one section on threads and
// inlines them. A branch is identified by a weight that owns it:
//  - every parameter of `min-weight-bytes` or more (the `nn.param` function
//    arguments, with the optimizer moments that carry the same name) gives
//    a colour; an op whose operands (including values its regions use)
//    carry exactly one colour has that colour, and so do its results; an
//    op that combines colours (the sum of two branches' outputs) is a join,
//    and its results carry none, like those of ops with no colour at all;
//  - a colour counts only if no join reads its weights themselves: a
//    second layer that reads the first's output and its own weight is not
//    a branch of its own (the passes repeat until every colour counts);
//  - ops with regions that combine colours (the `scf.if` around the
//    optimizer update) are looked into, block by block;
//  - in each block, an op's epoch is the number of joins it follows; the
//    ops of one colour and epoch are a branch, and the branches of one
//    epoch, when there are at least two, a section. The block is reordered
//    so that each epoch's other ops come first and its section's calls
//    after them (everything here is free of side effects, so any order the
//    values allow is the same computation).
// Cheap values a branch reads (constants, empty tensors, fills, sizes) are
// recomputed in its function rather than passed, so that each branch fills
// a buffer of its own. The functions are marked `nnc.section` (a number
// unique in the module) and `nnc.branch` (the branch's place in it).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <functional>
#include <map>

namespace nnc {
#define GEN_PASS_DEF_OUTLINEBRANCHESPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// What an op is to the branches of its block.
enum class Kind { Neutral, Branch, Join };

struct OpInfo {
  Kind kind = Kind::Neutral;
  int color = -1;
  int64_t epoch = 0;
};

/// The values defined outside `op` that `op` or an op nested in it reads.
SetVector<Value> externalOperands(Operation *op) {
  SetVector<Value> result(op->getOperands().begin(), op->getOperands().end());
  op->walk([&](Operation *nested) {
    for (Value v : nested->getOperands()) {
      Operation *owner = v.getParentRegion()->getParentOp();
      if (owner == op || op->isProperAncestor(owner))
        continue;
      result.insert(v);
    }
  });
  return result;
}

/// Whether `op` is looked into rather than classified whole when it
/// combines colours: an `scf.if` (the optimizer update of a train step).
bool isContainer(Operation *op) { return isa<scf::IfOp>(op); }

/// Ops a branch recomputes instead of receiving: they cost nothing, and a
/// fill or an empty tensor received would be a buffer both branches write.
bool isCheap(Operation *op) {
  if (isa<arith::ConstantOp, tensor::EmptyOp, tensor::DimOp>(op))
    return true;
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.hasPureTensorSemantics();
  return op->getNumRegions() == 0 && isMemoryEffectFree(op) &&
         llvm::all_of(op->getResultTypes(),
                      [](Type t) { return t.isIntOrIndexOrFloat(); });
}

/// The colouring of one function: the colour of each value, and the
/// classification of each op of the blocks looked into.
struct Coloring {
  DenseMap<Value, int> color;
  DenseMap<Operation *, OpInfo> info;
  /// Colours whose weights a join reads.
  llvm::SmallDenseSet<int> spoiled;
  /// The weights (function arguments) of each colour.
  DenseMap<Value, int> sources;

  /// The colouring of `body` from the weights `sources`.
  static Coloring of(Block &body, const DenseMap<Value, int> &sources) {
    Coloring coloring;
    coloring.sources = sources;
    for (auto [value, c] : sources)
      coloring.color[value] = c;
    coloring.colorBlock(body);
    return coloring;
  }

  void colorBlock(Block &block) {
    DenseMap<Value, int64_t> epochOf;
    for (Operation &op : block.without_terminator()) {
      SetVector<Value> used = externalOperands(&op);
      llvm::SmallDenseSet<int> colors;
      OpInfo opInfo;
      for (Value v : used) {
        auto it = color.find(v);
        if (it != color.end())
          colors.insert(it->second);
        opInfo.epoch = std::max(opInfo.epoch, epochOf.lookup(v));
      }
      if (colors.size() == 1) {
        opInfo.kind = Kind::Branch;
        opInfo.color = *colors.begin();
        for (Value r : op.getResults())
          color[r] = opInfo.color;
      } else if (colors.size() > 1) {
        opInfo.kind = Kind::Join;
        ++opInfo.epoch;
        if (isContainer(&op)) {
          for (Region &region : op.getRegions())
            for (Block &nested : region)
              colorBlock(nested);
        } else {
          for (Value v : op.getOperands()) {
            auto it = sources.find(v);
            if (it != sources.end())
              spoiled.insert(it->second);
          }
        }
      }
      for (Value r : op.getResults())
        epochOf[r] = opInfo.epoch;
      info[&op] = opInfo;
    }
  }
};

struct OutlineBranchesPass
    : nnc::impl::OutlineBranchesPassBase<OutlineBranchesPass> {
  using OutlineBranchesPassBase::OutlineBranchesPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal() && !func->hasAttr(nnc::kBranchSectionAttr))
        funcs.push_back(func);
    for (func::FuncOp func : funcs)
      outlineFunction(func, symbols);
  }

  /// The weights of `func` that may own a branch, by colour.
  DenseMap<Value, int> weights(func::FuncOp func) {
    llvm::StringMap<int> ids;
    DenseMap<Value, int> result;
    for (BlockArgument arg : func.getArguments()) {
      auto name =
          func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), nnc::nn::kParamAttr);
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!name || !type || !type.hasStaticShape() ||
          !type.getElementType().isIntOrFloat())
        continue;
      int64_t bytes = type.getNumElements() *
                      llvm::divideCeil(type.getElementTypeBitWidth(), 8);
      if (bytes < minWeightBytes)
        continue;
      result[arg] = ids.try_emplace(name.getValue(), ids.size()).first->second;
    }
    return result;
  }

  void outlineFunction(func::FuncOp func, SymbolTable &symbols) {
    DenseMap<Value, int> sources = weights(func);
    // Colour, drop the colours a join reads the weights of, and again.
    Coloring coloring;
    while (true) {
      llvm::SmallDenseSet<int> colors;
      for (auto [value, c] : sources)
        colors.insert(c);
      if (colors.size() < 2)
        return;
      coloring = Coloring::of(func.front(), sources);
      if (coloring.spoiled.empty())
        break;
      DenseMap<Value, int> kept;
      for (auto [value, c] : sources)
        if (!coloring.spoiled.contains(c))
          kept[value] = c;
      sources = std::move(kept);
    }
    // An `scf.if` whose then-block updates each branch's weights (the
    // optimizer step) becomes one `scf.if` per branch, which then runs in
    // the branch, after its gradient; colour again.
    if (distributeIfs(func.front(), coloring))
      coloring = Coloring::of(func.front(), sources);
    outlineBlock(func, func.front(), coloring, symbols);
  }

  /// Splits every `scf.if` of `block` that combines colours, whose else
  /// block only yields values from outside, into one `scf.if` per colour
  /// of the then-block's branch ops (with what they read there that is
  /// cheap, recomputed) and one for the rest. Returns whether it split any.
  bool distributeIfs(Block &block, const Coloring &coloring) {
    SmallVector<scf::IfOp> ifs;
    for (Operation &op : block.without_terminator())
      if (auto ifOp = dyn_cast<scf::IfOp>(op))
        if (coloring.info.lookup(&op).kind == Kind::Join &&
            ifOp.getNumResults() > 0 && !ifOp.getElseRegion().empty() &&
            llvm::hasSingleElement(ifOp.elseBlock()->getOperations()) &&
            llvm::all_of(ifOp.elseYield().getOperands(),
                         [&](Value v) {
                           return !ifOp->isAncestor(
                               v.getParentRegion()->getParentOp());
                         }) &&
            isMemoryEffectFree(ifOp))
          ifs.push_back(ifOp);
    bool changed = false;
    for (scf::IfOp ifOp : ifs)
      changed |= distributeIf(ifOp, coloring);
    return changed;
  }

  bool distributeIf(scf::IfOp ifOp, const Coloring &coloring) {
    Block *then = ifOp.thenBlock();
    Operation *yield = then->getTerminator();
    // colour -> the then-block's ops of that colour, in order.
    std::map<int, SmallVector<Operation *>> groups;
    for (Operation &op : then->without_terminator()) {
      const OpInfo &info = coloring.info.lookup(&op);
      if (info.kind == Kind::Branch)
        groups[info.color].push_back(&op);
    }
    if (groups.size() < 2)
      return false;
    bool changed = false;
    for (auto &[color, ops] : groups) {
      DenseSet<Operation *> members(ops.begin(), ops.end());
      // What the group reads in the then-block must be its own or cheap
      // (recomputed in the new if).
      SetVector<Operation *> cheap;
      std::function<bool(Value)> available = [&](Value v) {
        Operation *def = v.getDefiningOp();
        if (!def || def->getBlock() != then || members.contains(def))
          return true;
        if (!isCheap(def))
          return false;
        for (Value operand : externalOperands(def))
          if (!available(operand))
            return false;
        cheap.insert(def);
        return true;
      };
      bool movable = llvm::all_of(ops, [&](Operation *op) {
        return llvm::all_of(externalOperands(op), available) &&
               llvm::all_of(op->getUsers(), [&](Operation *user) {
                 Operation *top = then->findAncestorOpInBlock(*user);
                 return top == yield || members.contains(top);
               });
      });
      // The results it yields, and nothing else of it used after the if
      // (values of the then-block are used only there).
      SmallVector<unsigned> yielded;
      for (OpOperand &operand : yield->getOpOperands()) {
        Operation *def = operand.get().getDefiningOp();
        if (def && members.contains(def))
          yielded.push_back(operand.getOperandNumber());
      }
      if (!movable || yielded.empty())
        continue;
      OpBuilder b(ifOp);
      SmallVector<Type> types;
      for (unsigned i : yielded)
        types.push_back(ifOp.getResult(i).getType());
      auto split = scf::IfOp::create(b, ifOp.getLoc(), types,
                                     ifOp.getCondition(), /*withElse=*/true);
      IRMapping mapping;
      OpBuilder thenBuilder = split.getThenBodyBuilder();
      for (Operation *op : cheap)
        thenBuilder.clone(*op, mapping);
      for (Operation *op : ops)
        thenBuilder.clone(*op, mapping);
      SmallVector<Value> thenValues, elseValues;
      for (unsigned i : yielded) {
        thenValues.push_back(mapping.lookup(yield->getOperand(i)));
        elseValues.push_back(ifOp.elseYield().getOperand(i));
      }
      scf::YieldOp::create(thenBuilder, ifOp.getLoc(), thenValues);
      OpBuilder elseBuilder = split.getElseBodyBuilder();
      scf::YieldOp::create(elseBuilder, ifOp.getLoc(), elseValues);
      for (auto [i, result] : llvm::zip(yielded, split.getResults()))
        ifOp.getResult(i).replaceAllUsesWith(result);
      // The original if yields what its else block does for those results
      // (unused now), and the group's ops go.
      for (unsigned i : yielded)
        yield->setOperand(i, ifOp.elseYield().getOperand(i));
      for (Operation *op : llvm::reverse(ops))
        op->erase();
      changed = true;
    }
    return changed;
  }

  /// Reorders `block` by epoch and moves each section's branches into
  /// functions; then looks into the joins with regions.
  void outlineBlock(func::FuncOp func, Block &block, Coloring &coloring,
                    SymbolTable &symbols) {
    for (Operation &op : block.without_terminator())
      if (!isMemoryEffectFree(&op))
        return;
    // (epoch, colour) -> ops of the branch, in block order.
    std::map<std::pair<int64_t, int>, SmallVector<Operation *>> branches;
    int64_t lastEpoch = 0;
    for (Operation &op : block.without_terminator()) {
      const OpInfo &info = coloring.info.lookup(&op);
      lastEpoch = std::max(lastEpoch, info.epoch);
      if (info.kind == Kind::Branch)
        branches[{info.epoch, info.color}].push_back(&op);
    }
    // The sections: epochs with branches of two colours or more, each of
    // which does some work (a linalg op, possibly in an scf.if).
    std::map<int64_t, SmallVector<SmallVector<Operation *> *>> sections;
    for (auto &[key, ops] : branches)
      sections[key.first].push_back(&ops);
    for (auto it = sections.begin(); it != sections.end();) {
      bool worth = it->second.size() >= 2 &&
                   llvm::all_of(it->second, [](SmallVector<Operation *> *ops) {
                     return llvm::any_of(*ops, [](Operation *op) {
                       return op
                           ->walk([](linalg::LinalgOp) {
                             return WalkResult::interrupt();
                           })
                           .wasInterrupted();
                     });
                   });
      it = worth ? std::next(it) : sections.erase(it);
    }
    if (!sections.empty()) {
      DenseSet<Operation *> outlined;
      for (auto &[epoch, members] : sections)
        for (SmallVector<Operation *> *ops : members)
          outlined.insert(ops->begin(), ops->end());
      SmallVector<Operation *> original;
      for (Operation &op : block.without_terminator())
        original.push_back(&op);
      Operation *terminator = block.getTerminator();
      for (int64_t epoch = 0; epoch <= lastEpoch; ++epoch) {
        for (Operation *op : original)
          if (!outlined.contains(op) &&
              coloring.info.lookup(op).epoch == epoch)
            op->moveBefore(terminator);
        auto section = sections.find(epoch);
        if (section == sections.end())
          continue;
        int64_t id = nextSection++;
        for (auto [index, ops] : llvm::enumerate(section->second))
          outlineBranch(func, block, *ops, id, index, symbols);
      }
      // The branches' ops, now without uses outside them.
      for (Operation *op : llvm::reverse(original))
        if (outlined.contains(op)) {
          op->dropAllUses();
          op->erase();
        }
    }
    for (Operation &op : block.without_terminator())
      if (isContainer(&op) && coloring.info.lookup(&op).kind == Kind::Join)
        for (Region &region : op.getRegions())
          for (Block &nested : region)
            outlineBlock(func, nested, coloring, symbols);
  }

  /// Moves (a copy of) `ops` into a new function called before `block`'s
  /// terminator, whose results replace theirs.
  void outlineBranch(func::FuncOp func, Block &block,
                     ArrayRef<Operation *> ops, int64_t section, int64_t index,
                     SymbolTable &symbols) {
    DenseSet<Operation *> members(ops.begin(), ops.end());
    auto inBranch = [&](Operation *user) {
      Operation *top = block.findAncestorOpInBlock(*user);
      return top && members.contains(top);
    };
    // Inputs, with the cheap ops that produce them recomputed inside.
    SetVector<Value> inputs;
    SetVector<Operation *> recomputed;
    std::function<void(Value)> need = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (def && members.contains(def))
        return;
      // Cheap ops, and those whose results only this branch reads (a
      // bias broadcast into the buffer of the branch's product).
      bool onlyHere =
          def && def->getBlock() == &block && isMemoryEffectFree(def) &&
          llvm::all_of(def->getUsers(),
                       [&](Operation *user) { return inBranch(user); });
      if (def && (isCheap(def) || onlyHere)) {
        if (recomputed.contains(def))
          return;
        for (Value operand : externalOperands(def))
          need(operand);
        recomputed.insert(def);
        return;
      }
      inputs.insert(v);
    };
    for (Operation *op : ops)
      for (Value v : externalOperands(op))
        need(v);
    SmallVector<Value> outputs;
    for (Operation *op : ops)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(),
                         [&](Operation *user) { return !inBranch(user); }))
          outputs.push_back(r);

    MLIRContext *ctx = func.getContext();
    Location loc = ops.front()->getLoc();
    OpBuilder moduleBuilder(ctx);
    moduleBuilder.setInsertionPointAfter(func);
    auto type = FunctionType::get(ctx, TypeRange(inputs.getArrayRef()),
                                  TypeRange(ValueRange(outputs)));
    auto callee = func::FuncOp::create(
        moduleBuilder, loc,
        (func.getSymName() + ".section" + Twine(section) + ".branch" +
         Twine(index))
            .str(),
        type);
    callee.setPrivate();
    symbols.insert(callee);
    callee->setAttr(nnc::kBranchSectionAttr,
                    moduleBuilder.getI64IntegerAttr(section));
    callee->setAttr(nnc::kBranchAttr, moduleBuilder.getI64IntegerAttr(index));
    Block *entry = callee.addEntryBlock();
    IRMapping mapping;
    for (auto [input, arg] : llvm::zip(inputs, entry->getArguments()))
      mapping.map(input, arg);
    OpBuilder body = OpBuilder::atBlockBegin(entry);
    DenseMap<Operation *, Operation *> original;
    for (Operation *op : recomputed)
      original[body.clone(*op, mapping)] = op;
    for (Operation *op : ops)
      body.clone(*op, mapping);
    SmallVector<Value> returned;
    for (Value v : outputs)
      returned.push_back(mapping.lookup(v));
    func::ReturnOp::create(body, loc, returned);

    // Each new tensor the branch returns is computed into a buffer of the
    // caller's, an argument (a result returned by a function would be
    // allocated there, and one of a dynamic size could not become an out
    // parameter): the empty tensor its chain of destinations starts from
    // becomes an argument, and the caller passes a copy of that empty
    // tensor. The result is then the argument updated in place, which
    // bufferization drops from the function.
    OpBuilder caller(block.getTerminator());
    SmallVector<Value> operands(inputs.begin(), inputs.end());
    for (Value result : returned) {
      OpOperand *start = nullptr;
      for (Value current = result; !start;) {
        auto def = dyn_cast<OpResult>(current);
        auto dps = def ? dyn_cast<DestinationStyleOpInterface>(def.getOwner())
                       : nullptr;
        if (!dps || !dps.hasPureTensorSemantics())
          break;
        OpOperand *init = dps.getTiedOpOperand(def);
        Operation *initDef = init->get().getDefiningOp();
        if (initDef && isa<tensor::EmptyOp>(initDef) &&
            original.count(initDef))
          start = init;
        current = init->get();
      }
      if (!start)
        continue;
      Operation *empty = original.lookup(start->get().getDefiningOp());
      operands.push_back(caller.clone(*empty)->getResult(0));
      start->set(entry->addArgument(start->get().getType(), loc));
    }
    callee.setFunctionType(FunctionType::get(
        ctx, entry->getArgumentTypes(), TypeRange(ValueRange(outputs))));

    auto call = func::CallOp::create(caller, loc, callee, operands);
    for (auto [output, result] : llvm::zip(outputs, call.getResults()))
      output.replaceUsesWithIf(result, [&](OpOperand &use) {
        return !inBranch(use.getOwner());
      });
  }

  int64_t nextSection = 0;
};

} // namespace
