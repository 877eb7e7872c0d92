//===- NNToLinalg.h - nn to linalg conversion patterns ----------*- C++ -*-===//
//
// Pattern sets of the nn -> linalg conversion, one per op family, so other
// passes (and future fused lowerings) can pick the ones they need.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_CONVERSION_NNTOLINALG_NNTOLINALG_H
#define NNC_PASSES_CONVERSION_NNTOLINALG_NNTOLINALG_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace nnc {

/// nn.dense.
void populateNNDenseToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// nn.relu, nn.tanh, nn.sigmoid, nn.softmax.
void populateNNActivationToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// nn.add, nn.mul.
void populateNNElementwiseToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// nn.flatten, nn.reshape.
void populateNNShapeToTensorPatterns(mlir::RewritePatternSet &patterns);

/// nn.matmul, nn.batch_sum, nn.*_grad of the activations.
void populateNNGradientToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// nn.softmax_cross_entropy(_grad), nn.mse(_grad), nn.count_correct.
void populateNNLossToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// nn.sgd_update, nn.adam_update.
void populateNNOptimizerToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// All of the above.
void populateNNToLinalgPatterns(mlir::RewritePatternSet &patterns);

namespace lowering {
/// An empty tensor shaped like `like` (same dynamic batch) of type `type`.
mlir::Value createEmptyLike(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::RankedTensorType type, mlir::Value like);

/// A float constant of `type` (f32 or f64).
mlir::Value createFloatConstant(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Type type, double value);

/// A zero-filled tensor of `type` (`dynamicSizes` for its dynamic dims).
mlir::Value createZeros(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type,
                        mlir::ValueRange dynamicSizes);

/// A parallel `linalg.generic` over `inputs` (all of `type`) whose body is
/// `body(scalars)`, writing into a fresh tensor of `type`.
mlir::Value createElementwise(
    mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
    mlir::ValueRange inputs,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange)>
        body);
/// Lowers an nn op whose every operand and result has one type to one
/// elementwise generic computing `Fn(scalars of the operands, in order)`.
template <typename OpTy, mlir::Value (*Fn)(mlir::OpBuilder &, mlir::Location,
                                           mlir::ValueRange)>
struct ElementwiseLowering : mlir::OpConversionPattern<OpTy> {
  using mlir::OpConversionPattern<OpTy>::OpConversionPattern;

  llvm::LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  mlir::ConversionPatternRewriter &rewriter) const override {
    mlir::Value result = createElementwise(
        rewriter, op.getLoc(), mlir::cast<mlir::RankedTensorType>(op.getType()),
        adaptor.getOperands(), Fn);
    rewriter.replaceOp(op, result);
    return mlir::success();
  }
};
} // namespace lowering

} // namespace nnc

#endif // NNC_PASSES_CONVERSION_NNTOLINALG_NNTOLINALG_H
