//===- UseWorkspace.cpp - Allocation-free training entry points -*- C++ -*-===//
//
// After bufferization, the intermediate buffers of a training entry point
// are `memref.alloc`s sized by the batch. This pass turns each into a view of
// one caller-provided workspace laid out by a static plan: a buffer takes
// `fixed + per_example * batch` bytes and is live from its first to its last
// access, in the order of the function's entry block. Buffers without a
// per-example part share a fixed arena at the start of the workspace, the
// others a per-example arena after it whose offsets scale with the batch;
// in each arena a first-fit allocator, largest buffers first, lets buffers
// whose lifetimes are disjoint share addresses. The two arena sizes are the
// workspace size the caller allocates once, up front. For code that splits
// the batch between threads (`threads`), the per-example arena is planned
// in concentric rings instead (see planConcentricArena), so that each
// thread's half of the batch keeps to the same memory in every buffer.
// The model function itself (nnc_<M>_forward's body) is planned too, when
// the plan covers all its buffers: its C wrapper then makes one allocation
// per call instead of one per intermediate (see CInterface.cpp).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

namespace nnc {
#define GEN_PASS_DEF_USEWORKSPACEPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 64;

/// Follows dimension 0 through reshapes that keep it in a group of its own
/// (every nn reshape keeps the batch so) and casts.
Value batchSource(Value memref) {
  while (Operation *def = memref.getDefiningOp()) {
    if (auto cast = dyn_cast<memref::CastOp>(def)) {
      memref = cast.getSource();
    } else if (auto collapse = dyn_cast<memref::CollapseShapeOp>(def)) {
      if (collapse.getReassociationIndices().front().size() != 1)
        break;
      memref = collapse.getSrc();
    } else if (auto expand = dyn_cast<memref::ExpandShapeOp>(def)) {
      if (expand.getReassociationIndices().front().size() != 1)
        break;
      memref = expand.getSrc();
    } else {
      break;
    }
  }
  return memref;
}

/// Whether `size` is the batch: dimension 0 of an input or labels argument,
/// possibly through reshapes, batch-preserving slices and earlier
/// batch-sized buffers.
bool isBatchSize(func::FuncOp func, Value size) {
  auto dim = size.getDefiningOp<memref::DimOp>();
  if (!dim || dim.getConstantIndex() != std::optional<int64_t>(0))
    return false;
  Value source = batchSource(dim.getSource());
  if (auto arg = dyn_cast<BlockArgument>(source)) {
    if (arg.getOwner()->getParentOp() != func)
      return false;
    // An input of an entry point, or of the model function itself.
    if (func.getArgAttr(arg.getArgNumber(), nnc::nn::kInputAttr))
      return true;
    auto role = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                  nnc::nn::kRoleAttr);
    return role && (role.getValue() == "input" || role.getValue() == "labels");
  }
  auto type = cast<MemRefType>(source.getType());
  if (!type.isDynamicDim(0))
    return false;
  if (auto alloc = source.getDefiningOp<memref::AllocOp>())
    return isBatchSize(func, alloc.getDynamicSizes().front());
  if (auto view = source.getDefiningOp<memref::ViewOp>())
    return isBatchSize(func, view.getSizes().front());
  // A slice of a batch-sized buffer (nn.slice, the gradient of nn.concat)
  // that keeps the whole batch.
  if (auto subview = source.getDefiningOp<memref::SubViewOp>())
    if (auto size = dyn_cast<Value>(subview.getMixedSizes().front()))
      return subview.getSourceType().getRank() == type.getRank() &&
             isBatchSize(func, size);
  return false;
}

/// Where a buffer lies in one arena: `bytes` (a multiple of kAlignment) at
/// `offset`, both per example in the per-example arena.
struct Slot {
  int64_t bytes = 0;
  int64_t offset = 0;
};

/// One allocation of the plan, live over the entry-block positions
/// [start, end].
struct Buffer {
  memref::AllocOp alloc;
  Value batch; // The dynamic size, if the buffer has a per-example part.
  int64_t start = 0, end = 0;
  Slot fixed, perExample;
  /// Which thread's memory this is: the branch that accesses it (see
  /// branchOf), or a number of its own when several do.
  int64_t owner = 0;
};

/// The branch `op` runs in: i in case i of the scf.index_switch of a loop
/// over branches (nnc::kBranchesAttr, one thread per branch, the first
/// thread the first), 0 outside such loops (the code the first thread
/// runs).
int64_t branchOf(Operation *op) {
  for (; op; op = op->getParentOp()) {
    auto sw = dyn_cast_or_null<scf::IndexSwitchOp>(op->getParentOp());
    if (!sw || !sw->getParentOp() ||
        !sw->getParentOp()->hasAttr(nnc::kBranchesAttr))
      continue;
    Region *region = op->getParentRegion();
    for (auto [i, caseRegion] : llvm::enumerate(sw.getCaseRegions()))
      if (&caseRegion == region)
        return sw.getCases()[i];
  }
  return 0;
}

/// Whether `use` reads or writes the memory of its buffer without letting
/// the pointer escape or returning an alias of it.
bool isPlainAccess(OpOperand &use) {
  Operation *user = use.getOwner();
  // Of these ops a memref operand can only be the one accessed.
  if (isa<memref::LoadOp, memref::CopyOp, memref::PrefetchOp,
          memref::AtomicRMWOp, vector::TransferReadOp, vector::LoadOp,
          vector::MaskedLoadOp, vector::GatherOp, vector::StoreOp,
          vector::MaskedStoreOp, vector::ScatterOp>(user))
    return true;
  // Stored as the value (into a memref of memrefs), the pointer escapes.
  if (auto store = dyn_cast<memref::StoreOp>(user))
    return &use == &store.getMemrefMutable();
  // On a tensor, transfer_write returns one.
  if (auto write = dyn_cast<vector::TransferWriteOp>(user))
    return write->getNumResults() == 0;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(user))
    return linalgOp.hasPureBufferSemantics();
  return false;
}

/// Computes the lifetime of `buffer`: the positions in `entry` (numbered by
/// `position`, `numOps` standing for the end of the function) of its first
/// and last access, following every view derived from it. An access nested
/// in a loop or other region counts at the position of its ancestor in the
/// entry block, so the buffer is live across the whole loop. Before its
/// first access the content of a buffer is undefined and nobody reads it,
/// so its lifetime starts there rather than at the alloc (allocations that
/// bufferization hoists would otherwise overlap everything).
/// The deallocations met go to `deallocs`.
void computeLifetime(Buffer &buffer, Block &entry,
                     const DenseMap<Operation *, int64_t> &position,
                     int64_t numOps, SetVector<Operation *> &deallocs,
                     int64_t ownNumber) {
  int64_t first = numOps, last = -1;
  std::optional<int64_t> owner;
  SmallVector<Value> worklist = {buffer.alloc.getResult()};
  DenseSet<Value> seen(worklist.begin(), worklist.end());
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      // A dim reads the descriptor, not the memory.
      if (isa<memref::DimOp>(user))
        continue;
      // Uses outside the entry block (only with unstructured control flow)
      // run after all of it.
      Operation *ancestor = entry.findAncestorOpInBlock(*user);
      int64_t at = ancestor ? position.lookup(ancestor) : numOps;
      first = std::min(first, at);
      last = std::max(last, at);
      int64_t branch = branchOf(user);
      owner = !owner || *owner == branch ? branch : ownNumber;
      // Deallocation ends the lifetime; the workspace view must not be
      // freed.
      if (isa<memref::DeallocOp>(user)) {
        deallocs.insert(user);
        continue;
      }
      if (isPlainAccess(use))
        continue;
      // Views (subview, reshapes, casts, reinterpret_cast, view, ...) alias
      // the buffer: their accesses are the buffer's.
      if (isa<ViewLikeOpInterface>(user) &&
          llvm::all_of(user->getResultTypes(), llvm::IsaPred<BaseMemRefType>)) {
        for (Value result : user->getResults())
          if (seen.insert(result).second)
            worklist.push_back(result);
        continue;
      }
      // Anything else (a call, a return, a yield, an op that turns the
      // pointer into an integer or that this pass does not know) may keep
      // the buffer or an alias of it: it stays live to the end.
      last = numOps;
    }
  }
  if (last < 0)
    first = last = position.lookup(buffer.alloc);
  buffer.start = first;
  buffer.end = last;
  buffer.owner = owner.value_or(0);
}

/// The buffers with a nonzero `slot`, largest first (ties in program
/// order, so that the plan is deterministic).
SmallVector<Buffer *> largestFirst(MutableArrayRef<Buffer> buffers,
                                   Slot Buffer::*slot) {
  SmallVector<Buffer *> order;
  for (Buffer &buffer : buffers)
    if ((buffer.*slot).bytes > 0)
      order.push_back(&buffer);
  // `buffers` is in program order, and so are the pointers into it.
  llvm::sort(order, [&](Buffer *a, Buffer *b) {
    if ((a->*slot).bytes != (b->*slot).bytes)
      return (a->*slot).bytes > (b->*slot).bytes;
    return a < b;
  });
  return order;
}

/// Whether `a` and `b` may not share memory: they are live at the same
/// time, or belong to different threads' branches (memory that one
/// thread's branch writes and another's then rewrites would move between
/// their cores every step).
bool mayNotShare(const Buffer &a, const Buffer &b) {
  return (a.start <= b.end && b.start <= a.end) || a.owner != b.owner;
}

/// Places the buffers with a nonzero `slot` in one arena and returns its
/// size: largest first, each at the lowest offset where it overlaps no
/// placed buffer it may not share memory with (mayNotShare). Sizes are multiples of
/// kAlignment, hence so are the offsets.
int64_t planArena(MutableArrayRef<Buffer> buffers, Slot Buffer::*slot) {
  SmallVector<Buffer *> order = largestFirst(buffers, slot);
  int64_t size = 0;
  SmallVector<Buffer *> placed;
  for (Buffer *buffer : order) {
    Slot &mine = buffer->*slot;
    SmallVector<std::pair<int64_t, int64_t>> taken;
    for (Buffer *other : placed)
      if (mayNotShare(*other, *buffer))
        taken.emplace_back((other->*slot).offset,
                           (other->*slot).offset + (other->*slot).bytes);
    llvm::sort(taken);
    int64_t offset = 0;
    for (auto [begin, end] : taken) {
      if (offset + mine.bytes <= begin)
        break;
      offset = std::max(offset, end);
    }
    mine.offset = offset;
    size = std::max(size, offset + mine.bytes);
    placed.push_back(buffer);
  }
  return size;
}

/// Places the per-example buffers in rings and returns the arena's size
/// per example: largest first, each buffer joins the first ring none of
/// whose buffers it may not share memory with (or opens a ring as wide as
/// itself), centred in it. Buffers that share addresses then share their
/// midpoint, and every byte of the arena belongs to the first half of the
/// batch in each buffer that covers it, or to the second half in each: the
/// thread that runs the first half of a loop over the batch never touches
/// memory that the other thread's half of an earlier loop left in the other
/// core's cache. (First-fit from offset 0 puts a smaller buffer under the
/// first half of a larger one; the CNN's train step on 2 threads spent up
/// to 3x as long on the second half of some loops over images.) The price
/// is the space that first-fit would give to buffers side by side within a
/// wider one's lifetime: 10-30 % more per example on the examples.
int64_t planConcentricArena(MutableArrayRef<Buffer> buffers,
                            Slot Buffer::*slot) {
  struct Ring {
    int64_t width;
    SmallVector<Buffer *> members;
  };
  SmallVector<Ring> rings;
  for (Buffer *buffer : largestFirst(buffers, slot)) {
    auto fits = [&](const Ring &ring) {
      return llvm::none_of(ring.members, [&](Buffer *other) {
        return mayNotShare(*other, *buffer);
      });
    };
    auto *ring = llvm::find_if(rings, fits);
    if (ring == rings.end()) {
      rings.push_back({(buffer->*slot).bytes, {}});
      ring = &rings.back();
    }
    ring->members.push_back(buffer);
  }
  int64_t size = 0;
  for (const Ring &ring : rings) {
    for (Buffer *buffer : ring.members) {
      Slot &mine = buffer->*slot;
      mine.offset =
          size + llvm::alignDown((ring.width - mine.bytes) / 2, kAlignment);
    }
    size += ring.width;
  }
  return size;
}

struct UseWorkspacePass : nnc::impl::UseWorkspacePassBase<UseWorkspacePass> {
  using UseWorkspacePassBase::UseWorkspacePassBase;
  void runOnOperation() override;
};

void UseWorkspacePass::runOnOperation() {
  func::FuncOp func = getOperation();
  // The model function (nnc_<M>_forward's body, which nothing calls once
  // the train step has inlined it) is planned as well, its C wrapper then
  // allocating the one buffer; a model function the plan cannot cover keeps
  // its allocations, which entry points may not have.
  bool entryPoint = func->hasAttr(nnc::nn::kEntryAttr);
  if (func.isExternal() ||
      (!entryPoint && !func->hasAttr(nnc::nn::kModelAttr)))
    return;
  MLIRContext *ctx = &getContext();
  Block &entry = func.getBody().front();
  auto unsupported = [&](memref::AllocOp alloc, const Twine &message) {
    if (entryPoint)
      alloc.emitError(message);
    return WalkResult::interrupt();
  };

  // Sizes, from the types before anything is rewritten (isBatchSize traces
  // earlier allocations).
  SmallVector<Buffer> buffers;
  WalkResult walk = func.walk([&](memref::AllocOp alloc) {
    if (alloc->getBlock() != &entry)
      return unsupported(alloc, "unsupported: allocation outside the entry "
                                "block of a training function");
    MemRefType type = alloc.getType();
    Type element = type.getElementType();
    if (!type.getLayout().isIdentity() || type.getMemorySpace() ||
        !element.isIntOrIndexOrFloat()) {
      if (entryPoint)
        alloc.emitError("unsupported: workspace allocation of type ") << type;
      return WalkResult::interrupt();
    }
    // index is 64-bit on every target nnc supports; sub-byte types take
    // a byte each, as memref lowering stores them.
    int64_t staticBytes =
        element.isIndex()
            ? 8
            : llvm::divideCeil(element.getIntOrFloatBitWidth(), 8);
    for (int64_t dim : type.getShape())
      if (!ShapedType::isDynamic(dim))
        staticBytes *= dim;
    ValueRange dynamicSizes = alloc.getDynamicSizes();
    if (dynamicSizes.size() > 1 ||
        (dynamicSizes.size() == 1 && !isBatchSize(func, dynamicSizes[0])))
      return unsupported(alloc, "unsupported: workspace allocation whose "
                                "size is not a multiple of the batch");
    // The buffer takes c + k * batch bytes. Today a size is either static
    // (k = 0) or static times the batch (c = 0), but the plan below is
    // written for both parts.
    int64_t c = dynamicSizes.empty() ? staticBytes : 0;
    int64_t k = dynamicSizes.empty() ? 0 : staticBytes;
    Buffer &buffer = buffers.emplace_back();
    buffer.alloc = alloc;
    if (k == 0) {
      buffer.fixed.bytes = llvm::alignTo(c, kAlignment);
    } else {
      buffer.batch = dynamicSizes[0];
      // alignTo(k + c) * batch >= k * batch + c for every batch >= 1, and
      // rounding k up keeps every offset fixed + offset * batch aligned.
      buffer.perExample.bytes = llvm::alignTo(k + c, kAlignment);
      // At batch 0 (allowed by the C interface) the per-example arena is
      // empty; a buffer with c > 0 then uses a slot of its own in the fixed
      // arena.
      buffer.fixed.bytes = llvm::alignTo(c, kAlignment);
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted()) {
    if (entryPoint)
      signalPassFailure();
    return;
  }
  if (!entryPoint && buffers.empty())
    return;

  DenseMap<Operation *, int64_t> position;
  for (Operation &op : entry)
    position.try_emplace(&op, position.size());
  SetVector<Operation *> deallocs;
  // Buffers that several branches access get owner numbers of their own,
  // below every branch's.
  for (auto [i, buffer] : llvm::enumerate(buffers))
    computeLifetime(buffer, entry, position, position.size(), deallocs,
                    -1 - int64_t(i));
  int64_t fixed = planArena(buffers, &Buffer::fixed);
  int64_t perExample = threads
                           ? planConcentricArena(buffers, &Buffer::perExample)
                           : planArena(buffers, &Buffer::perExample);

  auto workspaceType =
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
  if (failed(func.insertArgument(
          func.getNumArguments(), workspaceType,
          DictionaryAttr::get(
              ctx, {NamedAttribute(StringAttr::get(ctx, nnc::nn::kRoleAttr),
                                   StringAttr::get(ctx, "workspace"))}),
          func.getLoc())))
    return signalPassFailure();
  Value workspace = entry.getArguments().back();

  for (Operation *dealloc : deallocs)
    dealloc->erase();

  // The workspace is [fixed arena][per-example arena * batch]: a buffer of
  // the per-example arena starts at fixed + offset * batch.
  OpBuilder b(ctx);
  for (Buffer &buffer : buffers) {
    memref::AllocOp alloc = buffer.alloc;
    Location loc = alloc.getLoc();
    b.setInsertionPoint(alloc);
    auto constant = [&](int64_t value) -> Value {
      return arith::ConstantIndexOp::create(b, loc, value);
    };
    Value offset;
    if (buffer.perExample.bytes == 0) {
      offset = constant(buffer.fixed.offset);
    } else {
      Value scaled = arith::MulIOp::create(
          b, loc, constant(buffer.perExample.offset), buffer.batch);
      offset = arith::AddIOp::create(b, loc, constant(fixed), scaled);
      if (buffer.fixed.bytes > 0) {
        Value empty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            buffer.batch, constant(0));
        offset = arith::SelectOp::create(b, loc, empty,
                                         constant(buffer.fixed.offset), offset);
      }
    }
    Value view = memref::ViewOp::create(b, loc, alloc.getType(), workspace,
                                        offset, alloc.getDynamicSizes());
    alloc.replaceAllUsesWith(view);
    alloc.erase();
  }
  func->setAttr(nnc::nn::kWorkspaceFixedAttr,
                IntegerAttr::get(IntegerType::get(ctx, 64), fixed));
  func->setAttr(nnc::nn::kWorkspacePerExampleAttr,
                IntegerAttr::get(IntegerType::get(ctx, 64), perExample));
}

} // namespace
