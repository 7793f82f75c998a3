"""A vectorised environment that uses both cores: half the copies step here, half in one worker, at once.

Introduced in notebook 05. Profiling the Hugging Face course's recipe (``recipes.REFERENCE``; the README's
"Training speed") showed ~75 % of its training time inside the PyBullet environments, all on one core.
``SubprocVecEnv`` moves *every* copy to its own process and pays a pipe round trip per copy; here the main
process keeps stepping its own share while a single worker steps the rest, so the two cores step environments
side by side and only one message pair crosses per step. Measured (``benchmarks/vec_envs.py``, Walker2D x 8,
A2C with the course recipe, a quiet 2-core machine): 1.50x ``DummyVecEnv``'s steps per second, against 1.13x for
``SubprocVecEnv`` (fork) and 0.93x (forkserver); that gap is why SB3's own classes are not used here. The copies,
their seeds and their order are those of ``DummyVecEnv``: the algorithm sees the same data.

It keeps SB3's ``VecEnv`` contract (``tests/test_vec_env_contract.py`` runs the same calls on ``DummyVecEnv``,
``SubprocVecEnv`` and this class). Where it differs, it is on purpose: an exception inside the worker comes back
as the same exception with the worker's traceback as its cause, and the worker stays usable (``SubprocVecEnv``'s
worker dies and the caller sees a bare ``EOFError``); a worker that died says so in one line.
"""
from __future__ import annotations

import multiprocessing as mp
import pickle
import signal
import traceback
import warnings

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv
from stable_baselines3.common.vec_env.base_vec_env import CloudpickleWrapper


class WorkerDiedError(RuntimeError):
    """The worker process ended without being asked to (killed from outside, out of memory, a crash in C)."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in the worker: set as the ``__cause__`` of the re-raised exception."""

    def __str__(self) -> str:
        return self.args[0]


def _error_reply(error: BaseException) -> tuple:
    """``("error", (exception, traceback text))``, with a plain ``RuntimeError`` if the exception cannot be pickled."""
    text = "".join(traceback.format_exception(error))
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        error = RuntimeError(f"{type(error).__name__}: {error}")
    return "error", (error, text)


def _worker(remote, parent_remote, env_fns: CloudpickleWrapper) -> None:
    """Build the worker's copies and answer ``(command, data)`` requests with ``("ok", result)`` or ``("error", ...)``."""
    parent_remote.close()
    venv = None
    try:
        try:
            venv = DummyVecEnv(env_fns.var)
            remote.send(("ok", (venv.observation_space, venv.action_space)))
        except Exception as error:
            remote.send(_error_reply(error))
            return
        while True:
            command, data = remote.recv()
            if command == "close":
                break
            try:
                if command == "step":
                    result = (*venv.step(data), venv.reset_infos)
                elif command == "reset":
                    venv._seeds, venv._options = data
                    result = (venv.reset(), venv.reset_infos)
                else:  # a VecEnv method of DummyVecEnv: get_attr, set_attr, env_method, get_images, ...
                    args, kwargs = data
                    result = getattr(venv, command)(*args, **kwargs)
                remote.send(("ok", result))
            except Exception as error:
                remote.send(_error_reply(error))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        pass
    finally:
        if venv is not None:
            venv.close()
        remote.close()


def _concatenate(parts: list, space: spaces.Space):
    """Stack the two halves' observations (arrays, or dicts/tuples of arrays)."""
    if isinstance(space, spaces.Dict):
        return {key: np.concatenate([part[key] for part in parts]) for key in space.spaces}
    if isinstance(space, spaces.Tuple):
        return tuple(np.concatenate([part[i] for part in parts]) for i in range(len(space.spaces)))
    return np.concatenate(parts)


class SplitVecEnv(VecEnv):
    """``DummyVecEnv`` semantics, with the last ``len(env_fns) // 2`` copies stepped in one worker process."""

    def __init__(self, env_fns, start_method: str = "forkserver"):
        if len(env_fns) < 2:
            raise ValueError(f"SplitVecEnv needs at least 2 environment copies, got {len(env_fns)}: use DummyVecEnv.")
        self.num_envs = len(env_fns)  # set again by VecEnv.__init__, which needs the worker running
        self.waiting = False  # a request was sent whose reply has not been read
        self.closed = False
        self.n_local = len(env_fns) - len(env_fns) // 2
        self.local = DummyVecEnv(env_fns[: self.n_local])
        ctx = mp.get_context(start_method if start_method in mp.get_all_start_methods() else "spawn")
        self.remote, work_remote = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker, args=(work_remote, self.remote, CloudpickleWrapper(env_fns[self.n_local :])), daemon=True
        )
        self.process.start()
        self.pid = self.process.pid
        work_remote.close()
        try:
            self._receive()  # the worker built its copies, or its error is raised here
            super().__init__(len(env_fns), self.local.observation_space, self.local.action_space)
        except BaseException:
            self.close()
            raise

    # --- the pipe -----------------------------------------------------------------------------------
    def _send(self, command: str, data) -> None:
        try:
            self.remote.send((command, data))
        except (BrokenPipeError, ConnectionResetError):
            raise self._died() from None
        self.waiting = True

    def _receive(self):
        """The worker's answer; its exception re-raised with the worker's traceback as the cause."""
        try:
            status, payload = self.remote.recv()
        except (EOFError, ConnectionResetError):
            raise self._died() from None
        self.waiting = False
        if status == "error":
            error, text = payload
            raise error from RemoteTraceback(f"\n\nIn SplitVecEnv's worker (pid {self.pid}):\n{text}")
        return payload

    def _drain(self) -> None:
        """Read and drop the reply to a request whose caller failed (so the next call cannot read it)."""
        try:
            self.remote.recv()
        except (EOFError, ConnectionResetError):
            pass
        self.waiting = False

    def _died(self) -> WorkerDiedError:
        self.process.join(timeout=1)
        code = self.process.exitcode
        how = f"killed by {signal.Signals(-code).name}" if code and code < 0 else f"exit code {code}"
        return WorkerDiedError(
            f"SplitVecEnv's worker process (pid {self.pid}, copies {self.n_local}-{self.num_envs - 1}) died ({how}): "
            "close this environment and build a new one."
        )

    def _index(self, i) -> int:
        """A copy's index, negative ones counted from the end as in a list."""
        if not -self.num_envs <= i < self.num_envs:
            raise IndexError(f"environment index {i} out of range for {self.num_envs} copies")
        return int(i) % self.num_envs

    def _call(self, method: str, *args, indices=None, **kwargs) -> list:
        """DummyVecEnv's ``method`` on the copies ``indices`` (any order), both halves at once, results in that order."""
        order = [self._index(i) for i in self._get_indices(indices)]
        local = [i for i in order if i < self.n_local]
        remote = [i - self.n_local for i in order if i >= self.n_local]
        if remote:
            self._send(method, (args, {**kwargs, "indices": remote}))
        try:
            local_results = getattr(self.local, method)(*args, indices=local, **kwargs) if local else []
        except BaseException:
            if remote:
                self._drain()
            raise
        remote_results = self._receive() if remote else []
        local_results = iter(local_results or [None] * len(local))  # set_attr returns None
        remote_results = iter(remote_results or [None] * len(remote))
        return [next(local_results) if i < self.n_local else next(remote_results) for i in order]

    # --- stepping -----------------------------------------------------------------------------------
    def step_async(self, actions: np.ndarray) -> None:
        self._send("step", actions[self.n_local :])
        self._local_actions = actions[: self.n_local]

    def step_wait(self):
        try:
            obs, rews, dones, infos = self.local.step(self._local_actions)
        except BaseException:
            self._drain()
            raise
        r_obs, r_rews, r_dones, r_infos, r_reset_infos = self._receive()
        self.reset_infos = list(self.local.reset_infos) + list(r_reset_infos)
        return (
            _concatenate([obs, r_obs], self.observation_space), np.concatenate([rews, r_rews]),
            np.concatenate([dones, r_dones]), list(infos) + list(r_infos),
        )

    def reset(self):
        if self.waiting:  # a step started and never collected (or an interrupted call): drop it, as the contract says
            self._drain()
        k = self.n_local
        self._send("reset", (self._seeds[k:], self._options[k:]))
        self.local._seeds, self.local._options = self._seeds[:k], self._options[:k]
        try:
            obs = self.local.reset()
        except BaseException:
            self._drain()
            raise
        r_obs, r_reset_infos = self._receive()
        self.reset_infos = list(self.local.reset_infos) + list(r_reset_infos)
        self._reset_seeds()
        self._reset_options()
        return _concatenate([obs, r_obs], self.observation_space)

    def close(self) -> None:
        """Close both halves: the worker is asked to stop, then killed if it does not, and the pipe is closed."""
        if self.closed:
            return
        self.closed = True
        try:
            if self.waiting:
                self._drain()
            self.local.close()
        finally:
            try:
                self.remote.send(("close", None))
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.process.close()
            self.remote.close()

    # --- attribute access, split by index -----------------------------------------------------------
    def get_attr(self, attr_name, indices=None) -> list:
        return self._call("get_attr", attr_name, indices=indices)

    def set_attr(self, attr_name, value, indices=None) -> None:
        self._call("set_attr", attr_name, value, indices=indices)

    def env_method(self, method_name, *method_args, indices=None, **method_kwargs) -> list:
        return self._call("env_method", method_name, *method_args, indices=indices, **method_kwargs)

    def env_is_wrapped(self, wrapper_class, indices=None) -> list:
        return self._call("env_is_wrapped", wrapper_class, indices=indices)

    def get_images(self) -> list:
        if self.render_mode != "rgb_array":
            warnings.warn(f"The render mode is {self.render_mode}, but get_images needs 'rgb_array'.")
            return [None] * self.num_envs
        return self.env_method("render")
