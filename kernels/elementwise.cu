// Recipe 8.4: element-wise kernels. `for_each_index` is the generic part: a
// grid-stride loop that calls any operation once per index. Each `extern "C"`
// kernel instantiates it with a lambda, at compile time (C++ templates), so the
// PTX holds one specialised loop per kernel.

template <typename Operation>
__device__ void for_each_index(unsigned int n, Operation operation)
{
    // A grid smaller than the data still covers it: each thread strides on.
    for (unsigned int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += blockDim.x * gridDim.x) {
        operation(i);
    }
}

// y = a * x + y, in place (BLAS's SAXPY).
extern "C" __global__ void saxpy(float a, const float *x, float *y, unsigned int n)
{
    for_each_index(n, [=](unsigned int i) { y[i] = a * x[i] + y[i]; });
}

// z = sqrt(x^2 + y^2), the distance of each point (x, y) from the origin.
extern "C" __global__ void radius(const float *x, const float *y, float *z,
                                    unsigned int n)
{
    for_each_index(n, [=](unsigned int i) { z[i] = sqrtf(x[i] * x[i] + y[i] * y[i]); });
}
