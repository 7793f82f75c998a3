"""What two processes get from this machine, apart from the environments: the reasons behind throughput.py's ratios.

``python benchmarks/machine_probe.py`` prints, twice each:
* a pure-Python counting loop, iterations per second of one process and of two at once (how far the second core adds);
* the round trip of a small NumPy array (44 floats: two biped copies' observations) through a ``multiprocessing``
  pipe to a worker process and back, in microseconds, with blocking reads and with busy polling (what a per-step
  exchange costs).
Run it with the machine's other work paused; the date and the load come first.
"""
from __future__ import annotations

import multiprocessing as mp
import time

import numpy as np


def _count(seconds: float, queue) -> None:
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        for _ in range(10_000):
            n += 1
    queue.put(n / seconds)


def loop_rate(processes: int, seconds: float = 3.0) -> float:
    """Summed counting-loop iterations per second of ``processes`` processes at once."""
    queue = mp.Queue()
    workers = [mp.Process(target=_count, args=(seconds, queue)) for _ in range(processes)]
    for w in workers:
        w.start()
    total = sum(queue.get() for _ in workers)
    for w in workers:
        w.join()
    return total


def _echo(conn, spin: bool) -> None:
    while True:
        if spin:
            while not conn.poll():
                pass
        message = conn.recv()
        if message is None:
            break
        conn.send(message)


def round_trip_us(spin: bool, n: int = 3000) -> float:
    """Microseconds per send-and-receive of a 44-float array to a worker that sends it straight back."""
    here, there = mp.Pipe()
    worker = mp.Process(target=_echo, args=(there, spin))
    worker.start()
    message = np.zeros(44, np.float32)
    for _ in range(200):  # warm up
        here.send(message)
        here.recv()
    start = time.perf_counter()
    for _ in range(n):
        here.send(message)
        if spin:
            while not here.poll():
                pass
        here.recv()
    elapsed = time.perf_counter() - start
    here.send(None)
    worker.join()
    return elapsed / n * 1e6


if __name__ == "__main__":
    import os
    from datetime import datetime, timezone

    mp.set_start_method("forkserver")
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.2f} at the start")
    for _ in range(2):
        one, two = loop_rate(1), loop_rate(2)
        print(f"python loop: 1 process {one / 1e6:.1f} M/s, 2 processes {two / 1e6:.1f} M/s ({two / one:.2f}x)")
    for _ in range(2):
        print(f"pipe round trip: blocking {round_trip_us(False):.0f} us, polling {round_trip_us(True):.0f} us")
