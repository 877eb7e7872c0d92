//===- NNInterfaces.td - Interfaces of the nn dialect ------*- tablegen -*-===//
//
// DifferentiableOpInterface: how an op propagates gradients backwards. The
// autodiff pass only talks to this interface, so a new op becomes trainable
// by implementing its rule (dialect/NNGradients.cpp), not by editing the pass.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NNINTERFACES_TD
#define NNC_DIALECT_NNINTERFACES_TD

include "mlir/IR/OpBase.td"

def NN_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let description = [{
    An op that can be differentiated in reverse mode. Given the gradient of
    the (scalar) objective with respect to the op's result, the op builds the
    gradient with respect to each of its operands, in nn ops, at the
    builder's insertion point, which comes after the op itself so every
    forward value is available.
  }];
  let cppNamespace = "::nnc::nn";
  let methods = [
    InterfaceMethod<[{
        Appends to `operandGradients` one value per operand: its gradient,
        or a null value for an operand that has none (integer labels).
        Fails, after emitting an error, if the rule cannot be built.
      }],
      "::llvm::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Value":$resultGradient,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGradients)
    >,
  ];
}

def NN_TrainingModeOpInterface : OpInterface<"TrainingModeOpInterface"> {
  let description = [{
    An op that computes something else while training: dropout draws a mask,
    batch normalization uses the statistics of the batch and updates its
    running averages. A model function states the inference form; the
    nnc-build-train-forward pass asks each such op for its training form
    when it builds `@M.train_forward`, without knowing any op itself.
  }];
  let cppNamespace = "::nnc::nn";
  let methods = [
    InterfaceMethod<[{
        Builds the training form at the builder's insertion point and returns
        the value that replaces the op's (single) result. `key` is the i64
        that selects random draws for this step and `stream` a number unique
        to this op in its function. For every model-state operand the
        training form updates, appends (operand, new value) to
        `stateUpdates`.
      }],
      "::mlir::Value", "buildTrainingForm",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Value":$key,
           "int64_t":$stream,
           "::llvm::SmallVectorImpl<std::pair<::mlir::Value, ::mlir::Value>> &":$stateUpdates)
    >,
  ];
}

#endif // NNC_DIALECT_NNINTERFACES_TD
