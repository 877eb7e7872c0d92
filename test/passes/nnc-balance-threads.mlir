// RUN: nnc-opt %s --nnc-balance-threads --split-input-file | FileCheck %s

// A region that is one worksharing loop over one index runs over thread
// slots, min(nnc_threads(), 64), instead. Before the fork,
// nnc_split_bounds turns the loop's cuts (a private global of each loop)
// into bounds in a stack buffer, and the cycle counter is read; slot t runs
// [bounds[t], bounds[t + 1]) of the original loop and stores the cycle
// counter; after the join, nnc_split_update moves the cuts. The buffers are
// allocated first in the function, once for all its loops. The two
// functions are defined once, optimised on their own (nnc-segment).
// CHECK:       memref.global "private" @nnc_split{{.*}} : memref<66xf64> = dense<0.000000e+00> {alignment = 64 : i64}
// CHECK:       memref.global "private" @nnc_split{{.*}} : memref<66xf64> = dense<0.000000e+00> {alignment = 64 : i64}
// CHECK-LABEL: func.func @rows
// CHECK-SAME:    (%[[OUT:.*]]: memref<64xf32>, %[[X:.*]]: f32, %[[N:.*]]: index)
// CHECK-NEXT:    %[[BOUNDS:.*]] = memref.alloca() : memref<65xindex>
// CHECK-NEXT:    %[[ENDS:.*]] = memref.alloca() {alignment = 64 : i64} : memref<512xi64>
// CHECK-NOT:     memref.alloca
// CHECK:         %[[T:.*]] = call @nnc_threads() : () -> i32
// CHECK:         scf.if
// CHECK:           %[[CUTS:.*]] = memref.get_global @nnc_split :
// CHECK:           %[[T_INDEX:.*]] = arith.index_cast %[[T]] : i32 to index
// CHECK:           %[[SLOTS:.*]] = arith.minui %[[T_INDEX]], %{{.*}} : index
// CHECK:           call @nnc_split_bounds(%[[CUTS]], %[[BOUNDS]], %[[SLOTS]], %{{.*}}, %[[N]], %{{.*}})
// CHECK:           %[[START:.*]] = llvm.call_intrinsic "llvm.readcyclecounter"() : () -> i64
// CHECK:           omp.parallel {
// CHECK-NEXT:        omp.wsloop nowait {
// CHECK-NEXT:          omp.loop_nest (%[[SLOT:.*]]) : index = (%{{.*}}) to (%[[SLOTS]]) step (%{{.*}}) {
// CHECK-NEXT:            %[[FROM:.*]] = memref.load %[[BOUNDS]][%[[SLOT]]]
// CHECK-NEXT:            %[[NEXT:.*]] = arith.addi %[[SLOT]]
// CHECK-NEXT:            %[[TO:.*]] = memref.load %[[BOUNDS]][%[[NEXT]]]
// CHECK-NEXT:            scf.for %[[I:.*]] = %[[FROM]] to %[[TO]] step %{{.*}} {
// CHECK-NEXT:              memref.store %[[X]], %[[OUT]][%[[I]]]
// CHECK-NEXT:            }
// CHECK-NEXT:            %[[END:.*]] = llvm.call_intrinsic "llvm.readcyclecounter"() : () -> i64
// CHECK-NEXT:            %[[EIGHT:.*]] = arith.constant 8 : index
// CHECK-NEXT:            %[[AT:.*]] = arith.muli %[[SLOT]], %[[EIGHT]]
// CHECK-NEXT:            memref.store %[[END]], %[[ENDS]][%[[AT]]] : memref<512xi64>
// CHECK-NEXT:            omp.yield
// CHECK:           call @nnc_split_update(%[[CUTS]], %[[BOUNDS]], %[[ENDS]], %[[SLOTS]], %[[START]])
// CHECK:         scf.if
// CHECK:           memref.get_global @nnc_split_0 :
// CHECK:           omp.parallel
//
// Bounds: lower, then lower + round(cut * trips) * step (the stored cut
// when cuts[0] holds the slot count, t / slots otherwise), clamped to
// [0, 1], non-decreasing and at most upper; upper last.
// CHECK-LABEL: func.func private @nnc_split_bounds
// CHECK-SAME:    (%[[C:.*]]: memref<66xf64>, %[[B:.*]]: memref<65xindex>, %[[S:.*]]: index, %[[LO:.*]]: index, %[[HI:.*]]: index, %[[STEP:.*]]: index)
// CHECK-SAME:    attributes {passthrough = ["noinline", "nnc-segment"]}
// CHECK:         %[[KNOWN:.*]] = arith.cmpf oeq
// CHECK:         memref.store %[[LO]], %[[B]]
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %[[S]] {{.*}} iter_args(%[[PREV:.*]] = %[[LO]])
// CHECK:           arith.select %[[KNOWN]]
// CHECK:           arith.maxnumf
// CHECK:           arith.minnumf
// CHECK:           arith.fptosi
// CHECK:           %[[UP:.*]] = arith.maxsi %{{.*}}, %[[PREV]]
// CHECK:           %[[BOUND:.*]] = arith.minsi %[[UP]], %[[HI]]
// CHECK:           memref.store %[[BOUND]], %[[B]][%[[I]]]
// CHECK:         memref.store %[[HI]], %[[B]][%[[S]]]
//
// Update: speeds from the bounds and the finishing times, each kept beside
// its slot's time; when any slot was measured, the shares move towards the
// clamped relative speeds (kept in the speeds' place), and cuts[1] = 0,
// cuts[0] = slots.
// CHECK-LABEL: func.func private @nnc_split_update
// CHECK-SAME:    (%[[C:.*]]: memref<66xf64>, %[[B:.*]]: memref<65xindex>, %[[E:.*]]: memref<512xi64>, %[[S:.*]]: index, %[[T0:.*]]: i64)
// CHECK:         scf.for
// CHECK:           memref.load %[[E]]
// CHECK:           arith.subi %{{.*}}, %[[T0]] : i64
// CHECK:           %[[SPEED:.*]] = arith.bitcast %{{.*}} : f64 to i64
// CHECK:           memref.store %[[SPEED]], %[[E]]
// CHECK:         scf.if
// CHECK:           scf.for
// CHECK:             arith.maxnumf
// CHECK:             arith.minnumf
// CHECK:             %[[REL:.*]] = arith.bitcast %{{.*}} : f64 to i64
// CHECK:             memref.store %[[REL]], %[[E]]
// CHECK:           scf.for
// CHECK:             memref.load %[[E]]
// CHECK-NOT:         arith.maxnumf
// CHECK:             memref.store %{{.*}}, %[[C]][%{{.*}}] : memref<66xf64>
// CHECK:           memref.store %{{.*}}, %[[C]][%{{.*}}] : memref<66xf64>
// CHECK:           memref.store %{{.*}}, %[[C]][%{{.*}}] : memref<66xf64>
func.func private @nnc_threads() -> i32
func.func @rows(%out: memref<64xf32>, %x: f32, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  %t = call @nnc_threads() : () -> i32
  %many = arith.cmpi sgt, %t, %one : i32
  scf.if %many {
    omp.parallel {
      omp.wsloop nowait {
        omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
          memref.store %x, %out[%i] : memref<64xf32>
          omp.yield
        }
      }
      omp.terminator
    }
  }
  scf.if %many {
    omp.parallel {
      omp.wsloop nowait {
        omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
          memref.store %x, %out[%i] : memref<64xf32>
          omp.yield
        }
      }
      omp.terminator
    }
  }
  return
}

// -----

// Left alone: a loop nest over two indices, a region with more than its
// worksharing loop, and a loop whose bound the region computes.
// CHECK-NOT:   nnc_split
// CHECK-LABEL: func.func @other_regions
// CHECK-NOT:     memref.alloca
// CHECK-NOT:     readcyclecounter
// CHECK:         omp.loop_nest (%{{.*}}, %{{.*}}) : index = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}})
// CHECK:         omp.loop_nest (%{{.*}}) : index = (%{{.*}}) to (%{{.*}})
// CHECK:         omp.loop_nest (%{{.*}}) : index = (%{{.*}}) to (%{{.*}})
func.func private @nnc_threads() -> i32
func.func @other_regions(%out: memref<8x8xf32>, %x: f32, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %t = call @nnc_threads() : () -> i32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i, %j) : index = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
        memref.store %x, %out[%i, %j] : memref<8x8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c8) step (%c1) {
        memref.store %x, %out[%i, %i] : memref<8x8xf32>
        omp.yield
      }
    }
    memref.store %x, %out[%c0, %c0] : memref<8x8xf32>
    omp.terminator
  }
  omp.parallel {
    %m = arith.addi %n, %c1 : index
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%m) step (%c1) {
        memref.store %x, %out[%i, %i] : memref<8x8xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
