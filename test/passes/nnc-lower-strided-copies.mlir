// RUN: nnc-opt %s --nnc-lower-strided-copies --split-input-file | FileCheck %s

// Copies into or out of strided subviews (what bufferized tensor.pad,
// tensor.insert_slice and tensor.concat produce) become linalg.copy, which
// lowers to loops instead of a call to the runtime's memrefCopy.

// CHECK-LABEL: func.func @into_subview
// CHECK-SAME:    (%[[SRC:.*]]: memref<?x3x4x4xf32>, %[[DST:.*]]: memref<?x3x6x6xf32>)
// CHECK:         %[[VIEW:.*]] = memref.subview %[[DST]]
// CHECK-NOT:     memref.copy
// CHECK:         linalg.copy ins(%[[SRC]] : memref<?x3x4x4xf32>) outs(%[[VIEW]] : memref<?x3x4x4xf32, strided<[108, 36, 6, 1], offset: 7>>)
func.func @into_subview(%src: memref<?x3x4x4xf32>, %dst: memref<?x3x6x6xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %src, %c0 : memref<?x3x4x4xf32>
  %view = memref.subview %dst[0, 0, 1, 1] [%n, 3, 4, 4] [1, 1, 1, 1] : memref<?x3x6x6xf32> to memref<?x3x4x4xf32, strided<[108, 36, 6, 1], offset: 7>>
  memref.copy %src, %view : memref<?x3x4x4xf32> to memref<?x3x4x4xf32, strided<[108, 36, 6, 1], offset: 7>>
  return
}

// -----

// Contiguous copies stay: they become a memcpy intrinsic.
// CHECK-LABEL: func.func @contiguous
// CHECK:         memref.copy
// CHECK:         memref.copy
// CHECK-NOT:     linalg.copy
func.func @contiguous(%a: memref<?x8xf32>, %b: memref<?x8xf32>, %c: memref<4x8xf32>) {
  memref.copy %a, %b : memref<?x8xf32> to memref<?x8xf32>
  %rows = memref.subview %c[1, 0] [2, 8] [1, 1] : memref<4x8xf32> to memref<2x8xf32, strided<[8, 1], offset: 8>>
  %d = memref.alloc() : memref<2x8xf32>
  memref.copy %rows, %d : memref<2x8xf32, strided<[8, 1], offset: 8>> to memref<2x8xf32>
  memref.dealloc %d : memref<2x8xf32>
  return
}
