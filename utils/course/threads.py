"""Run small networks on one CPU thread, and give the setting back afterwards.

Introduced in notebook 01. The course's networks are tiny (a few thousand parameters, batches of tens of
states): splitting each operation over threads costs more than it saves, and when the other core is busy
(a second notebook, a training run) PyTorch's threads wait for each other and a run becomes 10-50x slower
(measured on the course's 2-core machine: 4,000 steps of A2C took 1.3 s on one thread, 26 s on two while the
other core was busy). The decorator changes the setting only while the function runs: importing a module
changes nothing.
"""
from __future__ import annotations

import contextlib
import functools

import torch


@contextlib.contextmanager
def torch_threads(n: int = 1):
    """Within the block, PyTorch uses ``n`` intra-op threads; the previous number is restored on exit."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def single_threaded(fn):
    """Decorator: run ``fn`` under :func:`torch_threads` ``(1)``."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with torch_threads(1):
            return fn(*args, **kwargs)

    return wrapper
