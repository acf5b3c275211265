// Recipe 8.8: the Black-Scholes price of European call options, one work-item
// per option. A pure element-wise expression, but a heavy one: a logarithm,
// a square root, three exponentials and about fifty other operations per
// element, so the device computes far more than it moves.

// The standard normal cumulative distribution: the polynomial approximation
// 26.2.17 of Abramowitz and Stegun, absolute error below 7.5e-8.
float normal_cdf(const float x)
{
    const float k = 1.0f / (1.0f + 0.2316419f * fabs(x));
    const float poly =
        k * (0.319381530f +
             k * (-0.356563782f + k * (1.781477937f + k * (-1.821255978f + k * 1.330274429f))));
    const float tail = 0.39894228f * exp(-0.5f * x * x) * poly;
    return x >= 0.0f ? 1.0f - tail : tail;
}

__kernel void black_scholes(__global const float *spot, __global const float *strike,
                            __global const float *years, __global float *call,
                            const float rate, const float volatility, const uint n)
{
    const size_t i = get_global_id(0);
    if (i < n) {
        const float s = spot[i], k = strike[i], t = years[i];
        const float v_sqrt_t = volatility * sqrt(t);
        const float d1 = (log(s / k) + (rate + 0.5f * volatility * volatility) * t) / v_sqrt_t;
        const float d2 = d1 - v_sqrt_t;
        call[i] = s * normal_cdf(d1) - k * exp(-rate * t) * normal_cdf(d2);
    }
}
