/* Calls the C interface of model Lin (object-and-header.nn) from C: with
 * weight [[1, 2], [3, 4]] and bias [0.5, -0.5], x = [1, 1] gives
 * [4.5, 5.5] and x = [2, 2] gives [8.5, 11.5]. */
#include <stdio.h>
#include <string.h>

int main(void) {
  float params[NNC_Lin_PARAM_SIZE];
  const nnc_param_desc *w = &nnc_Lin_desc.params[0];
  const nnc_param_desc *b = &nnc_Lin_desc.params[1];
  const float weight[] = {1, 2, 3, 4}, bias[] = {0.5f, -0.5f};
  const float x[] = {1, 1, 2, 2};
  float y[4];
  memset(params, 0, sizeof params);
  if (strcmp(w->name, "output.weight") || strcmp(b->name, "output.bias"))
    return 1;
  memcpy(params + w->offset, weight, sizeof weight);
  memcpy(params + b->offset, bias, sizeof bias);
  nnc_Lin_forward(params, x, 2, y);
  printf("%.4f %.4f\n%.4f %.4f\n", y[0], y[1], y[2], y[3]);
  return 0;
}
