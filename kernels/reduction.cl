// Recipe 8.5: the dot product as a map (x * y) and a reduction (+), two ways;
// the OpenCL twin of reduction.cu.

// Naive: one launch per level of a tree kept in global memory.
__kernel void multiply(__global const float *x, __global const float *y,
                       __global float *products, const uint n)
{
    const size_t i = get_global_id(0);
    if (i < n) {
        products[i] = x[i] * y[i];
    }
}

__kernel void add_halves(__global float *values, const uint len)
{
    const uint upper = (len + 1) / 2; // where the upper part starts
    const size_t i = get_global_id(0);
    if (i < len - upper) {
        values[i] += values[i + upper];
    }
}

// Tree in local memory: one launch, one partial sum per work-group. The local
// size must be a power of two; the host sizes `sums` (one float per work-item).
__kernel void dot_partial(__global const float *x, __global const float *y,
                          __global float *partial, const uint n,
                          __local float *sums)
{
    const size_t tid = get_local_id(0);
    // Each work-group takes one contiguous chunk; its work-items read it in
    // step, neighbours reading neighbouring elements.
    const size_t chunk = (n + get_num_groups(0) - 1) / get_num_groups(0);
    const size_t start = get_group_id(0) * chunk;
    const size_t end = min(start + chunk, (size_t)n);
    float sum = 0.0f;
    for (size_t i = start + tid; i < end; i += get_local_size(0)) {
        sum += x[i] * y[i];
    }
    sums[tid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t stride = get_local_size(0) / 2; stride > 0; stride /= 2) {
        if (tid < stride) {
            sums[tid] += sums[tid + stride];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (tid == 0) {
        partial[get_group_id(0)] = sums[0];
    }
}
