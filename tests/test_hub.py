"""The Hub round trip, offline: a local folder stands in for the Hub behind a patched ``hf_hub_download``.

Download fetches what the manifest lists and verifies it, the agent loads and evaluates to its published return;
a trusted third-party repository without a manifest (the zoo's layout, schedules and spaces pickled from code
that is not installed here) loads too; the model card's metadata parses back and matches ``results.json``.
"""
import json
import shutil
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import huggingface_hub
import pytest
from huggingface_hub import ModelCard, metadata_save
from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError, RepositoryNotFoundError
from huggingface_sb3.push_to_hub import generate_metadata
from stable_baselines3 import A2C

from utils.walkers import hub
from utils.course.session import AGENTS
from utils.walkers.scoring import evaluate
from utils.walkers.loading import MANIFEST, AgentLoadError, load_agent

PACKAGES = sorted(p for p in AGENTS.iterdir() if (p / "results.json").is_file())


def hub_error(cls, message: str) -> Exception:
    """An HTTP error of huggingface_hub, built as this release builds it: 0.x takes a message, 1.x and 2.x the
    HTTP response too (tests/test_hub_versions.py runs these tests with each)."""
    try:
        return cls(message)
    except TypeError:
        response = SimpleNamespace(headers={}, status_code=404, request=None, json=lambda: {}, text="", url="")
        return cls(message, response=response)


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    """``{"root": folder of repositories, "fetched": [(repo_id, filename), ...]}`` behind ``hf_hub_download``."""
    state = {"root": tmp_path / "hub", "fetched": []}

    def hf_hub_download(repo_id, filename, **_):
        repo = state["root"] / repo_id
        if not repo.is_dir():
            raise hub_error(RepositoryNotFoundError, f"404: {repo_id}")
        if not (repo / filename).is_file():
            raise EntryNotFoundError(f"404: {repo_id}/{filename}")
        state["fetched"].append((repo_id, filename))
        return str(repo / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hf_hub_download)
    monkeypatch.setattr(hub, "reachable", lambda: True)
    return state


def publish(package, hub_root, repo_id):
    """What ``hub.push`` uploads: the package without its checkpoints, the repository id written into the card."""
    repo = hub_root / repo_id
    shutil.copytree(package, repo, ignore=shutil.ignore_patterns("checkpoints", "best", "last"))
    hub.write_card(repo, repo_id)
    return repo


def test_round_trip_download_verify_load_evaluate(tiny_run, fake_hub, tmp_path):
    publish(tiny_run.out, fake_hub["root"], "learner/ant-from-the-course")  # the repo name says nothing of the env
    folder = hub.download("learner/ant-from-the-course", trust="learner/ant-from-the-course", dest=tmp_path / "got")
    listed = [line.split()[1] for line in (folder / MANIFEST).read_text().splitlines()]
    assert set(listed) <= {name for _, name in fake_hub["fetched"]}
    assert "config.json" in listed and json.loads((folder / "config.json").read_text())["env_id"] == "AntBulletEnv-v0"
    published = json.loads((tiny_run.out / "results.json").read_text())
    model, env = load_agent(folder, seed=published["eval_seed"])
    result = evaluate(model, env, episodes=1)
    assert result["mean_reward"] == pytest.approx(published["episode_rewards"][0], rel=1e-6)


def test_a_changed_file_on_the_hub_is_refused(tiny_run, fake_hub, tmp_path):
    repo = publish(tiny_run.out, fake_hub["root"], "learner/a2c-AntBulletEnv-v0")
    with open(repo / "vec_normalize.pkl", "ab") as f:
        f.write(b"\0")
    with pytest.raises(AgentLoadError, match="SHA-256"):
        hub.download("learner/a2c-AntBulletEnv-v0", trust="learner/a2c-AntBulletEnv-v0", dest=tmp_path / "got")


def zoo_like_repo(package, hub_root, tmp_path):
    """The zoo's layout: ``<repo name>.zip``, ``vec_normalize.pkl``, a card from huggingface_sb3; no manifest, no
    results.json, and a zip whose schedule and spaces are pickled from a module that will not be importable."""
    code = tmp_path / "zoo_code"
    code.mkdir()
    (code / "zoo_only.py").write_text(
        "import gymnasium\n\nclass Box(gymnasium.spaces.Box):\n    pass\n\n"
        "class Linear:\n    def __init__(self, value):\n        self.value = value\n\n"
        "    def __call__(self, progress):\n        return progress * self.value\n")
    sys.path.insert(0, str(code))
    try:
        import zoo_only

        model = A2C.load(package / "a2c-AntBulletEnv-v0.zip", device="cpu")
        model.learning_rate = model.lr_schedule = zoo_only.Linear(1e-3)
        space = model.observation_space
        model.observation_space = zoo_only.Box(space.low, space.high, space.shape, space.dtype)
        repo = hub_root / "sb3" / "a2c-AntBulletEnv-v0"
        repo.mkdir(parents=True)
        model.save(repo / "a2c-AntBulletEnv-v0.zip")
    finally:
        sys.path.remove(str(code))
        sys.modules.pop("zoo_only", None)
    shutil.copyfile(package / "vec_normalize.pkl", repo / "vec_normalize.pkl")
    (repo / "README.md").write_text("# A2C Agent playing AntBulletEnv-v0\n")
    metadata_save(repo / "README.md", generate_metadata("a2c-AntBulletEnv-v0", "AntBulletEnv-v0", 2497.0, 37.0))
    return repo


def test_a_trusted_third_party_agent_without_manifest_loads(tiny_run, fake_hub, tmp_path):
    repo = zoo_like_repo(tiny_run.out, fake_hub["root"], tmp_path)
    with pytest.raises(ModuleNotFoundError):  # plain SB3 cannot load it: its pickles need the zoo's code
        A2C.load(repo / "a2c-AntBulletEnv-v0.zip")
    with pytest.raises(PermissionError):
        hub.download("sb3/a2c-AntBulletEnv-v0", trust=None, dest=tmp_path / "zoo")
    folder = hub.download("sb3/a2c-AntBulletEnv-v0", trust="sb3/a2c-AntBulletEnv-v0", dest=tmp_path / "zoo")
    assert not (folder / "results.json").exists() and (folder / MANIFEST).is_file()
    model, env = load_agent(folder)  # the env id comes from the card's metadata
    assert evaluate(model, env, episodes=1)["episodes"] == 1


def test_unreachable_hub_is_quick_and_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    start = time.monotonic()
    with pytest.raises(hub.HubUnreachable) as error:
        hub.download("learner/a2c-AntBulletEnv-v0", trust="learner/a2c-AntBulletEnv-v0", dest=tmp_path)
    assert time.monotonic() - start < 10, "no minute of retries"
    assert "\n" not in str(error.value) and "could not be reached" in str(error.value)


def test_hub_lost_during_the_download_is_one_line(fake_hub, monkeypatch, tmp_path):
    def offline(repo_id, filename, **_):
        raise LocalEntryNotFoundError("Cannot find the requested files in the disk cache\nand outgoing traffic has been disabled.")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(hub.HubUnreachable) as error:
        hub.download("learner/a2c-AntBulletEnv-v0", trust="learner/a2c-AntBulletEnv-v0", dest=tmp_path)
    assert "\n" not in str(error.value) and "could not be reached" in str(error.value)


def test_missing_repository_is_one_line(fake_hub, tmp_path):
    with pytest.raises(FileNotFoundError, match="No repository 'nobody/nothing'"):
        hub.download("nobody/nothing", trust="nobody/nothing", dest=tmp_path)


def metrics(card_path) -> dict:
    return {r.metric_type: r for r in ModelCard.load(card_path).data.eval_results}


@pytest.mark.parametrize("package", ["tiny run", *PACKAGES], ids=lambda p: getattr(p, "name", p))
def test_card_metadata_parses_back_and_matches_results(package, request):
    folder = request.getfixturevalue("tiny_run").out if package == "tiny run" else package
    results = json.loads((folder / "results.json").read_text())
    found = metrics(folder / "README.md")
    assert found["mean_reward"].metric_value == f"{results['mean_reward']:.2f} +/- {results['std_reward']:.2f}"
    assert found["mean_reward"].dataset_type == results["env_id"]
    assert found["mean_distance"].metric_value == f"{results['mean_distance']:.2f} +/- {results['std_distance']:.2f}"
    assert found["mean_speed"].metric_value == round(results["mean_speed"], 3)
    assert found["falls"].metric_value == results["falls"] == sum(results["episode_falls"])
    text = (folder / "README.md").read_text()
    assert f"were compared on {results['n_eval_episodes']} episodes" in text and "(5 episodes)" not in text
    if package == "tiny run" or "choice_seed" in results:  # packaged by package_run: the score is on fresh episodes
        assert results["eval_seed"] != results["choice_seed"]
        assert f"{results['n_eval_episodes']}\n**fresh** episodes seeded {results['eval_seed']}" in text


def test_push_writes_the_repository_id_into_the_card(tiny_run, tmp_path, monkeypatch):
    folder = tmp_path / "package"
    shutil.copytree(tiny_run.out, folder, ignore=shutil.ignore_patterns("checkpoints", "best", "last"))
    before = (folder / "README.md").read_text()
    assert "repo_id" not in before and "Not on the Hub yet" in before  # no id that someone else could own
    assert 'A2C.load("a2c-AntBulletEnv-v0.zip"' in before  # the snippet loads this folder's files
    uploaded = {}

    def upload_folder(self, repo_id, folder_path, **_):
        uploaded["card"] = Path(folder_path, "README.md").read_text()
        return type("Info", (), {"commit_url": f"https://huggingface.co/{repo_id}/commit/1"})()

    monkeypatch.setattr(huggingface_hub.HfApi, "create_repo", lambda self, repo_id, exist_ok: None)
    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", upload_folder)
    assert hub.push(folder, "learner/a2c-AntBulletEnv-v0", token="hf_" + "x" * 34).endswith("/commit/1")
    assert 'repo_id = "learner/a2c-AntBulletEnv-v0"' in uploaded["card"]
