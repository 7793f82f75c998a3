"""Unit tests of utils.theory.diagrams: every diagram draws, and the wrapper stack it draws is the one the course builds."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from utils.theory import diagrams  # noqa: E402


@pytest.mark.parametrize("draw", [diagrams.actor_critic_loop, diagrams.rollout_targets, diagrams.wrapper_stack])
def test_each_diagram_draws_on_its_own_axes(draw):
    ax = draw()
    assert ax.texts or ax.patches, "something was drawn"
    plt.close("all")


def _box_texts(ax):
    return [t.get_text() for t in ax.texts]


def test_wrapper_stack_is_the_order_make_vec_builds():
    """The diagram's order (bottom to top) must be the real one: Monitor below ScaleAliveBonus, so that Monitor logs
    the environment's own reward, and VecNormalize above the vectorised env."""
    from stable_baselines3.common.vec_env import VecNormalize

    from utils.walkers.envs import make_vec

    venv = VecNormalize(make_vec("Walker2DBulletEnv-v0", n_envs=1, seed=0, alive_bonus=0.25))
    layer, chain = venv.venv.envs[0], []
    while True:
        chain.append(type(layer).__name__)
        if not hasattr(layer, "env"):
            break
        layer = layer.env
    real = list(reversed(chain)) + [type(venv.venv).__name__, type(venv).__name__]
    venv.close()
    drawn = [text.split("\n")[0] for text in _box_texts(diagrams.wrapper_stack())]
    plt.close("all")
    order = ["WalkingMonitor", "Monitor", "ScaleAliveBonus", "DummyVecEnv", "VecNormalize"]
    assert [name for name in real if name in order] == order, real
    positions = [next(i for i, text in enumerate(drawn) if text.startswith(name) or f", {name}" in text)
                 for name in order]
    assert positions == sorted(positions), (drawn, real)
