// RUN: nnc-opt %s --nnc-thread-count | FileCheck %s

// nnc-thread-count: every omp.parallel runs on nnc_threads() threads, a
// function the pass defines (NNC_THREADS, read once and cached). A region
// in a function that already read the count at its entry (nnc-parallelize-
// tiles does, to branch around its parallel loops) reuses that value.

// CHECK-LABEL: llvm.func @entry_count(
// CHECK:         %[[N:.*]] = llvm.call @nnc_threads() : () -> i32
// CHECK-NOT:     llvm.call @nnc_threads
// CHECK:         omp.parallel num_threads(%[[N]] : i32)
// CHECK-NOT:     llvm.call @nnc_threads
// CHECK:         omp.parallel num_threads(%[[N]] : i32)
// CHECK:         llvm.return
llvm.func @nnc_threads() -> i32
llvm.func @entry_count(%ptr: !llvm.ptr) {
  %n = llvm.call @nnc_threads() : () -> i32
  %c = llvm.mlir.constant(1 : i32) : i32
  %many = llvm.icmp "sgt" %n, %c : i32
  llvm.cond_br %many, ^par, ^done
^par:
  omp.parallel {
    omp.terminator
  }
  omp.parallel {
    omp.terminator
  }
  llvm.br ^done
^done:
  llvm.return
}

// Without such a call, each region calls nnc_threads() itself.
// CHECK-LABEL: llvm.func @no_entry_count(
// CHECK:         %[[M:.*]] = llvm.call @nnc_threads() : () -> i32
// CHECK-NEXT:    omp.parallel num_threads(%[[M]] : i32)
llvm.func @no_entry_count() {
  omp.parallel {
    omp.terminator
  }
  llvm.return
}

// The definition: the cached count, else NNC_THREADS through getenv and
// atoi, 1 unless positive.
// CHECK-LABEL: llvm.func linkonce_odr @nnc_threads() -> i32
// CHECK:         llvm.mlir.addressof @nnc_threads.count
// CHECK:         llvm.call @getenv(
// CHECK:         llvm.call @atoi(
