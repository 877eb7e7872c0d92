//===- Passes.td - nnc passes ------------------------------*- tablegen -*-===//
//
// Declarations of every nnc pass. Constructors and option structs are
// generated (GEN_PASS_DECL / GEN_PASS_DEF); pipelines that chain them are
// built in Pipeline.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PASSES_TD
#define NNC_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalgPass : Pass<"nnc-convert-nn-to-linalg"> {
  let summary = "Lower nn dialect ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every `nn` op into destination-passing linalg ops on tensors:
    `nn.dense` becomes a bias broadcast into the accumulator followed by
    `linalg.matmul`, activations and elementwise ops become `linalg.generic`,
    `nn.softmax` becomes the decomposition of `linalg.softmax` (max, exp,
    sum, divide), and shape ops become `tensor.collapse_shape` /
    `tensor.expand_shape`. The batch dimension stays dynamic. Fails, naming
    the op, if any `nn` op is left.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::tensor::TensorDialect",
  ];
}

def ApproximateMathPass : Pass<"nnc-approximate-math"> {
  let summary = "Replace math ops with polynomial approximations";
  let description = [{
    Expands f32 `math.tanh`, `math.exp` and friends on scalars and vectors
    into arithmetic (MLIR's polynomial approximations, accurate to a few ulp)
    so that the generated object needs no libm and the loops around them
    vectorize. Math on whole tensors (which the nn lowering never creates)
    is left alone, and so is f64, which still lowers to libm calls.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::vector::VectorDialect",
  ];
}

#endif // NNC_PASSES_PASSES_TD
