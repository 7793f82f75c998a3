"""Early signs of a run that will not walk (notebook 05, section 9): training episodes by window of steps."""
import json

import matplotlib
import pandas as pd
import pytest

from utils.course.session import AGENTS
from utils.walkers.early_signs import first_walk, keep_summary, plot_early_signs, training_episodes

matplotlib.use("Agg")


def test_episodes_are_averaged_in_the_window_where_they_end(tmp_path):
    (tmp_path / "episodes.csv").write_text("steps,return,length,distance\n10,5,10,0.1\n50000,9,30,0.5\n"
                                           "50001,20,100,2.0\n120000,40,200,4.0\n")
    frame = training_episodes(tmp_path, window=50_000)
    assert frame["steps"].tolist() == [50_000, 100_000, 150_000]
    assert frame["length"].tolist() == [20, 100, 200] and frame["episodes"].tolist() == [2, 1, 1]
    assert frame["distance"].tolist() == pytest.approx([0.3, 2.0, 4.0])


def test_a_trial_keeps_its_episodes_by_window_and_they_read_the_same(tmp_path):
    (tmp_path / "episodes.csv").write_text("steps,return,length,distance\n10,5,10,0.1\n20,5,11,0.2\n30,5,11,0.2\n"
                                           "60000,20,100,2.0\n")
    keep_summary(tmp_path)
    raw = training_episodes(tmp_path)
    (tmp_path / "episodes.csv").unlink()  # as in the repository: the search's trials do not commit it
    pd.testing.assert_frame_equal(training_episodes(tmp_path), raw, atol=1e-3)  # kept to 3 decimals


def test_the_committed_seeds_draw_three_panels_and_the_falling_seed_stays_short():
    seeds = AGENTS / "a2c-Walker2DBulletEnv-v0" / "logs" / "seeds"
    runs = {f"seed {s}": seeds / f"seed{s}" for s in range(3)}
    fig = plot_early_signs(runs, until=1_000_000)
    assert len(fig.axes) == 3 and all(len(ax.get_lines()) == 3 for ax in fig.axes)
    report = {r["run"]: r["report"] for r in json.loads((seeds.parent / "seeds.json").read_text())["runs"]}
    at = {name: training_episodes(seeds / name).set_index("steps").loc[400_000] for name in report}
    falling = [name for name, r in report.items() if r["falls"] == r["episodes"]]
    assert falling and len(falling) < len(report), "a seed that falls in every report episode, and others"
    for name in report:  # what section 9 of notebook 05 tells the learner to look for, and that it separates
        short = at[name]["length"] < 80 and at[name]["distance"] < 1.0
        assert short == (name in falling), (name, at[name].to_dict())


def test_a_run_before_its_first_evaluation_still_draws(tmp_path):
    (tmp_path / "episodes.csv").write_text("steps,return,length,distance\n100,5,60,0.5\n60000,9,70,0.7\n")
    (tmp_path / "evaluations.jsonl").write_text("")
    fig = plot_early_signs({"new run": tmp_path})
    assert len(fig.axes[0].get_lines()) == 1


def test_the_first_walk_is_the_first_evaluation_of_10_m_without_a_fall(tmp_path):
    lines = [{"steps": 50_000, "distance": 12.0, "falls": 1}, {"steps": 100_000, "distance": 9.9, "falls": 0},
             {"steps": 150_000, "distance": 10.0, "falls": 0}, {"steps": 200_000, "distance": 20.0, "falls": 0}]
    (tmp_path / "evaluations.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert first_walk(tmp_path) == 150_000
    (tmp_path / "evaluations.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines[:2]))
    assert first_walk(tmp_path) is None
