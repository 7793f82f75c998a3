"""Agents load with plain SB3 where the course cannot be imported: every agent in ``agents/`` and a freshly trained
run, through their model card's own usage snippet (``load_from_hub`` patched to return the local files)."""
import json
import subprocess
import sys

import pytest

from utils.course.session import AGENTS

SHIPPED = sorted(p for p in AGENTS.iterdir() if (p / "results.json").is_file())

STRANGER = r'''
import json, os, re, sys
from pathlib import Path

sys.modules["utils"] = None  # a stranger's machine: `import utils` fails, as it does without the course
folder = Path(sys.argv[1])
card = (folder / "README.md").read_text()
snippet = re.search(r"## Usage\n.*?```python\n(.*?)```", card, re.S).group(1)
if "n_eval_episodes=" not in snippet:
    sys.exit("the card's usage snippet does not evaluate the agent")
snippet = re.sub(r"n_eval_episodes=\d+", "n_eval_episodes=1", snippet)  # one episode is enough to compare

import huggingface_sb3
huggingface_sb3.load_from_hub = lambda repo_id, filename: str(folder / filename)
os.chdir(folder)  # a card not yet pushed loads the files of its folder
namespace = {}
exec(snippet, namespace)
print(json.dumps({"return": namespace["mean"]}))
'''


def first_episode_with_plain_sb3(folder, cwd) -> float:
    done = subprocess.run([sys.executable, "-c", STRANGER, str(folder)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["return"]


def test_there_are_shipped_agents():
    assert SHIPPED, f"no agent with results.json under {AGENTS}"


@pytest.mark.parametrize("folder", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_agent_runs_its_card_snippet_without_the_course(folder, tmp_path):
    results = json.loads((folder / "results.json").read_text())
    # Not to the last digit: floating-point results differ between processors (the shipped walker's first episode,
    # recorded as 1832.5, played 1850.8 on another machine); another agent's policy or statistics would not come within
    # a few per cent.
    assert first_episode_with_plain_sb3(folder, tmp_path) == pytest.approx(results["episode_rewards"][0], rel=0.05)


@pytest.mark.parametrize("pushed", [False, True], ids=["before push", "after push"])
def test_freshly_trained_run_runs_its_card_snippet_without_the_course(tiny_run, tmp_path, pushed):
    import shutil

    from utils.walkers.hub import write_card

    folder = tmp_path / "agent"
    shutil.copytree(tiny_run.out, folder)
    write_card(folder, "learner/a2c-AntBulletEnv-v0" if pushed else None)
    assert ('load_from_hub(repo_id, "a2c-AntBulletEnv-v0.zip")' in (folder / "README.md").read_text()) == pushed
    results = json.loads((folder / "results.json").read_text())
    assert first_episode_with_plain_sb3(folder, tmp_path) == pytest.approx(results["episode_rewards"][0], rel=1e-6)
