"""The ablation study's reader (notebook 06): runs found, seeds aggregated, the re-run command rebuilt."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from utils.walkers import ablations


def fake_run(folder, recipe, finals, command):
    """A seed folder as scripts/ablate_spider.sh copies it: evaluations at 100 and 200 steps, run.json, diagnostics."""
    folder.mkdir(parents=True)
    lines = [{"steps": 100, "mean": finals[0] / 2, "std": 1.0, "distance": 0.5, "falls": 1},
             {"steps": 200, "mean": finals[0], "std": 2.0, "distance": finals[1], "falls": 0}]
    (folder / "evaluations.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    (folder / "run.json").write_text(json.dumps({"recipe": recipe, "command": command}))
    (folder / "diagnostics.csv").write_text("time/total_timesteps,time/fps,train/explained_variance,train/value_loss,"
                                            "train/policy_loss,train/entropy_loss,train/std,train/learning_rate\n"
                                            "32,100,0.5,0.1,0.0,-1.0,0.13,0.001\n")


@pytest.fixture
def study(tmp_path):
    base = {"use_sde": True, "n_steps": 4}
    command = "python -m utils.train --env AntBulletEnv-v0 --recipe course --set use_sde=false --timesteps 400 --seed {s} --out runs/x/seed{s}"
    for seed, (final, distance) in enumerate([(1000, 5.0), (1200, 7.0)]):
        fake_run(tmp_path / "recipe" / f"seed{seed}", base, (final, distance), command.format(s=seed))
    for seed, (final, distance) in enumerate([(500, 1.0), (700, 2.0)]):
        fake_run(tmp_path / "no-gsde" / f"seed{seed}", {**base, "use_sde": False}, (final, distance), command.format(s=seed))
    (tmp_path / "unfinished" / "seed0").mkdir(parents=True)  # no evaluations yet: ignored
    return tmp_path


def test_runs_lists_finished_seeds_baseline_first(study):
    found = ablations.runs(study)
    assert list(found) == ["recipe", "no-gsde"]
    assert sorted(found["no-gsde"]) == [0, 1]


def test_change_reads_the_recipes(study):
    assert ablations.change(study, "no-gsde") == "use_sde: True -> False"
    assert ablations.change(study, "recipe") == "(the course recipe)"


def test_summary_aggregates_over_seeds(study):
    table = ablations.evaluations(study)
    assert len(table) == 8
    row = ablations.summary(table).set_index("variant").loc["no-gsde"]
    assert row["seeds"] == 2 and row["steps"] == 200
    assert row["final"] == pytest.approx(600) and row["final_std"] == pytest.approx(np.std([500, 700], ddof=1))
    assert row["distance"] == pytest.approx(1.5) and row["falls"] == 0
    assert row["late"] == pytest.approx(np.mean([250, 500, 350, 700]))  # the last three of two evaluations: both


def test_over_seeds_gives_mean_and_range(study):
    curve = ablations.over_seeds(ablations.evaluations(study), "distance")
    last = curve[(curve["variant"] == "recipe") & (curve["steps"] == 200)].iloc[0]
    assert (last["mean"], last["min"], last["max"], last["count"]) == (6.0, 5.0, 7.0, 2)


def test_plots_and_diagnostics_read(study):
    table = ablations.evaluations(study)
    for metric in ("mean", "distance"):
        assert ablations.plot_against_baseline(table, metric).axes
    single = pd.DataFrame([{"variant": "A2C", "seed": 0, "steps": 320, "mean": 50.0},
                           {"variant": "PPO", "seed": 0, "steps": 320, "mean": -20.0}])
    ax = ablations.plot_against_baseline(single, "mean", baseline="A2C").axes[0]
    low, high = ax.get_ylim()
    assert low < -20.0 and high > 50.0  # both single points inside the range, not on its edge
    assert ax.xaxis.get_major_formatter()(320, 0) == "320" and ax.xaxis.get_major_formatter()(2e5, 0) == "200k"
    frame = ablations.read_diagnostics(ablations.runs(study)["recipe"][0])
    assert list(frame["steps"]) == [32]
    assert ablations.plot_diagnostics({"recipe": frame}, "t").axes


def test_rerun_command_replaces_out_and_budget(study, tmp_path):
    words = ablations.rerun_command(ablations.runs(study)["no-gsde"][1], tmp_path / "mine", timesteps=64,
                                    eval_every=0, no_package=True)
    assert words[1:3] == ["-m", "utils.train"]
    assert words[words.index("--out") + 1] == str(tmp_path / "mine")
    assert words[words.index("--timesteps") + 1] == "64" and words[words.index("--seed") + 1] == "1"
    assert words[words.index("--eval-every") + 1] == "0" and "--no-package" in words
    assert "use_sde=false" in words


def test_separation_chance(capsys):
    assert ablations.separation_chance(2) == pytest.approx(1 / 3)
    assert ablations.separation_chance(5) == pytest.approx(2 / math.comb(10, 5))
    assert ablations.check_separation_chance(ablations.separation_chance) is True
    assert capsys.readouterr().out.startswith("✓")
    for wrong, named in ((lambda n: 1 / math.comb(2 * n, n), "one direction only"),
                         (lambda n: 2 * math.factorial(n) / math.factorial(2 * n), "one exact order"),
                         (lambda n: 0.5 ** (2 * n - 1), "fair coin"),
                         (lambda n: 0.3, "not one of the usual mistakes"),
                         (lambda n: "a third", "not a number")):
        assert ablations.check_separation_chance(wrong) is False
        out = capsys.readouterr().out
        assert out.startswith("✗ ") and named in out and out.count("\n") == 1, out


def _stub(*_):
    raise NotImplementedError("Hint: count the orderings.")


def test_checkers_report_a_stub_and_an_error_in_one_line(capsys):
    for check in (ablations.check_separation_chance, ablations.check_explained_variance):
        assert check(_stub) is False
        assert capsys.readouterr().out.startswith("✗ not written yet: Hint: count the orderings.")
        assert check(lambda *args: 1 / 0) is False
        assert "ZeroDivisionError" in capsys.readouterr().out


def test_explained_variance_checker(capsys):
    from stable_baselines3.common.utils import explained_variance

    assert ablations.check_explained_variance(explained_variance) is True
    assert ablations.check_explained_variance(lambda v, r: 1 - np.var(r - v, ddof=1) / np.var(r, ddof=1)) is True
    assert capsys.readouterr().out.count("✓") == 2
    mse = ablations.check_explained_variance(lambda v, r: 1 - np.mean((r - v) ** 2) / np.var(r))
    out = capsys.readouterr().out
    assert mse is False and "1 - MSE / Var[returns]" in out and "zero mean" in out
    for wrong, named in ((lambda v, r: 1 - np.var(r - v) / np.var(v), "variance of the predictions"),
                         (lambda r, v: 1 - np.var(r - v) / np.var(r), "swapped the arguments"),
                         (lambda v, r: np.var(v) / np.var(r), "Var[values] / Var[returns]"),
                         (lambda v, r: np.var(r - v) / np.var(r), "1 minus it"),
                         (lambda v, r: np.corrcoef(v, r)[0, 1] ** 2, "squared correlation"),
                         (lambda v, r: 0.5, "not one of the usual mistakes"),
                         (lambda v, r: None, "return one number")):
        assert ablations.check_explained_variance(wrong) is False
        out = capsys.readouterr().out
        assert out.startswith("✗ ") and named in out and out.count("\n") == 1, out


def test_equal_wall_clock_and_recipe_names(study):
    table = ablations.evaluations(study)
    assert table["wall"].isna().all()  # the fake logs have no clock
    table["wall"] = table["steps"] * 1.0
    assert set(ablations.within(table, 150)["steps"]) == {100}
    line = ablations.verdict(ablations.within(table, 150), "no-gsde", key="final")
    assert "final return 300 vs 550" in line
    assert ablations.plot_against_wall(table, ["recipe", "no-gsde"]).get_xlabel().startswith("minutes")
    named = ablations.describe({"n_envs": 8, "n_steps": 4, "lr_schedule": "linear", "learning_rate": 0.00096,
                                "use_sde": True, "norm_obs": True, "norm_reward": False})
    assert named == {"shape": "8 × 4", "alive_bonus": 1.0, "lr": "linear 0.00096", "noise": "gSDE",
                     "vecnormalize": "obs"}


def test_verdict_says_separated_or_overlapping(study):
    table = ablations.evaluations(study)
    line = ablations.verdict(table, "no-gsde", key="final")
    assert "final return 600 vs 1100, every seed below" in line and "final distance (m) 1.5 vs 6.0, every seed below" in line
    assert "33%" in line
    overlapping = table.copy()
    overlapping.loc[(overlapping["variant"] == "no-gsde") & (overlapping["seed"] == 1), ["mean", "distance"]] = 5000
    assert "No difference" in ablations.verdict(overlapping, "no-gsde", key="final")
    assert "no runs" in ablations.verdict(table, "missing")
    assert "One seed" in ablations.verdict(table[table["seed"] == 0], "no-gsde")


def test_per_seed_late_is_the_mean_of_the_last_three(study):
    seeds = ablations.per_seed(ablations.evaluations(study)).set_index(["variant", "seed"])
    assert seeds.loc[("recipe", 1), "late"] == pytest.approx((600 + 1200) / 2)
    assert seeds.loc[("recipe", 1), "best"] == 1200 and seeds.loc[("recipe", 1), "distance"] == 7.0


def test_plot_beside_and_the_live_comparison():
    from types import SimpleNamespace

    from utils.walkers.figures import LiveComparison, plot_beside

    references = {"recipe seed 0": [{"steps": 100, "mean": 1.0}, {"steps": 200, "mean": 2.0}],
                  "recipe seed 1": [{"steps": 100, "mean": 1.5}],
                  "shipped (dashed)": [{"steps": 100, "mean": 3.0}]}
    ax = plot_beside([{"steps": 100, "mean": 0.5}], references, total_steps=200)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["recipe, one line per seed", "shipped", "your run"]
    assert ax.get_lines()[2].get_linestyle() == "--"
    evaluations = SimpleNamespace(evaluations_timesteps=[100], evaluations_results=[[1.0, 3.0]])
    live = LiveComparison(evaluations, references, 200, "AntBulletEnv-v0")
    assert live.records() == [{"steps": 100, "mean": 2.0, "std": 1.0}]
