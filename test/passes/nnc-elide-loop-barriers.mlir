// RUN: nnc-opt %s --nnc-elide-loop-barriers | FileCheck %s

// nnc-elide-loop-barriers: a worksharing loop that ends its parallel region
// needs no barrier of its own (the region's end joins the threads); one
// with reductions, or with work after it in the region, keeps it.

// CHECK-LABEL: func.func @last(
// CHECK:         omp.parallel {
// CHECK-NEXT:      omp.wsloop nowait {
func.func @last(%m: memref<64xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %v, %m[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// CHECK-LABEL: func.func @then_more(
// CHECK:         omp.wsloop {
// CHECK:         omp.wsloop nowait {
func.func @then_more(%m: memref<64xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %v, %m[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %x = memref.load %m[%i] : memref<64xf32>
        %y = arith.addf %x, %v : f32
        memref.store %y, %m[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

omp.declare_reduction @add : f32 init {
^bb0(%arg0: f32):
  %0 = llvm.mlir.constant(0.000000e+00 : f32) : f32
  omp.yield(%0 : f32)
} combiner {
^bb0(%arg0: f32, %arg1: f32):
  %0 = arith.addf %arg0, %arg1 : f32
  omp.yield(%0 : f32)
}

// CHECK-LABEL: func.func @sum(
// CHECK:         omp.wsloop reduction(
// CHECK-NOT:     nowait
func.func @sum(%m: memref<64xf32>, %acc: !llvm.ptr) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  omp.parallel {
    omp.wsloop reduction(@add %acc -> %r : !llvm.ptr) {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %x = memref.load %m[%i] : memref<64xf32>
        %s = llvm.load %r : !llvm.ptr -> f32
        %t = arith.addf %s, %x : f32
        llvm.store %t, %r : f32, !llvm.ptr
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
