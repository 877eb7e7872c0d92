// nnc-balance-threads, run: a parallel loop whose first half costs 16 times
// as much per iteration as its second half (about 0.7 ms against 45 us
// here; a call takes 12 ms on 2 threads, long enough to average over the
// scheduler's time slices when another process shares a CPU, as lit's
// other workers do). Called 24 times on 2 threads, the split moves until
// both threads take as long: thread 0, which runs the first range, ends
// with about 17 of the 64 iterations (half the cost), not 32; 5 to 28
// allows for CPUs up to 4 times as fast as each other. With the pipeline's
// even-split option (`nnc --even-split`) it keeps 32, and on one thread the
// loop runs whole in the caller. Whatever the split, on 1, 2 or 3 threads,
// every iteration runs exactly once per call.
//
// RUN: nnc-opt %s --nnc-lower-to-llvm="parallel=true" > %t.mlir
// RUN: env NNC_THREADS=2 mlir-runner %t.mlir -e main -entry-point-result=void %mlir_runner_libs | FileCheck %s --check-prefix=BALANCED
// RUN: env NNC_THREADS=3 mlir-runner %t.mlir -e main -entry-point-result=void %mlir_runner_libs | FileCheck %s --check-prefix=THREE
// RUN: env NNC_THREADS=1 mlir-runner %t.mlir -e main -entry-point-result=void %mlir_runner_libs | FileCheck %s --check-prefix=ONE
// RUN: nnc-opt %s --nnc-lower-to-llvm="parallel=true even-split=true" | env NNC_THREADS=2 mlir-runner -e main -entry-point-result=void %mlir_runner_libs | FileCheck %s --check-prefix=EVEN
//
// First line: iterations thread 0 ran in the last call; second: iterations
// not run exactly 24 times.
// BALANCED:      {{^([5-9]|1[0-9]|2[0-8])$}}
// BALANCED-NEXT: {{^0$}}
// THREE:         {{^[0-9]+$}}
// THREE-NEXT:    {{^0$}}
// ONE:           {{^64$}}
// ONE-NEXT:      {{^0$}}
// EVEN:          {{^32$}}
// EVEN-NEXT:     {{^0$}}

func.func private @printI64(i64)
func.func private @printNewline()

// Records which thread (by its thread pointer) ran each iteration and counts
// the runs; iterations below 32 are 16 times as costly as the others.
func.func @work(%owner: memref<64xi64>, %count: memref<64xi32>, %sink: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %light = arith.constant 12500 : index
  %heavy = arith.constant 200000 : index
  %one = arith.constant 1 : i32
  scf.for %i = %c0 to %c64 step %c1 {
    %t = llvm.inline_asm has_side_effects "movq %fs:0, $0", "=r" : () -> i64
    memref.store %t, %owner[%i] : memref<64xi64>
    %n = memref.load %count[%i] : memref<64xi32>
    %n1 = arith.addi %n, %one : i32
    memref.store %n1, %count[%i] : memref<64xi32>
    %low = arith.cmpi ult, %i, %c32 : index
    %k = arith.select %low, %heavy, %light : index
    %x0 = memref.load %sink[%i] : memref<64xf32>
    %x = scf.for %j = %c0 to %k step %c1 iter_args(%acc = %x0) -> f32 {
      %s = arith.mulf %acc, %acc : f32
      %y = arith.addf %s, %acc : f32
      %z = arith.mulf %y, %acc : f32
      scf.yield %z : f32
    }
    memref.store %x, %sink[%i] : memref<64xf32>
  } {nnc.parallel}
  return
}

func.func @main() {
  %owner = memref.alloc() : memref<64xi64>
  %self = llvm.inline_asm has_side_effects "movq %fs:0, $0", "=r" : () -> i64
  %count = memref.alloc() : memref<64xi32>
  %sink = memref.alloc() : memref<64xf32>
  %zero = arith.constant 0 : i32
  %half = arith.constant 0.5 : f32
  linalg.fill ins(%zero : i32) outs(%count : memref<64xi32>)
  linalg.fill ins(%half : f32) outs(%sink : memref<64xf32>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %calls = arith.constant 24 : index
  scf.for %r = %c0 to %calls step %c1 {
    func.call @work(%owner, %count, %sink) : (memref<64xi64>, memref<64xi32>, memref<64xf32>) -> ()
  }
  // Iterations thread 0 ran in the last call, and iterations not run
  // exactly 24 times.
  %c24 = arith.constant 24 : i32
  %r:2 = scf.for %i = %c0 to %c64 step %c1 iter_args(%first = %zero, %wrong = %zero) -> (i32, i32) {
    %t = memref.load %owner[%i] : memref<64xi64>
    %n = memref.load %count[%i] : memref<64xi32>
    %is0 = arith.cmpi eq, %t, %self : i64
    %bad = arith.cmpi ne, %n, %c24 : i32
    %a = arith.extui %is0 : i1 to i32
    %b = arith.extui %bad : i1 to i32
    %f = arith.addi %first, %a : i32
    %w = arith.addi %wrong, %b : i32
    scf.yield %f, %w : i32, i32
  }
  %f64 = arith.extsi %r#0 : i32 to i64
  %w64 = arith.extsi %r#1 : i32 to i64
  func.call @printI64(%f64) : (i64) -> ()
  func.call @printNewline() : () -> ()
  func.call @printI64(%w64) : (i64) -> ()
  func.call @printNewline() : () -> ()
  return
}
