// RUN: nnc-opt %s -split-input-file -verify-diagnostics
// XFAIL: *

// KNOWN BUG: NNDialect::verifyOperationAttribute (dialect/NNDialect.cpp)
// streams the attribute name as a StringAttr, which prints with its own
// quotes: today the message reads
//   unknown attribute '"nn.input"' of the nn dialect
// The fix is `<< attr.getName().getValue()`. When it lands, move these cases
// to errors.mlir and delete this file.

func.func @unknown_attr_on_op() {
  // expected-error @+1 {{unknown attribute 'nn.input' of the nn dialect}}
  %0 = arith.constant {nn.input = "x"} 1 : i32
  return
}

// -----

// expected-error @+1 {{unknown attribute 'nn.models' of the nn dialect}}
func.func @unknown_attr_on_func() attributes {nn.models} {
  return
}
