"""Recipe 2.19, the Python side: the same two jobs as
code/examples/ch02_19_threads_speedup.rs, run with `threading` at 1, 2, 3 and 4
threads, printed in the same table, so the GIL's effect can be reproduced.

Run: python3 code/examples/python/ch02_19_gil.py [--limit 200000 --requests 12 --wait-ms 5 --runs 1]
"""

import argparse
import sys
import threading
import time

THREAD_COUNTS = [1, 2, 3, 4]
BLOCK = 1000  # the CPU-bound job hands out numbers in blocks of this size


def is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


def run_threads(threads, work):
    """Runs work(t) on `threads` threads and returns the sum of their results."""
    results = [0] * threads

    def body(t):
        results[t] = work(t)

    pool = [threading.Thread(target=body, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(results)


def count_primes(limit, threads):
    """CPU-bound: block b of numbers goes to thread b % threads, as in Rust."""
    blocks = -(-limit // BLOCK)

    def work(t):
        return sum(
            1
            for b in range(t, blocks, threads)
            for n in range(b * BLOCK, min((b + 1) * BLOCK, limit))
            if is_prime(n)
        )

    return run_threads(threads, work)


def serve_requests(requests, wait, threads):
    """I/O-bound: sleep stands in for blocking I/O; it releases the GIL."""

    def work(t):
        mine = len(range(t, requests, threads))
        for _ in range(mine):
            time.sleep(wait)
        return mine

    return run_threads(threads, work)


def median_time(runs, job):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - start)
    return result, sorted(times)[runs // 2]  # the same pick as median_time in the Rust listing


def measure(runs, job):
    rows = []
    for threads in THREAD_COUNTS:
        result, seconds = median_time(runs, lambda: job(threads))
        rows.append((threads, result, seconds))
    assert all(row[1] == rows[0][1] for row in rows), "same result at every thread count"
    one_thread = rows[0][2]
    print("threads        time  speedup  efficiency")
    for threads, _, seconds in rows:
        speedup = one_thread / seconds
        time_text = f"{seconds * 1e3:.3f} ms"
        print(f"{threads:>7} {time_text:>11} {speedup:>7.2f}x {100 * speedup / threads:>10.1f}%")


def runs_text(runs):
    return "one run each" if runs == 1 else f"median of {runs} runs"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=200000)
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--wait-ms", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    # The same limits as the Rust listing, so no value runs for minutes.
    limits = {"limit": 1_000_000, "requests": 50, "wait_ms": 20, "runs": 9}
    for name, most in limits.items():
        value = getattr(args, name)
        if not 1 <= value <= most:
            option = "--" + name.replace("_", "-")
            print(f"error: {option} must be between 1 and {most}, not {value}", file=sys.stderr)
            sys.exit(2)

    # sys._is_gil_enabled() exists from Python 3.13; older builds always have the GIL.
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    version = ".".join(map(str, sys.version_info[:3]))
    print(f"Python {version}, GIL {'enabled' if gil else 'disabled'}")

    primes = count_primes(args.limit, 1)
    print(f"CPU-bound: primes below {args.limit}, {primes} found ({runs_text(args.runs)})")
    measure(args.runs, lambda threads: count_primes(args.limit, threads))

    wait = args.wait_ms / 1000
    print(
        f"I/O-bound: {args.requests} requests waiting {args.wait_ms}ms each, "
        f"sleep standing in for blocking I/O ({runs_text(args.runs)})"
    )
    measure(args.runs, lambda threads: serve_requests(args.requests, wait, threads))


if __name__ == "__main__":
    main()
