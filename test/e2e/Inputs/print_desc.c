/* Prints a compiled model's descriptor, one parameter per line, for lit
 * tests. Compile with -DDESC=nnc_<Model>_desc and the generated header
 * included (-include). */
#include <stdio.h>

int main(void) {
  const nnc_model_desc *d = &DESC;
  printf("model %s abi %u params %lld size %lld\n", d->name,
         (unsigned)d->abi_version, (long long)d->num_params,
         (long long)d->param_size);
  for (int64_t i = 0; i < d->num_params; ++i) {
    const nnc_param_desc *p = &d->params[i];
    printf("%s [", p->name);
    for (int32_t r = 0; r < p->rank; ++r)
      printf(r ? " %lld" : "%lld", (long long)p->shape[r]);
    printf("] init %d fan %lld %lld trainable %d at %lld blocks %d\n",
           (int)p->init, (long long)p->fan_in, (long long)p->fan_out,
           (int)p->trainable, (long long)p->offset, (int)p->column_blocks);
  }
  if (d->train)
    printf("train batch %lld epochs %lld augment flip %d shift %d\n",
           (long long)d->train->batch, (long long)d->train->epochs,
           (int)d->train->augment_flip, (int)d->train->augment_shift);
  return 0;
}
