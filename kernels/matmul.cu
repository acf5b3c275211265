// Recipe 8.6: c = a * b for square row-major n x n matrices, two ways.

#define TILE 16

// Naive: each thread computes one element of c from a row of a and a column
// of b, all read from global memory: 2n loads for 2n flops.
extern "C" __global__ void matmul_naive(const float *a, const float *b, float *c,
                                        unsigned int n)
{
    unsigned int row = blockIdx.y * blockDim.y + threadIdx.y;
    unsigned int col = blockIdx.x * blockDim.x + threadIdx.x;
    if (row < n && col < n) {
        float sum = 0.0f;
        for (unsigned int k = 0; k < n; ++k) {
            sum += a[row * n + k] * b[k * n + col];
        }
        c[row * n + col] = sum;
    }
}

// Tiled: a TILE x TILE block of threads loads one tile of a and one of b into
// shared memory, each thread loading one element of each, then every thread
// uses the whole tiles. Each value loaded from global memory serves TILE
// threads. Blocks must be TILE x TILE; elements outside the matrix load as 0.
extern "C" __global__ void matmul_tiled(const float *a, const float *b, float *c,
                                        unsigned int n)
{
    __shared__ float a_tile[TILE][TILE];
    __shared__ float b_tile[TILE][TILE];
    unsigned int tx = threadIdx.x, ty = threadIdx.y;
    unsigned int row = blockIdx.y * TILE + ty;
    unsigned int col = blockIdx.x * TILE + tx;
    float sum = 0.0f;
    for (unsigned int start = 0; start < n; start += TILE) {
        a_tile[ty][tx] = (row < n && start + tx < n) ? a[row * n + start + tx] : 0.0f;
        b_tile[ty][tx] = (start + ty < n && col < n) ? b[(start + ty) * n + col] : 0.0f;
        __syncthreads();  // the tiles are complete
        for (unsigned int k = 0; k < TILE; ++k) {
            sum += a_tile[ty][k] * b_tile[k][tx];
        }
        __syncthreads();  // everyone is done with them before the next load
    }
    if (row < n && col < n) {
        c[row * n + col] = sum;
    }
}
