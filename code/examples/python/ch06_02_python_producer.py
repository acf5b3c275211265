"""Recipe 6.2, the Python side: a Celery producer whose tasks a Rust worker
runs. Sends the same five tasks as the Rust producer, by name, and waits for
each result with AsyncResult.get().

Run (in this folder): python ch06_02_python_producer.py
"""

from ch06_celery_app import app

TASKS = [
    ("cookbook.add", (2, 3), 5),
    ("cookbook.add", (40, 2), 42),
    ("cookbook.count_primes", (0, 100_000), 9592),
    ("cookbook.count_primes", (0, 4_000_000_000), ValueError),
    ("cookbook.divide", (1, 0), ZeroDivisionError),
]

results = [(name, args, expected, app.send_task(name, args=args)) for name, args, expected in TASKS]
for name, args, expected, result in results:
    try:
        value = result.get(timeout=30)
        print(f"{name}{args} = {value}")
        assert value == expected, f"expected {expected}"
    except (ValueError, ZeroDivisionError) as error:  # re-raised here from the worker's result
        print(f"{name}{args} raised {type(error).__name__}: {error}")
        assert type(error) is expected
print(f"{len(results)} results read back, all as expected")
