"""Recipe 6.2, the Python side: a Celery app with the same three tasks as the
Rust worker in code/examples/ch06_02_celery_interop/main.rs, under the same
names.

Worker:   celery -A ch06_celery_app worker --pool solo --loglevel warning
          (run in this folder; CELERY_BROKER_URL picks the Redis server,
          redis://127.0.0.1:6379/0 by default)
Producer: python ch06_02_python_producer.py
"""

import os

from celery import Celery

BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")

app = Celery("cookbook", broker=BROKER, backend=BROKER)
app.conf.update(
    task_serializer="json",  # never pickle: a message must not run code
    accept_content=["json"],
    result_serializer="json",
)


def is_prime(n):
    """Trial division by odd numbers, as is_prime in the Rust worker (ch06_02_celery_interop/main.rs)."""
    if n < 4:
        return n >= 2
    if n % 2 == 0:
        return False
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


# Explicit names: without them Celery names a task after its module
# ("ch06_celery_app.add"), and the Rust side would have to know the file name.
@app.task(name="cookbook.add")
def add(a, b):
    return a + b


@app.task(name="cookbook.divide")
def divide(a, b):
    return a / b


# The most numbers one task may test, as in the Rust worker: a message must not
# keep a worker busy for hours.
MAX_SPAN = 100_000


@app.task(name="cookbook.count_primes")
def count_primes(start, end):
    if not (0 <= start < 2**32 and 0 <= end < 2**32 and end - start <= MAX_SPAN):
        raise ValueError(f"count_primes takes numbers from 0 to {2**32 - 1}, at most {MAX_SPAN} of them")
    return sum(1 for n in range(start, end) if is_prime(n))
