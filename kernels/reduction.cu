// Recipe 8.5: the dot product as a map (x * y) and a reduction (+), two ways.

// Naive: a map into global memory, then one launch per level of a tree kept
// there. First the products, one thread per element:
extern "C" __global__ void multiply(const float *x, const float *y, float *products,
                                   unsigned int n)
{
    unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        products[i] = x[i] * y[i];
    }
}

// Then one level of the tree: add the upper part of the first `len` values
// onto the lower part (for an odd `len` the middle value stays for the next
// level). The host launches it about log2(n) times, until one value is left.
extern "C" __global__ void add_halves(float *values, unsigned int len)
{
    unsigned int upper = (len + 1) / 2; // where the upper part starts
    unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < len - upper) {
        values[i] += values[i + upper];
    }
}

// Tree in shared memory: one launch. Each thread first accumulates its share
// of the products, then the block halves its partial sums in fast on-chip
// shared memory, with a barrier between the steps. One partial sum per block
// goes back to global memory. blockDim.x must be a power of two;
// the launch gives the shared memory size (blockDim.x floats).
extern "C" __global__ void dot_partial(const float *x, const float *y, float *partial,
                                      unsigned int n)
{
    extern __shared__ float sums[];
    unsigned int tid = threadIdx.x;
    // Each block takes one contiguous chunk; its threads read it in step,
    // neighbours reading neighbouring elements (coalesced loads).
    unsigned int chunk = (n + gridDim.x - 1) / gridDim.x;
    unsigned int start = blockIdx.x * chunk;
    unsigned int end = min(start + chunk, n);
    float sum = 0.0f;
    for (unsigned int i = start + tid; i < end; i += blockDim.x) {
        sum += x[i] * y[i];
    }
    sums[tid] = sum;
    __syncthreads();
    for (unsigned int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (tid < stride) {
            sums[tid] += sums[tid + stride];
        }
        __syncthreads();
    }
    if (tid == 0) {
        partial[blockIdx.x] = sums[0];
    }
}
