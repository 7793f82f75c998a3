"""A vectorised environment that uses both cores: half the copies step here, half in one worker, at once.

Profiling the Hugging Face course's recipe (``recipes.REFERENCE``, notebook 06, ``benchmarks/``) shows ~75 % of training time inside the PyBullet
environments, all on one core. ``SubprocVecEnv`` moves *every* copy to its own process and pays a pipe round
trip per copy; here the main process keeps stepping its own share while a single worker steps the rest, so
the two cores step environments side by side and only one message pair crosses per step. The copies, their
seeds and their order are those of ``DummyVecEnv``: the algorithm sees the same data.
"""
from __future__ import annotations

import multiprocessing as mp

import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv
from stable_baselines3.common.vec_env.base_vec_env import CloudpickleWrapper


def _worker(remote, parent_remote, env_fns: CloudpickleWrapper) -> None:
    parent_remote.close()
    venv = DummyVecEnv(env_fns.var)
    try:
        while True:
            cmd, data = remote.recv()
            if cmd == "step":
                remote.send(venv.step(data))
            elif cmd == "reset":
                venv._seeds, venv._options = data
                obs = venv.reset()
                remote.send((obs, venv.reset_infos))
            elif cmd == "call":
                method, args, kwargs = data
                remote.send(getattr(venv, method)(*args, **kwargs))
            elif cmd == "close":
                break
    except (KeyboardInterrupt, EOFError):
        pass
    finally:
        venv.close()
        remote.close()


class SplitVecEnv(VecEnv):
    """``DummyVecEnv`` semantics, with the last ``len(env_fns) // 2`` copies stepped in one worker process."""

    def __init__(self, env_fns, start_method: str = "forkserver"):
        n_remote = len(env_fns) // 2
        self.n_local = len(env_fns) - n_remote
        self.local = DummyVecEnv(env_fns[: self.n_local])
        ctx = mp.get_context(start_method if start_method in mp.get_all_start_methods() else "spawn")
        self.remote, work_remote = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker, args=(work_remote, self.remote, CloudpickleWrapper(env_fns[self.n_local :])), daemon=True
        )
        self.process.start()
        work_remote.close()
        self.closed = False
        super().__init__(len(env_fns), self.local.observation_space, self.local.action_space)

    # --- stepping -----------------------------------------------------------------------------------
    def step_async(self, actions: np.ndarray) -> None:
        self.remote.send(("step", actions[self.n_local :]))
        self._local_actions = actions[: self.n_local]

    def step_wait(self):
        obs, rews, dones, infos = self.local.step(self._local_actions)
        r_obs, r_rews, r_dones, r_infos = self.remote.recv()
        return (
            np.concatenate([obs, r_obs]), np.concatenate([rews, r_rews]), np.concatenate([dones, r_dones]),
            list(infos) + list(r_infos),
        )

    def reset(self):
        k = self.n_local
        self.remote.send(("reset", (self._seeds[k:], self._options[k:])))
        self.local._seeds, self.local._options = self._seeds[:k], self._options[:k]
        obs = self.local.reset()
        r_obs, r_infos = self.remote.recv()
        self.reset_infos = list(self.local.reset_infos) + list(r_infos)
        self._reset_seeds()
        self._reset_options()
        return np.concatenate([obs, r_obs])

    def close(self) -> None:
        if self.closed:
            return
        self.local.close()
        try:
            self.remote.send(("close", None))
        except (BrokenPipeError, OSError):
            pass
        self.process.join(timeout=5)
        self.closed = True

    # --- attribute access, split by index -----------------------------------------------------------
    def _split(self, indices):
        indices = list(self._get_indices(indices))
        local = [i for i in indices if i < self.n_local]
        remote = [i - self.n_local for i in indices if i >= self.n_local]
        return local, remote

    def _call(self, method: str, *args, indices=None, **kwargs) -> list:
        local, remote = self._split(indices)
        results = getattr(self.local, method)(*args, indices=local, **kwargs) if local else []
        if remote:
            self.remote.send(("call", (method, args, {**kwargs, "indices": remote})))
            results = list(results) + list(self.remote.recv())
        return list(results)

    def get_attr(self, attr_name, indices=None):
        return self._call("get_attr", attr_name, indices=indices)

    def set_attr(self, attr_name, value, indices=None) -> None:
        self._call("set_attr", attr_name, value, indices=indices)

    def env_method(self, method_name, *method_args, indices=None, **method_kwargs):
        return self._call("env_method", method_name, *method_args, indices=indices, **method_kwargs)

    def env_is_wrapped(self, wrapper_class, indices=None):
        return self._call("env_is_wrapped", wrapper_class, indices=indices)

    def get_images(self):
        return self._call("env_method", "render")
