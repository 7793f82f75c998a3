"""Notebook 03's fair race (utils.theory.learning_curves, second half): every seed counted, one choice rule."""
import json

import numpy as np
import pytest

from utils.theory import learning_curves as lc


def rec(method="A2C", solve_at=None, budget=1000, lr=1e-3, seed=0, seconds=10.0, episodes=40):
    """A synthetic record whose returns cross 475 (20-episode mean) at episode ``solve_at`` (never if None)."""
    returns = [500.0 if solve_at is not None and i > solve_at - 20 else 10.0 for i in range(episodes)]
    end_steps = [int((i + 1) * budget / episodes) for i in range(episodes)]
    return {"method": method, "lr": lr, "seed": seed, "phase": "eval", "budget": budget, "returns": returns,
            "end_steps": end_steps, "updates": lc.updates_done(method, end_steps), "seconds": seconds}


def test_an_unsolved_seed_counts_as_more_than_the_budget():
    solved, unsolved = rec(solve_at=19), rec(solve_at=None)
    assert lc.solve_at(solved) == solved["end_steps"][19]
    assert lc.solve_at(unsolved) == np.inf
    median, low, high = lc.median_steps([solved, unsolved, unsolved])
    assert median == np.inf and high == np.inf  # a mean over the survivors would have said 500 steps
    assert lc.median_steps([solved, solved, unsolved])[0] == solved["end_steps"][19]
    assert "> budget" in lc.fmt_median((np.inf, 1.0, np.inf))


def test_a_solve_past_the_budget_does_not_count():
    late = rec(solve_at=30)
    late["budget"] = late["end_steps"][lc.first_crossing(late["returns"])] - 1  # REINFORCE may finish its last batch past the budget
    assert lc.solve_at(late) == np.inf


def test_solved_fraction_counts_every_seed():
    recs = [rec(solve_at=19), rec(solve_at=29), rec(solve_at=None)]
    grid = [0, recs[0]["end_steps"][19], recs[1]["end_steps"][29], 10**9]
    assert lc.solved_fraction(recs, grid).tolist() == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3])


def test_axes_updates_and_seconds():
    assert lc.updates_done("A2C", [40, 41, 80, 81]) == [0, 1, 1, 2]
    assert lc.updates_done("one-step actor-critic", [5, 9]) == [5, 9]
    assert lc.updates_done("REINFORCE", [100] * 9) == [1] * 8 + [2]
    r = rec(solve_at=19, seconds=40.0)
    assert lc.solve_at(r, "seconds") == pytest.approx(40.0 * 20 / 40)
    assert lc.solve_at(r, "updates") == r["updates"][19]


def test_choose_prefers_more_seeds_solved_then_fewer_steps_then_final_return():
    recs = ([rec(lr=1.0, solve_at=19, seed=s) for s in (0, 1)] + [rec(lr=2.0, solve_at=15, seed=0),
            rec(lr=2.0, solve_at=None, seed=1)])
    assert lc.choose(recs) == {"A2C": 1.0}  # 2 of 2 solved beats 1 of 2, however fast
    recs = [rec(lr=1.0, solve_at=29), rec(lr=2.0, solve_at=19)]
    assert lc.choose(recs) == {"A2C": 2.0}
    low, high = rec(lr=1.0), rec(lr=2.0)
    high["returns"][-20:] = [100.0] * 20
    assert lc.choose([low, high]) == {"A2C": 2.0}  # nobody solved: the higher final return


def test_learning_rates_scale_every_default_alike():
    for method in lc.METHODS:
        assert lc.learning_rates(method) == pytest.approx([lc.DEFAULT_LR[method] * f for f in lc.LR_FACTORS])


def test_every_method_runs_and_logs(tmp_path):
    log = tmp_path / "race.jsonl"
    recs = lc.run_all(lc.METHODS, {m: [lc.DEFAULT_LR[m]] for m in lc.METHODS}, [0], 300, "tune", log)
    assert [r["method"] for r in lc.load(log)] == list(lc.METHODS)
    for r in recs:
        assert json.loads(json.dumps(r)) == r
        assert len(r["returns"]) == len(r["end_steps"]) == len(r["updates"]) > 0
        assert r["end_steps"][-1] <= 300 + 500 * 8  # REINFORCE may finish its batch of 8 episodes past the budget
    again = lc.run_all(lc.METHODS, {m: [lc.DEFAULT_LR[m]] for m in lc.METHODS}, [0], 300, "tune", log,
                       done={(r["method"], r["lr"], 0, "tune", 300) for r in recs})
    assert again == []  # a resumed sweep skips what the log holds
    rows = lc.race_rows(recs)
    assert [r["method"] for r in rows] == list(lc.METHODS)


def test_the_committed_log_holds_a_complete_sweep_and_race():
    """What notebook 03 reads in full mode: every method swept on seed 0 at 20k steps, and at least one race seed
    on which every method ran with its chosen step size."""
    logged = [r for r in lc.load(lc.RACE_LOG) if r["budget"] == 20_000]
    tune = [r for r in logged if r["phase"] == "tune" and r["seed"] == 0]
    for method in lc.METHODS:
        assert sorted(r["lr"] for r in tune if r["method"] == method) == lc.learning_rates(method)
    chosen = lc.choose(tune)
    race = [r for r in logged if r["phase"] == "eval" and r["lr"] == chosen[r["method"]]]
    assert any(all(any((r["seed"], r["method"]) == (s, m) for r in race) for m in lc.METHODS) for s in range(5, 10))
