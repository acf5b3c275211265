// Recipe 8.7 (and 8.9): c = a + b, one work-item per element; the OpenCL twin
// of vector_add.cu.
__kernel void vector_add(__global const float *a, __global const float *b,
                         __global float *c, const uint n)
{
    const size_t i = get_global_id(0);
    // The global size is a whole number of work-groups, so it may exceed n.
    if (i < n) {
        c[i] = a[i] + b[i];
    }
}
