"""Recording a policy as an MP4 and showing it inline as a GIF (introduced in notebook 00).

A policy is ``None`` (uniform random actions), any ``callable(obs) -> action``, or an SB3 model (played
deterministically). Agents trained with ``VecNormalize`` act on normalised observations: pass the frozen
statistics as ``vec_normalize`` and they are applied to each observation before the policy sees it.
"""
from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import numpy as np

from utils.walkers.envs import make_env


def _as_action_fn(policy, env, vec_normalize):
    if policy is None:
        return lambda obs: env.action_space.sample()
    predict = getattr(policy, "predict", None)
    act = (lambda obs: predict(obs, deterministic=True)[0]) if predict else policy
    if vec_normalize is None:
        return act
    return lambda obs: act(vec_normalize.normalize_obs(obs[None].astype(np.float32))[0])


def record_video(env_id: str, policy=None, path: str | Path = "video.mp4", steps: int = 300, seed: int = 0,
                 vec_normalize=None, fps: int | None = None) -> dict:
    """Play ``policy`` for ``steps`` steps (restarting episodes that end), write an MP4; return path and returns."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}.")
    env = make_env(env_id, render_mode="rgb_array")
    env.action_space.seed(seed)
    act = _as_action_fn(policy, env, vec_normalize)
    obs, _ = env.reset(seed=seed)
    frames, returns, episode_return = [], [], 0.0
    try:
        for _ in range(steps):
            frames.append(env.render())
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            episode_return += float(reward)
            if terminated or truncated:
                returns.append(episode_return)
                episode_return = 0.0
                obs, _ = env.reset()
        fps = fps or env.metadata.get("render_fps", 30)
    finally:
        env.close()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imageio.mimwrite(path, frames, fps=fps, macro_block_size=16, quality=7)
    return {"path": path, "frames": len(frames), "episode_returns": returns, "unfinished_return": episode_return}


def show_video(path: str | Path, seconds: float = 6.0, width: int = 240):
    """The first ``seconds`` of the MP4 at ``path`` as an inline, looping GIF, ``width`` pixels wide.

    A GIF, not an embedded MP4, because notebooks are committed with their outputs: GitHub and Colab show a GIF
    before anything runs, and six seconds weigh about 1 MB where the embedded MP4s weighed several. The GIF is
    written under ``runs/gifs/`` (never beside the MP4, which may sit in a shipped agent's folder).
    """
    import hashlib

    from IPython.display import Image

    from utils.course.session import RUNS

    path = Path(path)
    tag = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    gif = to_gif(path, RUNS / "gifs" / f"{path.stem}-{tag}.gif", seconds=seconds, start=0.0, width=width)
    return Image(data=gif.read_bytes(), format="gif", width=width)


def to_gif(mp4: str | Path, gif: str | Path, seconds: float = 3.0, start: float = 2.0, every: int = 4,
           width: int = 200, colours: int = 32) -> Path:
    """A short, light GIF cut from an MP4 (the README's GIFs and :func:`show_video`): ``seconds`` from ``start``,
    every ``every``-th frame, ``width`` pixels wide, one palette of ``colours`` colours for all frames."""
    from PIL import Image

    reader = imageio.get_reader(str(mp4))
    fps = reader.get_meta_data().get("fps", 60)
    first, last = int(start * fps), int((start + seconds) * fps)
    frames = []
    for i, frame in enumerate(reader):
        if first <= i < last and (i - first) % every == 0:
            image = Image.fromarray(frame)
            frames.append(image.resize((width, width * image.height // image.width)))
    reader.close()
    if not frames:
        raise ValueError(f"{mp4}: no frame between {start} s and {start + seconds} s; is the video that short?")
    palette = frames[len(frames) // 2].quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    frames = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    Path(gif).parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=round(1000 * every / fps),
                   loop=0, optimize=True)
    return Path(gif)
