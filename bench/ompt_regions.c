//===- ompt_regions.c - Where the threads of a step spend their time ------===//
//
// An OpenMP tool (OMPT, loaded by libomp from OMP_TOOL_LIBRARIES) that
// times every parallel region of a `--parallel` object: per region (by the
// call site that forks it, in the order first seen), the mean wall time
// from fork to join, the mean time each of the first two threads spends in
// its share of the worksharing loop, and the mean serial time between the
// previous region's join and this region's fork. What the threads do not
// spend in their share is waiting: for the other thread (imbalance) or for
// the fork and join themselves. Printed to standard error at exit:
//
//   ninja -C build nnc-ompt-regions
//   OMP_TOOL_LIBRARIES=build/lib/libnnc-ompt-regions.so KMP_WARNINGS=0 \
//     build/bin/nnc-bench --threads 2 mlp:step:256
//
// The figures are means over every call; timing adds two clock reads per
// region and thread (about 50 ns each). "Thread 0" is the first thread to
// start a share of work, usually the one that forks. (KMP_WARNINGS=0
// silences libomp's note that MLIR's OpenMP lowering does not say which
// kind of worksharing its loops are.)
//
//===----------------------------------------------------------------------===//

#include <omp-tools.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum { kMaxRegions = 256, kThreads = 2 };

typedef struct {
  const void *site;
  long calls;
  double wall, serialBefore;
  double work[kThreads];
  /// Iterations of the worksharing loop, as OMPT reports them at its start
  /// (the loop's trip count, which tells the loops of a step apart).
  uint64_t iterations;
} Region;

static Region regions[kMaxRegions];
static int numRegions;
static int current = -1;
static double forkTime, lastJoin;
static atomic_int threadsSeen;
static _Thread_local int threadIndex = -1;
static _Thread_local double workStart;

static double nowUs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

/// The region forked at `site`, added when new (the last slot collects any
/// beyond kMaxRegions).
static int regionAt(const void *site) {
  for (int i = 0; i < numRegions; ++i)
    if (regions[i].site == site)
      return i;
  if (numRegions == kMaxRegions)
    return kMaxRegions - 1;
  regions[numRegions].site = site;
  return numRegions++;
}

static void onParallelBegin(ompt_data_t *task, const ompt_frame_t *frame,
                            ompt_data_t *parallel, unsigned int requested,
                            int flags, const void *site) {
  (void)task, (void)frame, (void)parallel, (void)requested, (void)flags;
  current = regionAt(site);
  forkTime = nowUs();
  if (lastJoin > 0)
    regions[current].serialBefore += forkTime - lastJoin;
}

static void onParallelEnd(ompt_data_t *parallel, ompt_data_t *task, int flags,
                          const void *site) {
  (void)parallel, (void)task, (void)flags, (void)site;
  lastJoin = nowUs();
  regions[current].wall += lastJoin - forkTime;
  regions[current].calls++;
}

static void onWork(ompt_work_t kind, ompt_scope_endpoint_t endpoint,
                   ompt_data_t *parallel, ompt_data_t *task, uint64_t count,
                   const void *site) {
  (void)kind, (void)parallel, (void)task, (void)site;
  if (threadIndex < 0)
    threadIndex = atomic_fetch_add(&threadsSeen, 1);
  if (endpoint == ompt_scope_begin) {
    if (current >= 0 && threadIndex == 0)
      regions[current].iterations = count;
    workStart = nowUs();
    return;
  }
  if (current >= 0 && threadIndex < kThreads)
    regions[current].work[threadIndex] += nowUs() - workStart;
}

static int initialize(ompt_function_lookup_t lookup, int device,
                      ompt_data_t *data) {
  (void)device, (void)data;
  ompt_set_callback_t set =
      (ompt_set_callback_t)lookup("ompt_set_callback");
  set(ompt_callback_parallel_begin, (ompt_callback_t)onParallelBegin);
  set(ompt_callback_parallel_end, (ompt_callback_t)onParallelEnd);
  set(ompt_callback_work, (ompt_callback_t)onWork);
  return 1;
}

static void finalize(ompt_data_t *data) {
  (void)data;
  fprintf(stderr, "region      calls   wall us  thread0 us  thread1 us  "
                  "serial before us  iterations\n");
  for (int i = 0; i < numRegions; ++i) {
    const Region *r = &regions[i];
    if (!r->calls)
      continue;
    double n = (double)r->calls;
    fprintf(stderr, "%6d %10ld %9.2f %11.2f %11.2f %17.2f %11llu\n", i,
            r->calls, r->wall / n, r->work[0] / n, r->work[1] / n,
            r->serialBefore / n, (unsigned long long)r->iterations);
  }
}

ompt_start_tool_result_t *ompt_start_tool(unsigned int version,
                                          const char *runtime) {
  (void)version, (void)runtime;
  static ompt_start_tool_result_t result = {initialize, finalize, {0}};
  return &result;
}
