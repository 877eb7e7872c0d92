// RUN: nnc-opt %s --nnc-outline-segments="segment-ops=5" | FileCheck %s
// RUN: nnc-opt %s --nnc-outline-segments | FileCheck %s --check-prefix=WHOLE

// nnc-outline-segments: a function with at least twice `segment-ops`
// operations is cut into runs of consecutive top-level operations of about
// that many, each moved into a private noinline function. Constants, views
// of argument buffers and sizes of them are recomputed in each segment that
// uses them; an allocation stays in the caller and ends a segment, which
// then receives it; a loop result used after its segment is returned.

// CHECK-LABEL: func.func private @step.seg0(
// CHECK-SAME:      %[[X:.*]]: memref<?xf32>, %[[SCALE:.*]]: f32)
// CHECK-SAME:      attributes {passthrough = ["noinline", "nnc-segment"]}
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[N:.*]] = memref.dim %[[X]], %[[C0]]
// CHECK:         scf.for %{{.*}} = %[[C0]] to %[[N]]
// CHECK:           arith.mulf %{{.*}}, %[[SCALE]]
// CHECK-NOT:     scf.for
// CHECK:         return

// CHECK-LABEL: func.func private @step.seg1(
// CHECK-SAME:      %[[W:.*]]: memref<16xf32>, %{{.*}}: f32)
// CHECK:         %[[HEAD:.*]] = memref.subview %[[W]][0] [8] [1]
// CHECK:         scf.for
// CHECK:           memref.store %{{.*}}, %[[HEAD]]
// CHECK-NOT:     scf.for
// CHECK:         return

// CHECK-LABEL: func.func private @step.seg2(
// CHECK-SAME:      %[[W2:.*]]: memref<16xf32>, %[[TMP:.*]]: memref<8xf32>) -> f32
// CHECK:         memref.subview %[[W2]]
// CHECK:         scf.for
// CHECK:           memref.store %{{.*}}, %[[TMP]]
// CHECK:         %[[SUM:.*]] = scf.for {{.*}} -> (f32)
// CHECK:         return %[[SUM]] : f32

// CHECK-LABEL: func.func @step(
// CHECK-SAME:      %[[A0:.*]]: memref<?xf32>, %[[A1:.*]]: memref<16xf32>, %[[A2:.*]]: f32) -> f32
// CHECK-NEXT:    call @step.seg0(%[[A0]], %[[A2]])
// CHECK-NEXT:    call @step.seg1(%[[A1]], %[[A2]])
// CHECK-NEXT:    %[[ALLOCA:.*]] = memref.alloca() : memref<8xf32>
// CHECK-NEXT:    %[[R:.*]] = call @step.seg2(%[[A1]], %[[ALLOCA]])
// CHECK-NEXT:    return %[[R]] : f32

// With the default size, both functions stay whole.
// WHOLE-NOT:   .seg
// WHOLE-LABEL: func.func @step(
// WHOLE-COUNT-4: scf.for
// WHOLE-LABEL: func.func @small(
func.func @step(%x: memref<?xf32>, %w: memref<16xf32>, %scale: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?xf32>
  %head = memref.subview %w[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %s = arith.mulf %v, %scale : f32
    memref.store %s, %x[%i] : memref<?xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %head[%i] : memref<8xf32, strided<[1]>>
    %s = arith.addf %v, %scale : f32
    memref.store %s, %head[%i] : memref<8xf32, strided<[1]>>
  }
  %tmp = memref.alloca() : memref<8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %head[%i] : memref<8xf32, strided<[1]>>
    memref.store %v, %tmp[%i] : memref<8xf32>
  }
  %sum = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %tmp[%i] : memref<8xf32>
    %a = arith.addf %acc, %v : f32
    scf.yield %a : f32
  }
  return %sum : f32
}

// A function with fewer than twice `segment-ops` operations stays whole.
// CHECK-LABEL: func.func @small(
// CHECK-NOT:     call
// CHECK:         scf.for
func.func @small(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %zero, %x[%i] : memref<8xf32>
  }
  return
}
