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

#endif // NNC_DIALECT_NNINTERFACES_TD
