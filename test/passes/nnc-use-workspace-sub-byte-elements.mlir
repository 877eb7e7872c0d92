// RUN: nnc-opt %s --nnc-use-workspace --allow-unregistered-dialect | FileCheck %s

// Regression test for a fixed bug: nnc-use-workspace sizes a buffer as getElementTypeBitWidth() / 8
// bytes per element, which is 0 for i1 (and any type narrower than a byte).
// The i1 buffer below gets 0 bytes: the f32 buffer after it is carved at the
// same offset (both views start at the constant 0, so they alias), and
// nn.workspace_per_example counted only the f32 buffer. Now the i1 buffer
// takes a byte per element: 1 + 4 bytes per example.
// LLVM stores an i1 memref element in a byte, so each element needs at
// least one byte.

// CHECK-LABEL: func.func @bool_buffer(
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    nn.workspace_per_example = 5 : i64
// CHECK:         %[[ZERO:.*]] = arith.constant 0 : index
// CHECK:         memref.view %[[WS]][%[[ZERO]]][%{{.*}}] : memref<?xi8> to memref<?xi1>
// CHECK-NOT:     memref.view %[[WS]][%[[ZERO]]]
// CHECK:         memref.view %[[WS]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?xf32>
func.func @bool_buffer(%x: memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "eval"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %mask = memref.alloc(%n) : memref<?xi1>
  %values = memref.alloc(%n) : memref<?xf32>
  "test.use"(%mask, %values) : (memref<?xi1>, memref<?xf32>) -> ()
  return
}
