// RUN: nnc-opt %s --nnc-parallelize-tiles --split-input-file | FileCheck %s

// A loop over row tiles marked nnc.parallel runs as an scf.parallel only
// when nnc_threads() asks for more than one thread; otherwise the loop
// itself runs, unmarked, in the function. nnc_threads is declared once.
// CHECK-LABEL: func.func private @nnc_threads() -> i32
// CHECK-NOT:   func.func private @nnc_threads
// CHECK-LABEL: func.func @rows
// CHECK:         %[[N:.*]] = call @nnc_threads() : () -> i32
// CHECK:         %[[ONE:.*]] = arith.constant 1 : i32
// CHECK:         %[[MANY:.*]] = arith.cmpi sgt, %[[N]], %[[ONE]] : i32
// CHECK:         scf.if %[[MANY]] {
// CHECK:           scf.parallel (%[[I:.*]]) = (%[[LB:.*]]) to (%[[UB:.*]]) step (%[[S:.*]]) {
// CHECK:             memref.store %{{.*}}, %{{.*}}[%[[I]]]
// CHECK:             scf.reduce
// CHECK:         } else {
// CHECK:           scf.for %[[J:.*]] = %[[LB]] to %[[UB]] step %[[S]] {
// CHECK-NEXT:        memref.store %{{.*}}, %{{.*}}[%[[J]]]
// CHECK-NOT:       nnc.parallel
// CHECK:       func.func @other
// CHECK:         call @nnc_threads()
func.func @rows(%out: memref<64xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    memref.store %x, %out[%i] : memref<64xf32>
  } {nnc.parallel}
  return
}
func.func @other(%out: memref<64xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    memref.store %x, %out[%i] : memref<64xf32>
  } {nnc.parallel}
  return
}

// -----

// A marked loop inside another marked loop stays sequential (a parallel
// region within one would only add fork-join overhead); unmarked loops and
// loops that carry values are left alone, and a module with nothing to
// parallelize declares nothing.
// CHECK-LABEL: func.func @nested
// CHECK:         scf.if
// CHECK:           scf.parallel
// CHECK:             scf.for
// CHECK-NOT:           scf.parallel
// CHECK:         } else {
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK-NOT:   scf.if
// CHECK-NOT:   nnc.parallel
func.func @nested(%out: memref<8x8xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      memref.store %x, %out[%i, %j] : memref<8x8xf32>
    } {nnc.parallel}
  } {nnc.parallel}
  return
}

// -----

// CHECK-NOT: nnc_threads
// CHECK-LABEL: func.func @sequential
// CHECK-NOT:     scf.if
// CHECK:         scf.for
// CHECK-NOT:     scf.parallel
func.func @sequential(%out: memref<64xf32>, %x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %s = scf.for %i = %c0 to %c64 step %c1 iter_args(%acc = %x) -> f32 {
    %y = arith.addf %acc, %x : f32
    scf.yield %y : f32
  } {nnc.parallel}
  scf.for %i = %c0 to %c64 step %c1 {
    memref.store %x, %out[%i] : memref<64xf32>
  }
  return %s : f32
}

// -----

// A loop over the batch marked with the points of one iteration runs on
// threads only when the trip count times those reaches 4096.
// CHECK-LABEL: func.func @batch
// CHECK-SAME:    (%{{.*}}: memref<?x32xf32>, %{{.*}}: f32, %[[N:.*]]: index)
// CHECK:         %[[T:.*]] = call @nnc_threads() : () -> i32
// CHECK:         %[[MANY:.*]] = arith.cmpi sgt, %[[T]], %{{.*}} : i32
// CHECK:         %[[SPAN:.*]] = arith.subi %[[N]], %{{.*}} : index
// CHECK:         %[[TRIPS:.*]] = arith.ceildivsi %[[SPAN]], %{{.*}} : index
// CHECK:         %[[PER:.*]] = arith.constant 32 : index
// CHECK:         %[[ALL:.*]] = arith.muli %[[TRIPS]], %[[PER]] : index
// CHECK:         %[[MIN:.*]] = arith.constant 4096 : index
// CHECK:         %[[BIG:.*]] = arith.cmpi sge, %[[ALL]], %[[MIN]] : index
// CHECK:         %[[BOTH:.*]] = arith.andi %[[MANY]], %[[BIG]] : i1
// CHECK:         scf.if %[[BOTH]] {
// CHECK:           scf.parallel
// CHECK:         } else {
// CHECK:           scf.for
func.func @batch(%out: memref<?x32xf32>, %x: f32, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    memref.store %x, %out[%i, %c0] : memref<?x32xf32>
  } {nnc.parallel = 32 : i64}
  return
}

// -----

// A marked loop inside a marked loop that carries values (which stays
// sequential) is the outermost parallel one.
// CHECK-LABEL: func.func @inside_carrying
// CHECK:         scf.for {{.*}} iter_args
// CHECK:           scf.if
// CHECK:             scf.parallel
func.func @inside_carrying(%out: memref<8x8xf32>, %x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %s = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %x) -> f32 {
    scf.for %j = %c0 to %c8 step %c1 {
      memref.store %acc, %out[%i, %j] : memref<8x8xf32>
    } {nnc.parallel}
    %y = arith.addf %acc, %x : f32
    scf.yield %y : f32
  } {nnc.parallel}
  return %s : f32
}

// -----

// A marked loop of 3 iterations (the rows of a 3 x 3 filter gradient's
// kernel) holding a static loop alone is coalesced with it first: 9
// iterations, 5:4 on two threads rather than 2:1. The serial copy is the
// same coalesced loop.
// CHECK-LABEL: func.func @few_rows
// CHECK:         scf.if %{{.*}} {
// CHECK:           scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[C9:.*]]) step (%{{.*}}) {
// CHECK:             %[[R:.*]]:2 = affine.delinearize_index %[[I]] into (3, 3) : index, index
// CHECK:             memref.store %{{.*}}, %{{.*}}[%[[R]]#0, %[[R]]#1]
// CHECK:         } else {
// CHECK:           scf.for %{{.*}} = %{{.*}} to %[[C9]] step %{{.*}} {
// CHECK-NOT:         scf.for
// CHECK:             affine.delinearize_index
// CHECK:         return
// Not coalesced: 8 iterations are enough, and a loop whose body holds more
// than the inner loop is not a perfect nest.
// CHECK-LABEL: func.func @enough_rows
// CHECK:           scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK:             scf.for
// CHECK-LABEL: func.func @not_perfect
// CHECK:           scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK:             memref.store
// CHECK:             scf.for
func.func @few_rows(%out: memref<3x3xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.for %i = %c0 to %c3 step %c1 {
    scf.for %j = %c0 to %c3 step %c1 {
      memref.store %x, %out[%i, %j] : memref<3x3xf32>
    }
  } {nnc.parallel}
  return
}
func.func @enough_rows(%out: memref<8x3xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c3 step %c1 {
      memref.store %x, %out[%i, %j] : memref<8x3xf32>
    }
  } {nnc.parallel}
  return
}
func.func @not_perfect(%out: memref<3x4xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.for %i = %c0 to %c3 step %c1 {
    memref.store %x, %out[%i, %c3] : memref<3x4xf32>
    scf.for %j = %c0 to %c3 step %c1 {
      memref.store %x, %out[%i, %j] : memref<3x4xf32>
    }
  } {nnc.parallel}
  return
}

// -----

// An op tagged nnc.threads_only (a prefetch for writing) stays, untagged,
// in the parallel copy and is erased from the loop that runs on one thread.
// CHECK-LABEL: func.func @threads_only
// CHECK:         scf.parallel
// CHECK:           memref.prefetch %{{.*}}[%{{.*}}], write, locality<3>, data :
// CHECK-NOT:       nnc.threads_only
// CHECK:         } else {
// CHECK:           scf.for
// CHECK-NOT:         memref.prefetch
// CHECK:             memref.store
// CHECK:         return
func.func @threads_only(%out: memref<64xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    "memref.prefetch"(%out, %i) <{isDataCache = true, isWrite = true, localityHint = 3 : i32}> {nnc.threads_only} : (memref<64xf32>, index) -> ()
    memref.store %x, %out[%i] : memref<64xf32>
  } {nnc.parallel}
  return
}

// -----

// With no marked loop, tagged ops go too.
// CHECK-LABEL: func.func @threads_only_serial
// CHECK-NOT:     memref.prefetch
// CHECK:         memref.store
func.func @threads_only_serial(%out: memref<64xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  "memref.prefetch"(%out, %c0) <{isDataCache = true, isWrite = true, localityHint = 3 : i32}> {nnc.threads_only} : (memref<64xf32>, index) -> ()
  memref.store %x, %out[%c0] : memref<64xf32>
  return
}
