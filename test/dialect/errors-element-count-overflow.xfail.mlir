// RUN: nnc-opt %s -split-input-file -verify-diagnostics
// XFAIL: *

// KNOWN BUG: FlattenOp::inferReturnTypes and ReshapeOp::inferReturnTypes
// (dialect/NNOps.cpp) multiply the per-example dimensions in int64_t without
// an overflow check (signed overflow: undefined behaviour). Products of 2^63
// wrap to ShapedType::kDynamic, so a flatten of static dimensions infers a
// *dynamic* feature dimension; products of 2^64 wrap to 0. These cases
// should be rejected with a message that says the element count overflows;
// when they are, quote the message whole, move the cases to errors.mlir and
// delete this file.

// Accepted today, with the inferred type tensor<?x?xf32>.
func.func @flatten_wraps_to_dynamic(%x: tensor<?x2147483648x4294967296xf32>) -> tensor<?x?xf32> {
  // expected-error-re @+2 {{'nn.flatten' op {{.*(overflow|too many|exceed).*}}}}
  // expected-error @+1 {{'nn.flatten' op failed to infer returned types}}
  %0 = nn.flatten %x : tensor<?x2147483648x4294967296xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Accepted today, with the inferred type tensor<?x0xf32>.
func.func @flatten_wraps_to_zero(%x: tensor<?x4294967296x4294967296xf32>) -> tensor<?x0xf32> {
  // expected-error-re @+2 {{'nn.flatten' op {{.*(overflow|too many|exceed).*}}}}
  // expected-error @+1 {{'nn.flatten' op failed to infer returned types}}
  %0 = nn.flatten %x : tensor<?x4294967296x4294967296xf32> -> tensor<?x0xf32>
  return %0 : tensor<?x0xf32>
}

// -----

// Rejected today, but with "cannot reshape 0 elements per example into 1".
func.func @reshape_wraps_to_zero(%x: tensor<?x4294967296x4294967296xf32>) -> tensor<?x1xf32> {
  // expected-error-re @+2 {{'nn.reshape' op {{.*(overflow|too many|exceed).*}}}}
  // expected-error @+1 {{'nn.reshape' op failed to infer returned types}}
  %0 = nn.reshape %x {shape = array<i64: 1>} : tensor<?x4294967296x4294967296xf32> -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}
