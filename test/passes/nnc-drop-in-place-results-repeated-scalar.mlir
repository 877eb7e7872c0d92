// RUN: nnc-opt %s --nnc-drop-in-place-results | FileCheck %s

// Regression test for a fixed bug: nnc-drop-in-place-results copies a buffer returned at several
// positions into fresh buffers, and rejects everything else returned twice
// with "unsupported: a dynamically shaped result returned twice". A scalar
// is neither a buffer nor dynamically shaped: returning the same i64 twice
// from an entry point fails with that (misleading) message, although values
// need no copy at all and should be left as they are.

// CHECK-LABEL: func.func @repeated_scalar(
// CHECK-SAME:    -> (i64, i64)
// CHECK:         %[[S:.*]] = arith.addi
// CHECK:         return %[[S]], %[[S]] : i64, i64
func.func @repeated_scalar(%n: i64) -> (i64, i64) attributes {nn.entry = "eval"} {
  %s = arith.addi %n, %n : i64
  return %s, %s : i64, i64
}
