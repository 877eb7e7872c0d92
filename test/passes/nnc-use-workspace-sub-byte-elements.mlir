// RUN: nnc-opt %s --nnc-use-workspace --allow-unregistered-dialect | FileCheck %s

// Regression test for a fixed bug: nnc-use-workspace sizes a buffer as getElementTypeBitWidth() / 8
// bytes per element, which is 0 for i1 (and any type narrower than a byte).
// The i1 buffer below got 0 bytes: the f32 buffer after it was carved at the
// same offset (both views started at the constant 0, so they aliased), and
// nn.workspace_per_example counted only the f32 buffer. Now the i1 buffer
// takes a byte per element: both are per example (1 and 4 bytes, 64 each
// once rounded up), both are live together, and they get distinct offsets
// in the per-example arena, 0 and 64 (times the batch).
// LLVM stores an i1 memref element in a byte, so each element needs at
// least one byte.

// CHECK-LABEL: func.func @bool_buffer(
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    nn.workspace_fixed = 0 : i64, nn.workspace_per_example = 128 : i64
// CHECK:         %[[N:.*]] = memref.dim
// CHECK-NEXT:    %[[K1:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[S1:.*]] = arith.muli %[[K1]], %[[N]] : index
// CHECK-NEXT:    %[[F1:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[O1:.*]] = arith.addi %[[F1]], %[[S1]] : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O1]]][%[[N]]] : memref<?xi8> to memref<?xi1>
// CHECK-NEXT:    %[[K2:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[S2:.*]] = arith.muli %[[K2]], %[[N]] : index
// CHECK-NEXT:    %[[F2:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[O2:.*]] = arith.addi %[[F2]], %[[S2]] : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O2]]][%[[N]]] : memref<?xi8> to memref<?xf32>
func.func @bool_buffer(%x: memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "eval"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %mask = memref.alloc(%n) : memref<?xi1>
  %values = memref.alloc(%n) : memref<?xf32>
  "test.use"(%mask, %values) : (memref<?xi1>, memref<?xf32>) -> ()
  return
}
