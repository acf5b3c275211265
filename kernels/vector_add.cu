// Recipe 8.3 (and 8.9): c = a + b, one thread per element.
// `extern "C"` keeps the name unmangled, so the host finds it as "vector_add".
extern "C" __global__ void vector_add(const float *a, const float *b, float *c,
                                      unsigned int n)
{
    unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
    // The grid is a whole number of blocks, so the last block may run past n.
    if (i < n) {
        c[i] = a[i] + b[i];
    }
}
