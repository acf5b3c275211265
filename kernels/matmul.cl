// Recipe 8.6: c = a * b for square row-major n x n matrices, two ways; the
// OpenCL twin of matmul.cu. Dimension 0 is the column, dimension 1 the row.

#define TILE 16

__kernel void matmul_naive(__global const float *a, __global const float *b,
                           __global float *c, const uint n)
{
    const size_t col = get_global_id(0);
    const size_t row = get_global_id(1);
    if (row < n && col < n) {
        float sum = 0.0f;
        for (uint k = 0; k < n; ++k) {
            sum += a[row * n + k] * b[k * n + col];
        }
        c[row * n + col] = sum;
    }
}

// Work-groups must be TILE x TILE.
__kernel void matmul_tiled(__global const float *a, __global const float *b,
                           __global float *c, const uint n)
{
    __local float a_tile[TILE][TILE];
    __local float b_tile[TILE][TILE];
    const size_t tx = get_local_id(0), ty = get_local_id(1);
    const size_t col = get_global_id(0), row = get_global_id(1);
    float sum = 0.0f;
    for (uint start = 0; start < n; start += TILE) {
        a_tile[ty][tx] = (row < n && start + tx < n) ? a[row * n + start + tx] : 0.0f;
        b_tile[ty][tx] = (start + ty < n && col < n) ? b[(start + ty) * n + col] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint k = 0; k < TILE; ++k) {
            sum += a_tile[ty][k] * b_tile[k][tx];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row < n && col < n) {
        c[row * n + col] = sum;
    }
}
