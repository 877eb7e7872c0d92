//===- Optimizers.cpp - nn optimizer updates to linalg ----------*- C++ -*-===//
//
// SGD (with momentum and weight decay) and Adam, with PyTorch's update
// formulas. Each update is one elementwise `linalg.generic` whose outputs
// are the parameter and state tensors themselves (destination-passing), so
// one-shot bufferization performs it in place on the caller's buffers. Adam's
// bias corrections depend on the run-time step and are computed once, as
// scalars, outside the loop.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace nnc;

namespace {

using lowering::createFloatConstant;

/// An elementwise generic reading `inputs` and updating `outputs` in place.
ValueRange updateInPlace(
    OpBuilder &b, Location loc, ValueRange inputs, ValueRange outputs,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(outputs.front().getType());
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps(inputs.size() + outputs.size(),
                              b.getMultiDimIdentityMap(rank));
  auto generic = linalg::GenericOp::create(
      b, loc, outputs.getTypes(), inputs, outputs, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, body(nb, l, args));
      });
  return generic.getResults();
}

struct SgdUpdateLowering : OpConversionPattern<nn::SgdUpdateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::SgdUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    double lr = op.getLr().convertToDouble();
    double momentum = op.getMomentum().convertToDouble();
    double decay = op.getWeightDecay().convertToDouble();
    SmallVector<Value> outputs{adaptor.getParam()};
    if (adaptor.getVelocity())
      outputs.push_back(adaptor.getVelocity());
    ValueRange results = updateInPlace(
        rewriter, op.getLoc(), adaptor.getGrad(), outputs,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Type t = args[0].getType();
          Value g = args[0], p = args[1];
          if (decay != 0)
            g = arith::AddFOp::create(
                b, l, g,
                arith::MulFOp::create(b, l, createFloatConstant(b, l, t, decay),
                                      p));
          SmallVector<Value> yields;
          Value step = g;
          if (momentum > 0)
            step = arith::AddFOp::create(
                b, l,
                arith::MulFOp::create(
                    b, l, createFloatConstant(b, l, t, momentum), args[2]),
                g);
          yields.push_back(arith::SubFOp::create(
              b, l, p,
              arith::MulFOp::create(b, l, createFloatConstant(b, l, t, lr),
                                    step)));
          if (momentum > 0)
            yields.push_back(step);
          return yields;
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct AdamUpdateLowering : OpConversionPattern<nn::AdamUpdateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::AdamUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    double lr = op.getLr().convertToDouble();
    double beta1 = op.getBeta1().convertToDouble();
    double beta2 = op.getBeta2().convertToDouble();
    double eps = op.getEps().convertToDouble();
    Type t = cast<RankedTensorType>(op.getParam().getType()).getElementType();

    // 1 - beta^step = 1 - exp(step * ln(beta)); beta == 0 gives exactly 1.
    Value step = arith::SIToFPOp::create(rewriter, loc, t, adaptor.getStep());
    auto correction = [&](double beta) -> Value {
      if (beta == 0)
        return createFloatConstant(rewriter, loc, t, 1);
      Value power = math::ExpOp::create(
          rewriter, loc,
          arith::MulFOp::create(
              rewriter, loc, step,
              createFloatConstant(rewriter, loc, t, std::log(beta))));
      return arith::SubFOp::create(
          rewriter, loc, createFloatConstant(rewriter, loc, t, 1), power);
    };
    Value stepSize = arith::DivFOp::create(
        rewriter, loc, createFloatConstant(rewriter, loc, t, lr),
        correction(beta1));
    // sqrt(v) / sqrt(1 - beta2^step) as a product with the scalar's
    // reciprocal: one division per element instead of two (a division is the
    // update's bottleneck on AVX-512), at most an ulp from PyTorch's value.
    Value inverseSqrtCorrection2 = arith::DivFOp::create(
        rewriter, loc, createFloatConstant(rewriter, loc, t, 1),
        math::SqrtOp::create(rewriter, loc, correction(beta2)));

    ValueRange results = updateInPlace(
        rewriter, loc, adaptor.getGrad(),
        ValueRange{adaptor.getParam(), adaptor.getM(), adaptor.getV()},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value g = args[0], p = args[1], m = args[2], v = args[3];
          auto mul = [&](Value x, Value y) {
            return arith::MulFOp::create(b, l, x, y);
          };
          auto c = [&](double x) { return createFloatConstant(b, l, t, x); };
          Value newM = arith::AddFOp::create(b, l, mul(c(beta1), m),
                                             mul(c(1 - beta1), g));
          Value newV = arith::AddFOp::create(b, l, mul(c(beta2), v),
                                             mul(c(1 - beta2), mul(g, g)));
          Value denom = arith::AddFOp::create(
              b, l,
              mul(math::SqrtOp::create(b, l, newV), inverseSqrtCorrection2),
              c(eps));
          // denom >= eps > 0 and is finite while v is: the division may be
          // a reciprocal estimate refined by a Newton step (vrcp14ps on
          // AVX-512), within an ulp of the quotient, in place of a divider
          // that takes several times as long.
          Value ratio = arith::DivFOp::create(b, l, newM, denom,
                                              arith::FastMathFlags::arcp |
                                                  arith::FastMathFlags::ninf);
          Value newP = arith::SubFOp::create(b, l, p, mul(stepSize, ratio));
          return SmallVector<Value>{newP, newM, newV};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void nnc::populateNNOptimizerToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<SgdUpdateLowering, AdamUpdateLowering>(patterns.getContext());
}
