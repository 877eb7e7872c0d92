//===- NNToLinalg.h - nn to linalg conversion patterns ----------*- C++ -*-===//
//
// Pattern sets of the nn -> linalg conversion, one per op family, so other
// passes (and future fused lowerings) can pick the ones they need.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_CONVERSION_NNTOLINALG_NNTOLINALG_H
#define NNC_PASSES_CONVERSION_NNTOLINALG_NNTOLINALG_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
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

/// nn.conv2d, nn.conv2d_input_grad, nn.conv2d_filter_grad, nn.channel_sum.
void populateNNConvToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// nn.maxpool2d, nn.avgpool2d, nn.global_avgpool and their gradients.
void populateNNPoolingToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// nn.batchnorm, nn.batchnorm_train(_grad), nn.dropout, nn.dropout_train.
void populateNNNormalizationToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// nn.concat, nn.slice.
void populateNNConcatToTensorPatterns(mlir::RewritePatternSet &patterns);

/// All of the above but the recurrent ops.
void populateNNToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// nn.rnn, nn.gru, nn.lstm, nn.recurrent_train, nn.recurrent_grad: loops
/// over time (nnc-lower-recurrent).
void populateNNRecurrentToLoopsPatterns(mlir::RewritePatternSet &patterns);

namespace lowering {
/// An empty tensor shaped like `like` (same dynamic batch) of type `type`.
mlir::Value createEmptyLike(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::RankedTensorType type, mlir::Value like);

/// A float constant of `type` (f32 or f64).
mlir::Value createFloatConstant(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Type type, double value);

/// 1 / (1 + exp(-x)) of a float scalar; exp(-x) overflows to inf for very
/// negative x, which correctly gives 0.
mlir::Value createSigmoid(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value x);

/// `init` plus the sum of lhs * rhs over the reduction loops, as a
/// `linalg.generic` with the given `maps` (lhs, rhs, init) and `iterators`.
mlir::Value
createContraction(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                  mlir::Value rhs, mlir::Value init,
                  llvm::ArrayRef<mlir::AffineMap> maps,
                  llvm::ArrayRef<mlir::utils::IteratorType> iterators);

/// The body of a sum: yields the accumulator (args[1]) plus the input
/// (args[0]).
void yieldSum(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange args);

/// The sum of `input` over every dimension but `kept` (in order), as a
/// fresh tensor of `type` (static): a batch sum, a channel sum, a bias
/// gradient.
mlir::Value createSum(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                      llvm::ArrayRef<int64_t> kept,
                      mlir::RankedTensorType type);

/// `init` plus the sum of `input` over every dimension but `kept`.
mlir::Value createSumInto(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value input, llvm::ArrayRef<int64_t> kept,
                          mlir::Value init);

/// createSum of a sum over the batch (dimension 0 of `input`, dynamic, not
/// kept) and more (a recurrent bias gradient): through sumOverBatchParts.
mlir::Value createBatchSum(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value input, llvm::ArrayRef<int64_t> kept,
                           mlir::RankedTensorType type);

/// `init + op(lhs) x op(rhs)` as a `linalg.generic`, where `op` transposes
/// a 2-D operand when its flag is set: the transpose is folded into the
/// indexing map instead of materialised.
mlir::Value createMatmul(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value lhs, mlir::Value rhs, mlir::Value init,
                         bool transposeLhs, bool transposeRhs);

/// How many parts a sum over the batch is split into when it runs on
/// threads (a filter gradient, a recurrent layer's weight gradients): the
/// two cores nnc's threads are tuned for.
inline constexpr int64_t kBatchParts = 2;

/// A recurrent layer's weight and bias gradients (sums over the batch and
/// the steps) with at most this many elements are computed as kBatchParts
/// partial sums over parts of the batch (sumOverBatchParts): split by rows
/// instead, they would be a few register tiles split unevenly between
/// threads (dW_ih of 28 rows: 3 tiles, 2:1), each thread reading the whole
/// batch the other thread's loops just wrote, and the bias sums ran on one
/// thread. A dense layer's gradients, sums over the batch alone, stay
/// whole: a few multiply-adds per example and element, and the parts cost
/// the MLP's train step at batch 1 about 0.9 us of 31 (2 threads gained
/// nothing measurable at batch 256).
inline constexpr int64_t kMaxBatchSplitElements = 16384;

/// Builds one part of a sum over the batch: `(b, loc, start, count, init)`
/// adds the contribution of the examples [start, start + count) to `init`
/// and returns it.
using BatchPartFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value, mlir::Value, mlir::Value)>;

/// The sum over the batch as kBatchParts partial sums: `partial(b, loc,
/// start, count, init)` adds the contribution of the examples [start,
/// start + count) to `init` (zeros of `type`) and returns it; each part
/// runs in one iteration of a loop marked nnc.parallel, so that with
/// threads each part runs on the thread that ran the same examples in the
/// loops over the batch (static schedules give the first half to the first
/// thread) and reads only what that thread wrote. The parts are then added
/// in order. On one thread the parts run one after the other, so that
/// results depend neither on the thread count nor on --parallel. A `type`
/// of more than kMaxBatchSplitElements elements is one `partial` over the
/// whole batch.
mlir::Value sumOverBatchParts(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value batch, mlir::RankedTensorType type,
                              BatchPartFn partial);

/// The kBatchParts partial sums of sumOverBatchParts, not added: a tensor
/// [kBatchParts] + `type`'s shape, slot p holding `partial(b, loc, start_p,
/// count_p, zeros of type)`, computed in a loop marked nnc.parallel (a
/// filter gradient adds its slots with more than the parts).
mlir::Value createBatchPartials(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value batch, mlir::RankedTensorType type,
                                BatchPartFn partial);

/// `body(b, loc, start, count, rows)` for the rows [start, start + count)
/// of kBatchParts parts of the batch (dimension 0 of size `batch` of every
/// value of `carried`), in a loop marked nnc.parallel: `rows` are the part's
/// rows of each carried tensor and `body` returns their new values, which
/// the loop stores back into those rows; it returns the carried tensors
/// after the last part. For computations whose examples do not depend on
/// each other (a recurrent layer's loop over time): with threads each part
/// runs on one thread from start to end, with a single fork, and the parts
/// are those of sumOverBatchParts, so the weight gradients' parts read what
/// their own thread wrote.
using BatchRowsFn = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::Value, mlir::Value,
    mlir::ValueRange)>;
llvm::SmallVector<mlir::Value>
forEachBatchPart(mlir::OpBuilder &b, mlir::Location loc, mlir::Value batch,
                 mlir::ValueRange carried, BatchRowsFn body);

/// Slot `p` of a tensor of parts (its first dimension), rank-reduced.
mlir::Value partSlot(mlir::OpBuilder &b, mlir::Location loc, mlir::Value parts,
                     mlir::OpFoldResult p);

/// `value`[start : start + count] along dimension `dim`.
mlir::Value sliceDim(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                     int64_t dim, mlir::Value start, mlir::Value count);

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
/// A parallel `linalg.generic` writing a fresh tensor of `type` (batch
/// taken from `like`) from `inputs` read through `maps` (one per input; the
/// result uses the identity map).
mlir::Value createParallelGeneric(
    mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
    mlir::Value like, mlir::ValueRange inputs,
    llvm::ArrayRef<mlir::AffineMap> maps,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange)>
        body);

/// `image` (NCHW) with `padding` [top, left, bottom, right] rows and columns
/// of `value` around its spatial dimensions; `image` itself when all are 0.
mlir::Value padImage(mlir::OpBuilder &b, mlir::Location loc, mlir::Value image,
                     llvm::ArrayRef<int64_t> padding, double value);

/// The first step of a transposed sliding window (the gradient of a window op
/// with respect to its input): `dy` [N, C, OH, OW] spread into a zero tensor
/// of [N, C, H + d_h (KH - 1), W + d_w (KW - 1)] such that correlating it at
/// stride 1 and dilation `dilations` with a spatially flipped window gives
/// the input gradient [N, C, H, W] directly. `inputSize` is [H, W]; `kernel`,
/// `strides`, `dilations` are [h, w], `padding` [top, left, bottom, right].
/// Returns a null value when no element of `dy` reaches the input (the
/// gradient is zero).
mlir::Value spreadForTransposedWindow(mlir::OpBuilder &b, mlir::Location loc,
                                      mlir::Value dy,
                                      llvm::ArrayRef<int64_t> inputSize,
                                      llvm::ArrayRef<int64_t> kernel,
                                      llvm::ArrayRef<int64_t> strides,
                                      llvm::ArrayRef<int64_t> dilations,
                                      llvm::ArrayRef<int64_t> padding);

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
