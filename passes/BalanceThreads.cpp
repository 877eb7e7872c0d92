//===- BalanceThreads.cpp - Parallel loops split by speed ------*- C++ -*-===//
//
// OpenMP's static schedule gives every thread of a worksharing loop the same
// number of iterations. The two vCPUs of the hosts in docs/performance.md
// are not always equally fast (one ran a training step 20-35 % slower than
// the other for minutes at a time, and which one flips), and a thread that
// an idle core must wake starts a little later than the one that forks; an
// even split then waits for the slower thread at every join. This pass
// rewrites each parallel loop that nnc-parallelize-tiles made (once
// convert-scf-to-openmp has made it an `omp.parallel` holding one
// worksharing loop) into a worksharing loop over threads, each running one
// contiguous range of the iterations, and sizes those ranges from what the
// loop measured the last time it ran:
//
//   * every loop keeps the fractions of its iteration space where the
//     threads' ranges start (its cuts: a private global, zero until the loop
//     first runs on more than one thread, and then an even split);
//   * before forking, the calling thread turns the cuts into iteration
//     bounds in a stack buffer (so that threads of one call agree on them
//     whatever another call of the same function writes meanwhile), rounded
//     to whole iterations and clamped to be non-decreasing and within the
//     loop, so the ranges partition the loop whatever the cuts hold (two
//     calls that update the same cuts at once only make the next split
//     worse, and the cuts are read with plain loads: even a value torn or
//     undefined by such a race is clamped before it is stored as a bound);
//   * each thread stores the cycle counter when it finishes its range, and
//     after the join the calling thread moves every thread's share a
//     quarter of the way towards its measured speed (iterations over cycles
//     since the fork) relative to the others', a single measurement never
//     counting for more than twice or less than half the mean speed.
//
// The arithmetic is in two functions of the module (nnc_split_bounds and
// nnc_split_update), so each loop adds two calls, two cycle-counter reads
// and a global of 66 doubles.
//
// A thread that finishes late thus gets fewer iterations the next time,
// until all finish together. Which thread computes which iterations changes
// nothing in the results: the iterations of a parallel loop are
// independent (see nnc::kParallelAttr). Loops run on at most kMaxSlots
// threads. On targets without a cycle counter (the intrinsic returns 0) the
// split stays even.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"

namespace nnc {
#define GEN_PASS_DEF_BALANCETHREADSPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// The most threads a balanced loop runs on (more would idle).
constexpr int64_t kMaxSlots = 64;
/// i64s between two threads' finishing times: one 64-byte cache line, so
/// that the threads' stores do not contend.
constexpr int64_t kClockStride = 8;
/// How far one measurement moves a share towards the measured speed.
constexpr double kStepTowards = 0.25;
/// A measured speed counts for at most this many times the mean speed, and
/// at least its inverse (one interrupted thread must not skew the split).
constexpr double kMaxSkew = 2.0;

/// Names of the two functions every balanced loop calls, defined once per
/// module (see SplitFunctions).
constexpr llvm::StringLiteral kBoundsFunction = "nnc_split_bounds";
constexpr llvm::StringLiteral kUpdateFunction = "nnc_split_update";

/// Types of the cuts (slot count, then cuts 0..kMaxSlots), bounds and
/// finishing times.
struct SplitTypes {
  explicit SplitTypes(Builder &b)
      : cuts(MemRefType::get({kMaxSlots + 2}, b.getF64Type())),
        bounds(MemRefType::get({kMaxSlots + 1}, b.getIndexType())),
        ends(MemRefType::get({kMaxSlots * kClockStride}, b.getI64Type())) {}
  MemRefType cuts, bounds, ends;
};

/// Small builders shared by the functions below.
class Emitter {
public:
  Emitter(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value real(double v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF64Type(), APFloat(v));
  }
  Value toReal(Value indexValue) {
    Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), indexValue);
    return arith::SIToFPOp::create(b, loc, b.getF64Type(), i64);
  }
  Value load(Value memref, Value at) {
    return memref::LoadOp::create(b, loc, memref, ValueRange{at});
  }
  void store(Value value, Value memref, Value at) {
    memref::StoreOp::create(b, loc, value, memref, ValueRange{at});
  }
  Value cycles() {
    return LLVM::CallIntrinsicOp::create(
               b, loc, b.getI64Type(), b.getStringAttr("llvm.readcyclecounter"),
               ValueRange{})
        .getResult(0);
  }
  /// A loop over [from, n) by 1 carrying `init`; each iteration yields
  /// what `body` returns.
  scf::ForOp loop(Value from, Value n, ValueRange init,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return scf::ForOp::create(
        b, loc, from, n, index(1), init,
        [&](OpBuilder &, Location, Value i, ValueRange acc) {
          scf::YieldOp::create(b, loc, body(i, acc));
        });
  }

  OpBuilder &b;
  Location loc;
};

/// The two functions of a module's balanced loops, each optimised on its
/// own and internal in the object (like the segments of
/// nnc-outline-segments, see nnc::kSegmentAttr), so that the code around
/// each loop is two calls:
///
///   nnc_split_bounds(cuts, bounds, slots, lower, upper, step)
///   nnc_split_update(cuts, bounds, ends, slots, start)
class SplitFunctions : Emitter {
public:
  SplitFunctions(OpBuilder &b, Location loc) : Emitter(b, loc) {}

  void build(ModuleOp module) {
    SplitTypes types(b);
    Type index = b.getIndexType();
    buildFunction(module, kBoundsFunction,
                  {types.cuts, types.bounds, index, index, index, index},
                  [&](ValueRange args) { buildBounds(args); });
    buildFunction(module, kUpdateFunction,
                  {types.cuts, types.bounds, types.ends, index, b.getI64Type()},
                  [&](ValueRange args) { buildUpdate(args); });
  }

private:
  void buildFunction(ModuleOp module, StringRef name, TypeRange inputs,
                     function_ref<void(ValueRange)> body) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto func =
        func::FuncOp::create(b, loc, name, b.getFunctionType(inputs, {}));
    func.setPrivate();
    func->setAttr("passthrough",
                  b.getArrayAttr({b.getStringAttr("noinline"),
                                  b.getStringAttr(nnc::kSegmentAttr)}));
    b.setInsertionPointToStart(func.addEntryBlock());
    body(func.getArguments());
    func::ReturnOp::create(b, loc);
  }

  /// Whether the cuts are for `slots` slots (cuts[0], 0 before a first run).
  void readCuts(Value cutsArg, Value slotsArg) {
    cuts = cutsArg;
    slots = slotsArg;
    slotsReal = toReal(slots);
    known = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                  load(cuts, index(0)), slotsReal);
  }

  /// Cut `t` (0 <= t <= slots, at cuts[t + 1]): the stored one when the
  /// cuts are for this many slots, t / slots otherwise.
  Value cut(Value t) {
    Value stored = load(cuts, arith::AddIOp::create(b, loc, t, index(1)));
    Value even = arith::DivFOp::create(b, loc, toReal(t), slotsReal);
    return arith::SelectOp::create(b, loc, known, stored, even);
  }

  /// bounds[t] = lower + round(cut(t) * trips) * step, non-decreasing and
  /// within [lower, upper]; bounds[0] = lower and bounds[slots] = upper. So
  /// the ranges partition the loop whatever the cuts hold.
  void buildBounds(ValueRange args) {
    readCuts(args[0], args[2]);
    Value bounds = args[1], lower = args[3], upper = args[4], step = args[5];
    Value span = arith::SubIOp::create(b, loc, upper, lower);
    Value tripsReal = toReal(arith::CeilDivSIOp::create(b, loc, span, step));
    store(lower, bounds, index(0));
    loop(index(1), slots, ValueRange{lower}, [&](Value t, ValueRange previous) {
      // Clamped to [0, 1] with the NaN-ignoring min and max.
      Value c = arith::MinNumFOp::create(
          b, loc, arith::MaxNumFOp::create(b, loc, cut(t), real(0.0)),
          real(1.0));
      Value position = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, c, tripsReal), real(0.5));
      Value whole = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          arith::FPToSIOp::create(b, loc, b.getI64Type(), position));
      Value bound = arith::AddIOp::create(
          b, loc, lower, arith::MulIOp::create(b, loc, whole, step));
      bound = arith::MinSIOp::create(
          b, loc, arith::MaxSIOp::create(b, loc, bound, previous[0]), upper);
      store(bound, bounds, t);
      return SmallVector<Value>{bound};
    });
    store(upper, bounds, slots);
  }

  /// speed_t = (bounds[t + 1] - bounds[t]) / (ends[8 t] - start) for every
  /// slot that ran some iterations in a measurable time. When any did, each
  /// share moves kStepTowards of the way to its relative speed over the sum
  /// of them: the speed over the mean of those measured, clamped to
  /// [1 / kMaxSkew, kMaxSkew], or 1 for a slot not measured (so that a slot
  /// that rounding left without iterations comes back to an even share).
  /// Each is computed once: the speed (0 when not measured), then the
  /// relative speed in its place, are kept in ends[8 t + 1], the slot's
  /// line after its finishing time, as the bits of a double.
  void buildUpdate(ValueRange args) {
    readCuts(args[0], args[3]);
    Value bounds = args[1], ends = args[2], start = args[4];
    Type f64 = b.getF64Type(), i64 = b.getI64Type();
    auto speedAt = [&](Value t) {
      return arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, t, index(kClockStride)),
          index(1));
    };
    auto sums = loop(
        index(0), slots, ValueRange{real(0.0), real(0.0)},
        [&](Value t, ValueRange acc) {
          Value next = arith::AddIOp::create(b, loc, t, index(1));
          Value count = arith::SubIOp::create(b, loc, load(bounds, next),
                                              load(bounds, t));
          Value end =
              load(ends, arith::MulIOp::create(b, loc, t, index(kClockStride)));
          Value elapsed = arith::SubIOp::create(b, loc, end, start);
          Value measured = arith::AndIOp::create(
              b, loc,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, count,
                                    index(0)),
              arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::sgt, elapsed,
                  arith::ConstantIntOp::create(b, loc, 0, 64)));
          Value speed = arith::SelectOp::create(
              b, loc, measured,
              arith::DivFOp::create(
                  b, loc, toReal(count),
                  arith::SIToFPOp::create(b, loc, f64, elapsed)),
              real(0.0));
          store(arith::BitcastOp::create(b, loc, i64, speed), ends, speedAt(t));
          auto pick = [&](Value yes) {
            return arith::SelectOp::create(b, loc, measured, yes, real(0.0));
          };
          return SmallVector<Value>{
              arith::AddFOp::create(b, loc, acc[0], pick(real(1.0))),
              arith::AddFOp::create(b, loc, acc[1], speed)};
        });
    auto update = scf::IfOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                              sums.getResult(0), real(0.0)));
    b.setInsertionPointToStart(update.thenBlock());
    Value mean =
        arith::DivFOp::create(b, loc, sums.getResult(1), sums.getResult(0));
    auto loadReal = [&](Value at) -> Value {
      return arith::BitcastOp::create(b, loc, f64, load(ends, at));
    };
    auto relative = [&](Value t) -> Value {
      Value value = loadReal(speedAt(t));
      Value measured = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                             value, real(0.0));
      Value r = arith::MinNumFOp::create(
          b, loc,
          arith::MaxNumFOp::create(b, loc,
                                   arith::DivFOp::create(b, loc, value, mean),
                                   real(1 / kMaxSkew)),
          real(kMaxSkew));
      return arith::SelectOp::create(b, loc, measured, r, real(1.0));
    };
    // Each relative speed replaces the speed it came from.
    auto total = loop(
        index(0), slots, ValueRange{real(0.0)}, [&](Value t, ValueRange acc) {
          Value r = relative(t);
          store(arith::BitcastOp::create(b, loc, i64, r), ends, speedAt(t));
          return SmallVector<Value>{arith::AddFOp::create(b, loc, acc[0], r)};
        });
    // New cumulative cuts, each old one read before it is overwritten.
    loop(index(0), slots, ValueRange{real(0.0), real(0.0)},
         [&](Value t, ValueRange acc) {
           Value next = arith::AddIOp::create(b, loc, t, index(1));
           Value oldNext = cut(next);
           Value share = arith::SubFOp::create(b, loc, oldNext, acc[1]);
           Value target = arith::DivFOp::create(b, loc, loadReal(speedAt(t)),
                                                total.getResult(0));
           Value moved = arith::AddFOp::create(
               b, loc, share,
               arith::MulFOp::create(
                   b, loc, real(kStepTowards),
                   arith::SubFOp::create(b, loc, target, share)));
           Value cumulative = arith::AddFOp::create(b, loc, acc[0], moved);
           store(cumulative, cuts,
                 arith::AddIOp::create(b, loc, next, index(1)));
           return SmallVector<Value>{cumulative, oldNext};
         });
    store(real(0.0), cuts, index(1));
    store(slotsReal, cuts, index(0));
    b.setInsertionPointAfter(update);
  }

  Value cuts, slots, slotsReal, known;
};

/// The stack buffers every balanced loop of a function shares (the loops
/// run one after another): iteration bounds and finishing times.
struct Scratch {
  Value bounds, ends;
};

/// Rewrites one region: bounds before the fork, a range per slot, and the
/// update after the join.
class LoopBalancer : Emitter {
public:
  LoopBalancer(OpBuilder &b, omp::ParallelOp region, omp::LoopNestOp loop,
               Value threads, Scratch scratch, memref::GlobalOp cuts)
      : Emitter(b, loop.getLoc()), region(region), loop(loop), threads(threads),
        scratch(scratch), cutsGlobal(cuts) {}

  void build() {
    b.setInsertionPoint(region);
    Value lower = loop.getLoopLowerBounds()[0];
    Value upper = loop.getLoopUpperBounds()[0];
    Value step = loop.getLoopSteps()[0];
    Value cuts = memref::GetGlobalOp::create(b, loc, cutsGlobal.getType(),
                                             cutsGlobal.getSymName());
    Value slots = arith::MinUIOp::create(
        b, loc, arith::IndexCastOp::create(b, loc, b.getIndexType(), threads),
        index(kMaxSlots));
    func::CallOp::create(
        b, loc, kBoundsFunction, TypeRange{},
        ValueRange{cuts, scratch.bounds, slots, lower, upper, step});
    Value start = cycles();
    buildRanges(slots, step);
    b.setInsertionPointAfter(region);
    func::CallOp::create(
        b, loc, kUpdateFunction, TypeRange{},
        ValueRange{cuts, scratch.bounds, scratch.ends, slots, start});
  }

private:
  /// The worksharing loop runs over slots; slot t runs [bounds[t],
  /// bounds[t + 1]) of the original loop and then stores the cycle counter.
  void buildRanges(Value slots, Value step) {
    Value one = index(1);
    loop.getLoopLowerBoundsMutable().assign(index(0));
    loop.getLoopUpperBoundsMutable().assign(slots);
    loop.getLoopStepsMutable().assign(one);
    Block *body = &loop.getRegion().front();
    Value t = body->getArgument(0);
    Operation *yield = body->getTerminator();
    b.setInsertionPoint(yield);
    Value from = load(scratch.bounds, t);
    Value to = load(scratch.bounds, arith::AddIOp::create(b, loc, t, one));
    auto range = scf::ForOp::create(b, loc, from, to, step);
    // The original body (the ops before the loads just made) into the range.
    for (Operation &op : llvm::make_early_inc_range(*body)) {
      if (&op == from.getDefiningOp())
        break;
      op.moveBefore(range.getBody()->getTerminator());
    }
    t.replaceUsesWithIf(range.getInductionVar(), [&](OpOperand &use) {
      return range->isProperAncestor(use.getOwner());
    });
    b.setInsertionPoint(yield);
    store(cycles(), scratch.ends,
          arith::MulIOp::create(b, loc, t, index(kClockStride)));
  }

  omp::ParallelOp region;
  omp::LoopNestOp loop;
  Value threads;
  Scratch scratch;
  memref::GlobalOp cutsGlobal;
};

/// The loop nest of `region` when the region is one worksharing loop
/// (what convert-scf-to-openmp made of an `scf.parallel` that
/// nnc-parallelize-tiles built): one dimension, exclusive bounds defined
/// outside the region, no reductions; null otherwise.
omp::LoopNestOp balanceable(omp::ParallelOp region) {
  Block &body = region.getRegion().front();
  auto wsloop = dyn_cast<omp::WsloopOp>(body.front());
  if (!wsloop || wsloop->getNextNode() != body.getTerminator() ||
      wsloop.getNumReductionVars() != 0 || wsloop.getNestedWrapper() ||
      !region->getParentOfType<func::FuncOp>())
    return nullptr;
  auto loop = dyn_cast<omp::LoopNestOp>(wsloop.getWrappedLoop());
  if (!loop || loop.getIVs().size() != 1 || loop.getLoopInclusive() ||
      !loop.getIVs()[0].getType().isIndex() || !loop.getRegion().hasOneBlock())
    return nullptr;
  for (Value v : loop->getOperands())
    if (region->isAncestor(v.getParentBlock()->getParentOp()))
      return nullptr;
  return loop;
}

struct BalanceThreadsPass
    : nnc::impl::BalanceThreadsPassBase<BalanceThreadsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<omp::ParallelOp, omp::LoopNestOp>> loops;
    module.walk([&](omp::ParallelOp region) {
      if (omp::LoopNestOp loop = balanceable(region))
        loops.push_back({region, loop});
    });
    if (loops.empty())
      return;
    OpBuilder b(&getContext());
    SplitTypes types(b);
    SymbolTable symbols(module);
    for (StringRef name : {kBoundsFunction, kUpdateFunction})
      if (symbols.lookup(name)) {
        module.emitError("the module defines '") << name << "' already";
        return signalPassFailure();
      }
    SplitFunctions(b, module.getLoc()).build(module);

    DenseMap<Operation *, std::pair<Value, Scratch>> perFunction;
    for (auto [region, loop] : loops) {
      auto func = region->getParentOfType<func::FuncOp>();
      auto [it, inserted] = perFunction.try_emplace(func);
      if (inserted) {
        Location loc = func.getLoc();
        Value threads =
            nnc::entryThreadsCall<func::CallOp>(func.getBody().front());
        if (!threads) {
          b.setInsertionPointToStart(&func.front());
          threads =
              func::CallOp::create(b, loc, nnc::kThreadsFunction,
                                   TypeRange{b.getI32Type()}, ValueRange{})
                  .getResult(0);
        }
        // First in the function, so that they do not end a segment of
        // nnc-outline-segments in the middle of nothing.
        b.setInsertionPointToStart(&func.front());
        Value bounds = memref::AllocaOp::create(b, loc, types.bounds);
        Value ends = memref::AllocaOp::create(b, loc, types.ends,
                                              b.getI64IntegerAttr(64));
        it->second = {threads, Scratch{bounds, ends}};
      }
      b.setInsertionPointToStart(module.getBody());
      auto cuts = memref::GlobalOp::create(
          b, loop.getLoc(), "nnc_split", b.getStringAttr("private"), types.cuts,
          DenseElementsAttr::get(
              RankedTensorType::get(types.cuts.getShape(), b.getF64Type()),
              APFloat(0.0)),
          /*constant=*/false, /*alignment=*/b.getI64IntegerAttr(64));
      symbols.insert(cuts); // renamed apart from the others
      LoopBalancer(b, region, loop, it->second.first, it->second.second, cuts)
          .build();
    }
  }
};

} // namespace
