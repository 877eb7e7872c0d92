// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// The per-example element count of flatten / reshape is computed with
// overflow checks: a product that does not fit in int64_t is an error, not a
// wrapped (dynamic or zero) dimension.

// 2^63 elements would wrap to the dynamic-size marker.
func.func @flatten_wraps_to_dynamic(%x: tensor<?x2147483648x4294967296xf32>) -> tensor<?x?xf32> {
  // expected-error @+2 {{'nn.flatten' op element count per example of 'tensor<?x2147483648x4294967296xf32>' overflows a 64-bit integer}}
  // expected-error @+1 {{'nn.flatten' op failed to infer returned types}}
  %0 = nn.flatten %x : tensor<?x2147483648x4294967296xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// 2^64 elements would wrap to 0.
func.func @flatten_wraps_to_zero(%x: tensor<?x4294967296x4294967296xf32>) -> tensor<?x0xf32> {
  // expected-error @+2 {{'nn.flatten' op element count per example of 'tensor<?x4294967296x4294967296xf32>' overflows a 64-bit integer}}
  // expected-error @+1 {{'nn.flatten' op failed to infer returned types}}
  %0 = nn.flatten %x : tensor<?x4294967296x4294967296xf32> -> tensor<?x0xf32>
  return %0 : tensor<?x0xf32>
}

// -----

// Not "cannot reshape 0 elements per example into 1".
func.func @reshape_wraps_to_zero(%x: tensor<?x4294967296x4294967296xf32>) -> tensor<?x1xf32> {
  // expected-error @+2 {{'nn.reshape' op element count per example overflows a 64-bit integer}}
  // expected-error @+1 {{'nn.reshape' op failed to infer returned types}}
  %0 = nn.reshape %x {shape = array<i64: 1>} : tensor<?x4294967296x4294967296xf32> -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}
