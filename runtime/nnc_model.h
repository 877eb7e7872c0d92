/*===- nnc_model.h - C ABI shared by generated code and runtime ---*- C -*-===*
 *
 * The data types through which a compiled model describes itself. Every
 * object file nnc writes exports one `nnc_model_desc` per model (symbol
 * `nnc_<Model>_desc`); generated headers embed this file's text verbatim, and
 * the runtime includes it, so both sides agree on one definition. Plain C99,
 * no includes beyond <stdint.h>, so any language with a C FFI can read it.
 *
 * Tensors are dense, row-major and f32. Per-example shapes exclude the batch
 * dimension, which the caller chooses at run time. Parameter offsets count
 * elements (not bytes) from the start of the model's flat parameter buffer.
 *
 *===----------------------------------------------------------------------===*/

#ifndef NNC_MODEL_ABI_H
#define NNC_MODEL_ABI_H

#include <stdint.h>

/* Bumped whenever the layout of the structs below changes. */
#define NNC_ABI_VERSION 1

/* How the runtime fills a parameter tensor before training. */
typedef enum nnc_init_kind {
  NNC_INIT_ZEROS = 0,
  NNC_INIT_ONES = 1,
  NNC_INIT_XAVIER_UNIFORM = 2, /* U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
  NNC_INIT_HE_UNIFORM = 3      /* U(-a, a), a = sqrt(6 / fan_in) */
} nnc_init_kind;

typedef struct nnc_param_desc {
  const char *name;     /* e.g. "h.weight" */
  int32_t rank;
  const int64_t *shape; /* rank entries */
  int64_t offset;       /* in elements, from the start of the buffer */
  int64_t size;         /* number of elements */
  int32_t init;         /* an nnc_init_kind */
  int64_t fan_in;
  int64_t fan_out;
} nnc_param_desc;

typedef struct nnc_tensor_desc {
  const char *name;     /* the model's argument name, or "output" */
  int32_t rank;         /* per-example rank (batch dimension excluded) */
  const int64_t *shape; /* rank entries */
  int64_t size;         /* elements per example */
} nnc_tensor_desc;

typedef struct nnc_model_desc {
  uint32_t abi_version; /* NNC_ABI_VERSION of the compiler that wrote it */
  const char *name;     /* the model's name in the .nn file */
  int64_t num_params;   /* entries in `params` */
  const nnc_param_desc *params;
  int64_t param_size;   /* total elements of the parameter buffer */
  int64_t num_inputs;
  const nnc_tensor_desc *inputs;
  const nnc_tensor_desc *output;
} nnc_model_desc;

#endif /* NNC_MODEL_ABI_H */
