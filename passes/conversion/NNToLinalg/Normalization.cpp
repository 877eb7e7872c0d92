//===- Normalization.cpp - nn batchnorm and dropout to linalg ---*- C++ -*-===//
//
// Batch normalization over channel dimension 1 of [N, C, ...]. Statistics
// are per-channel reduction generics, the variance in two passes (the mean
// first) so it does not cancel catastrophically; the count of elements per
// channel M depends on the run-time batch. nn.batchnorm_train writes the new
// running statistics into the running_mean / running_var operands themselves
// (destination passing, like the optimizer updates), so one-shot
// bufferization updates the model state in place; the running variance takes
// the unbiased batch variance M / (M - 1) var (the biased one when M = 1).
//
// Dropout at inference is the identity. nn.dropout_train keeps element i
// (its row-major index over the whole tensor, batch included) with the
// draw, in wrapping 64-bit unsigned arithmetic with logical shifts,
//   z = key + (stream + 1) * 0xD1B54A32D192ED03 + i * 0x9E3779B97F4A7C15
//   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
//   z = (z ^ (z >> 27)) * 0x94D049BB133111EB
//   z =  z ^ (z >> 31)                       (splitmix64's finalizer)
//   u = (z >> 40) * 2^-24                    (24 uniform bits in [0, 1))
//   keep = u >= rate, evaluated exactly as (z >> 40) >= ceil(rate * 2^24)
// and yields keep ? x / (1 - rate) : 0. The mask depends only on (key,
// stream, i) and rate, never on the element type, so f32 and f64 builds and
// the gradient (the same op applied to dy) draw the same mask.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace nnc;

namespace {

using lowering::createFloatConstant;
using utils::IteratorType;

/// Maps of a generic over the loops of an [N, C, ...] tensor: the whole
/// tensor, and its channel.
struct ChannelMaps {
  AffineMap full, channel;
  ChannelMaps(MLIRContext *ctx, int64_t rank)
      : full(AffineMap::getMultiDimIdentityMap(rank, ctx)),
        channel(AffineMap::get(rank, 0, getAffineDimExpr(1, ctx))) {}
};

/// Per-channel reductions of `inputs` (read through `maps`) into zero-filled
/// [C] tensors, one per result of `body(inputs..., accumulators...)`.
SmallVector<Value> reduceChannels(
    OpBuilder &b, Location loc, Value x, ValueRange inputs,
    ArrayRef<AffineMap> maps, unsigned numResults,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  auto channelType =
      RankedTensorType::get({type.getDimSize(1)}, type.getElementType());
  SmallVector<Value> zeros;
  for (unsigned i = 0; i < numResults; ++i)
    zeros.push_back(lowering::createZeros(b, loc, channelType, {}));
  SmallVector<AffineMap> allMaps(maps);
  allMaps.append(numResults, ChannelMaps(b.getContext(), rank).channel);
  SmallVector<IteratorType> iterators(rank, IteratorType::reduction);
  iterators[1] = IteratorType::parallel;
  auto generic = linalg::GenericOp::create(
      b, loc, SmallVector<Type>(numResults, channelType), inputs, zeros,
      allMaps, iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, body(nb, l, args));
      });
  return generic.getResults();
}

/// The elementwise generic over [C] vectors.
Value channelwise(OpBuilder &b, Location loc, ValueRange inputs,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return lowering::createElementwise(
      b, loc, cast<RankedTensorType>(inputs.front().getType()), inputs, body);
}

/// A parallel generic over `x` [N, C, ...] whose operands are `x`-shaped
/// (`full`) or per-channel vectors (`channel`).
Value perElement(OpBuilder &b, Location loc, Value x, ValueRange full,
                 ValueRange channel,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(x.getType());
  ChannelMaps maps(b.getContext(), type.getRank());
  SmallVector<Value> inputs(full);
  inputs.append(channel.begin(), channel.end());
  SmallVector<AffineMap> inputMaps(full.size(), maps.full);
  inputMaps.append(channel.size(), maps.channel);
  return lowering::createParallelGeneric(b, loc, type, x, inputs, inputMaps,
                                         body);
}

Value add(OpBuilder &b, Location l, Value x, Value y) {
  return arith::AddFOp::create(b, l, x, y);
}
Value sub(OpBuilder &b, Location l, Value x, Value y) {
  return arith::SubFOp::create(b, l, x, y);
}
Value mul(OpBuilder &b, Location l, Value x, Value y) {
  return arith::MulFOp::create(b, l, x, y);
}

/// 1 / sqrt(var + epsilon), divided out rather than math.rsqrt so that it
/// is correctly rounded.
Value inverseSqrt(OpBuilder &b, Location l, Value var, double epsilon) {
  Type t = var.getType();
  Value root = math::SqrtOp::create(
      b, l, add(b, l, var, createFloatConstant(b, l, t, epsilon)));
  return arith::DivFOp::create(b, l, createFloatConstant(b, l, t, 1), root);
}

/// Mean and biased variance per channel, the run-time count M of elements
/// per channel (as an index and as a float) and 1 / sqrt(var + eps).
struct BatchStats {
  Value mean, var, invStd, count, countIndex;
};

BatchStats computeBatchStats(OpBuilder &b, Location loc, Value x,
                             double epsilon) {
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  int64_t perExample = 1;
  for (int64_t d = 2; d < type.getRank(); ++d)
    perExample *= type.getDimSize(d);
  BatchStats stats;
  stats.countIndex =
      arith::MulIOp::create(b, loc, tensor::DimOp::create(b, loc, x, 0),
                            arith::ConstantIndexOp::create(b, loc, perExample));
  stats.count = arith::SIToFPOp::create(
      b, loc, element,
      arith::IndexCastOp::create(b, loc, b.getI64Type(), stats.countIndex));
  Value invCount = arith::DivFOp::create(
      b, loc, createFloatConstant(b, loc, element, 1), stats.count);

  ChannelMaps maps(b.getContext(), type.getRank());
  Value sum =
      reduceChannels(b, loc, x, x, maps.full, 1,
                     [](OpBuilder &nb, Location l, ValueRange args) {
                       return SmallVector<Value>{add(nb, l, args[1], args[0])};
                     })[0];
  stats.mean =
      channelwise(b, loc, sum, [&](OpBuilder &nb, Location l, ValueRange args) {
        return mul(nb, l, args[0], invCount);
      });
  Value squares =
      reduceChannels(b, loc, x, ValueRange{x, stats.mean},
                     SmallVector<AffineMap>{maps.full, maps.channel}, 1,
                     [](OpBuilder &nb, Location l, ValueRange args) {
                       Value centered = sub(nb, l, args[0], args[1]);
                       return SmallVector<Value>{
                           add(nb, l, args[2], mul(nb, l, centered, centered))};
                     })[0];
  stats.var = channelwise(b, loc, squares,
                          [&](OpBuilder &nb, Location l, ValueRange args) {
                            return mul(nb, l, args[0], invCount);
                          });
  stats.invStd = channelwise(b, loc, stats.var,
                             [&](OpBuilder &nb, Location l, ValueRange args) {
                               return inverseSqrt(nb, l, args[0], epsilon);
                             });
  return stats;
}

/// (x - mean) * weight * invStd + bias, the scale computed per channel.
Value normalize(OpBuilder &b, Location loc, Value x, Value mean, Value invStd,
                Value weight, Value bias) {
  Value scale = channelwise(b, loc, ValueRange{weight, invStd},
                            [](OpBuilder &nb, Location l, ValueRange args) {
                              return mul(nb, l, args[0], args[1]);
                            });
  return perElement(b, loc, x, x, ValueRange{mean, scale, bias},
                    [](OpBuilder &nb, Location l, ValueRange args) {
                      Value centered = sub(nb, l, args[0], args[1]);
                      return add(nb, l, mul(nb, l, centered, args[2]), args[3]);
                    });
}

struct BatchNormLowering : OpConversionPattern<nn::BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    double epsilon = op.getEpsilon().convertToDouble();
    Value invStd = channelwise(rewriter, loc, adaptor.getRunningVar(),
                               [&](OpBuilder &b, Location l, ValueRange args) {
                                 return inverseSqrt(b, l, args[0], epsilon);
                               });
    rewriter.replaceOp(op, normalize(rewriter, loc, adaptor.getInput(),
                                     adaptor.getRunningMean(), invStd,
                                     adaptor.getWeight(), adaptor.getBias()));
    return success();
  }
};

struct BatchNormTrainLowering : OpConversionPattern<nn::BatchNormTrainOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::BatchNormTrainOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Type element = cast<RankedTensorType>(x.getType()).getElementType();
    double momentum = op.getMomentum().convertToDouble();
    BatchStats stats =
        computeBatchStats(rewriter, loc, x, op.getEpsilon().convertToDouble());
    Value result = normalize(rewriter, loc, x, stats.mean, stats.invStd,
                             adaptor.getWeight(), adaptor.getBias());

    // M / (M - 1), or 1 when M = 1.
    Value single = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq, stats.countIndex,
        arith::ConstantIndexOp::create(rewriter, loc, 1));
    Value one = createFloatConstant(rewriter, loc, element, 1);
    Value correction = arith::SelectOp::create(
        rewriter, loc, single, one,
        arith::DivFOp::create(rewriter, loc, stats.count,
                              sub(rewriter, loc, stats.count, one)));

    // The running statistics are the destinations: updated in place.
    AffineMap identity = rewriter.getMultiDimIdentityMap(1);
    auto update = linalg::GenericOp::create(
        rewriter, loc,
        TypeRange{adaptor.getRunningMean().getType(),
                  adaptor.getRunningVar().getType()},
        ValueRange{stats.mean, stats.var},
        ValueRange{adaptor.getRunningMean(), adaptor.getRunningVar()},
        SmallVector<AffineMap>(4, identity),
        SmallVector<IteratorType>{IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value keep = createFloatConstant(b, l, element, 1 - momentum);
          Value take = createFloatConstant(b, l, element, momentum);
          Value mean =
              add(b, l, mul(b, l, keep, args[2]), mul(b, l, take, args[0]));
          Value unbiased = mul(b, l, args[1], correction);
          Value var =
              add(b, l, mul(b, l, keep, args[3]), mul(b, l, take, unbiased));
          linalg::YieldOp::create(b, l, ValueRange{mean, var});
        });
    rewriter.replaceOp(op, {result, update.getResult(0), update.getResult(1)});
    return success();
  }
};

/// With xhat = (x - mean) invStd: db = sum dy, dw = sum dy xhat and
/// dx = w invStd / M (M dy - db - xhat dw).
struct BatchNormTrainGradLowering
    : OpConversionPattern<nn::BatchNormTrainGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::BatchNormTrainGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), dy = adaptor.getResultGradient();
    auto type = cast<RankedTensorType>(x.getType());
    BatchStats stats =
        computeBatchStats(rewriter, loc, x, op.getEpsilon().convertToDouble());
    ChannelMaps maps(rewriter.getContext(), type.getRank());
    SmallVector<Value> sums = reduceChannels(
        rewriter, loc, x, ValueRange{x, dy, stats.mean, stats.invStd},
        SmallVector<AffineMap>{maps.full, maps.full, maps.channel,
                               maps.channel},
        2, [](OpBuilder &b, Location l, ValueRange args) {
          Value xhat = mul(b, l, sub(b, l, args[0], args[2]), args[3]);
          return SmallVector<Value>{
              add(b, l, args[4], args[1]),
              add(b, l, args[5], mul(b, l, args[1], xhat))};
        });
    Value db = sums[0], dw = sums[1];
    Value count = stats.count;
    Value dx = perElement(
        rewriter, loc, x, ValueRange{x, dy},
        ValueRange{stats.mean, stats.invStd, adaptor.getWeight(), db, dw},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value xv = args[0], g = args[1], mean = args[2], invStd = args[3],
                w = args[4], sumDy = args[5], sumDyXhat = args[6];
          Value xhat = mul(b, l, sub(b, l, xv, mean), invStd);
          Value inner = sub(b, l, sub(b, l, mul(b, l, count, g), sumDy),
                            mul(b, l, xhat, sumDyXhat));
          Value factor =
              arith::DivFOp::create(b, l, mul(b, l, w, invStd), count);
          return mul(b, l, factor, inner);
        });
    rewriter.replaceOp(op, {dx, dw, db});
    return success();
  }
};

struct DropoutLowering : OpConversionPattern<nn::DropoutOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

// The constants of the draw documented in the file banner.
constexpr uint64_t kStreamMultiplier = 0xD1B54A32D192ED03ull;
constexpr uint64_t kIndexMultiplier = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kMix1 = 0xBF58476D1CE4E5B9ull;
constexpr uint64_t kMix2 = 0x94D049BB133111EBull;

struct DropoutTrainLowering : OpConversionPattern<nn::DropoutTrainOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::DropoutTrainOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type element = type.getElementType();
    double rate = op.getRate().convertToDouble();
    int64_t threshold = int64_t(std::ceil(std::ldexp(rate, 24)));
    Type i64 = rewriter.getI64Type();
    auto constant = [&](OpBuilder &b, Location l, uint64_t v) -> Value {
      return arith::ConstantIntOp::create(b, l, i64, int64_t(v));
    };
    uint64_t streamOffset = (uint64_t(op.getStream()) + 1) * kStreamMultiplier;
    Value base = arith::AddIOp::create(rewriter, loc, adaptor.getKey(),
                                       constant(rewriter, loc, streamOffset));
    // Row-major strides of every dimension; only the batch is dynamic.
    SmallVector<uint64_t> strides(type.getRank(), 1);
    for (int64_t d = type.getRank() - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * uint64_t(type.getDimSize(d + 1));

    Value result = lowering::createElementwise(
        rewriter, loc, type, x, [&](OpBuilder &b, Location l, ValueRange args) {
          Value i;
          for (int64_t d = 0; d < type.getRank(); ++d) {
            Value term = arith::MulIOp::create(
                b, l,
                arith::IndexCastOp::create(b, l, i64,
                                           linalg::IndexOp::create(b, l, d)),
                constant(b, l, strides[d]));
            i = i ? arith::AddIOp::create(b, l, i, term) : term;
          }
          auto xorShift = [&](Value z, uint64_t shift) -> Value {
            return arith::XOrIOp::create(
                b, l, z,
                arith::ShRUIOp::create(b, l, z, constant(b, l, shift)));
          };
          Value z = arith::AddIOp::create(
              b, l, base,
              arith::MulIOp::create(b, l, i, constant(b, l, kIndexMultiplier)));
          z = arith::MulIOp::create(b, l, xorShift(z, 30),
                                    constant(b, l, kMix1));
          z = arith::MulIOp::create(b, l, xorShift(z, 27),
                                    constant(b, l, kMix2));
          z = xorShift(z, 31);
          Value bits = arith::ShRUIOp::create(b, l, z, constant(b, l, 40));
          Value keep =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, bits,
                                    constant(b, l, uint64_t(threshold)));
          Value scaled = arith::DivFOp::create(
              b, l, args[0], createFloatConstant(b, l, element, 1 - rate));
          return arith::SelectOp::create(b, l, keep, scaled,
                                         createFloatConstant(b, l, element, 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void nnc::populateNNNormalizationToLinalgPatterns(RewritePatternSet &patterns) {
  patterns
      .add<BatchNormLowering, BatchNormTrainLowering,
           BatchNormTrainGradLowering, DropoutLowering, DropoutTrainLowering>(
          patterns.getContext());
}
