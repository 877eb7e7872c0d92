//===- UseWorkspace.cpp - Allocation-free training entry points -*- C++ -*-===//
//
// After bufferization, the intermediate buffers of a training entry point
// are `memref.alloc`s sized by the batch. This pass turns each into a view of
// one caller-provided workspace: a bump allocator evaluated at run time, with
// no reuse, whose total the pass also computes symbolically (fixed bytes
// plus bytes per example) so the caller can allocate it once, up front.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialect/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
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

struct UseWorkspacePass : nnc::impl::UseWorkspacePassBase<UseWorkspacePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func->hasAttr(nnc::nn::kEntryAttr) || func.isExternal())
      return;
    SmallVector<memref::AllocOp> allocs;
    func.walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });

    MLIRContext *ctx = &getContext();
    Block &entry = func.getBody().front();
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

    OpBuilder b(ctx);
    b.setInsertionPointToStart(&entry);
    Value offset = arith::ConstantIndexOp::create(b, func.getLoc(), 0);
    int64_t fixed = 0, perExample = 0;
    for (memref::AllocOp alloc : allocs) {
      if (alloc->getBlock() != &entry) {
        alloc.emitError("unsupported: allocation outside the entry block of a "
                        "training function");
        return signalPassFailure();
      }
      MemRefType type = alloc.getType();
      if (!type.getLayout().isIdentity() || type.getMemorySpace()) {
        alloc.emitError("unsupported: workspace allocation of type ") << type;
        return signalPassFailure();
      }
      Type element = type.getElementType();
      if (!element.isIntOrIndexOrFloat()) {
        alloc.emitError("unsupported: workspace allocation of type ") << type;
        return signalPassFailure();
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
          (dynamicSizes.size() == 1 && !isBatchSize(func, dynamicSizes[0]))) {
        alloc.emitError("unsupported: workspace allocation whose size is not "
                        "a multiple of the batch");
        return signalPassFailure();
      }
      // At run time a batch-sized buffer takes alignTo(bytes * B, 64) <=
      // bytes * B + 64: count the padding once, not once per example.
      if (dynamicSizes.empty()) {
        fixed += llvm::alignTo(staticBytes, kAlignment);
      } else {
        fixed += kAlignment;
        perExample += staticBytes;
      }

      b.setInsertionPoint(alloc);
      Location loc = alloc.getLoc();
      Value bytes = arith::ConstantIndexOp::create(b, loc, staticBytes);
      if (!dynamicSizes.empty())
        bytes = arith::MulIOp::create(b, loc, bytes, dynamicSizes[0]);
      Value view =
          memref::ViewOp::create(b, loc, type, workspace, offset, dynamicSizes);
      // offset += alignTo(bytes, 64)
      Value mask = arith::ConstantIndexOp::create(b, loc, kAlignment - 1);
      Value rounded = arith::AndIOp::create(
          b, loc, arith::AddIOp::create(b, loc, bytes, mask),
          arith::XOrIOp::create(b, loc, mask,
                                arith::ConstantIndexOp::create(b, loc, -1)));
      offset = arith::AddIOp::create(b, loc, offset, rounded);
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
    func->setAttr(nnc::nn::kWorkspaceFixedAttr,
                  IntegerAttr::get(IntegerType::get(ctx, 64), fixed));
    func->setAttr(nnc::nn::kWorkspacePerExampleAttr,
                  IntegerAttr::get(IntegerType::get(ctx, 64), perExample));
  }
};

} // namespace
