"""Quiet PyBullet: silence C-level output (it prints ``argv[0]=`` and its build time straight to file descriptor 1),
and register the Bullet environment ids without that banner."""
from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def silence_c_output():
    """Redirect the process's stdout/stderr file descriptors to /dev/null for the duration of the block."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = []
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    try:
        for fd in (1, 2):
            try:
                saved.append((fd, os.dup(fd)))
                os.dup2(devnull, fd)
            except OSError:
                pass
        yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


def register_bullet_envs() -> None:
    """Import ``pybullet_envs_gymnasium`` (which registers the Bullet ids) without PyBullet's banner."""
    with silence_c_output():
        import pybullet_envs_gymnasium  # noqa: F401
