// RUN: nnc-opt %s -split-input-file -verify-diagnostics
// XFAIL: *

// KNOWN BUG: NNDialect::verifyOperationAttribute (dialect/NNDialect.cpp)
// accepts `nn.model` on any operation with exactly one region
// (`op->getNumRegions() != 1`), so a module or an scf.execute_region passes
// as a "function". Checking `isa<FunctionOpInterface>(op)` would reject
// them. When fixed, move these cases to errors.mlir and delete this file.

// expected-error @+1 {{'nn.model' is only valid on a function}}
module attributes {nn.model} {
}

// -----

func.func @model_on_region_op() -> i32 {
  // expected-error @+1 {{'nn.model' is only valid on a function}}
  %0 = scf.execute_region -> i32 {
    %c = arith.constant 1 : i32
    scf.yield %c : i32
  } {nn.model}
  return %0 : i32
}
