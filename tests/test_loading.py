"""Bad input gets a clear one-line cause: wrong env, missing or foreign statistics, damaged files, frozen stats,
unverified pickles, and pushing without a token or network."""
import shutil

import pytest
from stable_baselines3.common.vec_env import VecNormalize

from utils.walkers import hub
from utils.walkers.envs import make_vec
from utils.walkers.scoring import NormalizationModeError, evaluate
from utils.walkers.loading import AgentLoadError, load_agent, load_model, load_vec_normalize

ANT_ZIP = "a2c-AntBulletEnv-v0.zip"


def one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.fixture
def ant_copy(tiny_run, tmp_path):
    folder = tmp_path / "a2c-AntBulletEnv-v0"
    shutil.copytree(tiny_run.out, folder, ignore=shutil.ignore_patterns("checkpoints", "best", "last"))
    return folder


def test_loads_a_verified_folder(ant_copy):
    model, env = load_agent(ant_copy)
    assert evaluate(model, env, episodes=1)["episodes"] == 1


def test_model_of_another_environment(tiny_walker_run, ant_copy):
    with pytest.raises(AgentLoadError) as error:
        load_model(ant_copy / ANT_ZIP, "Walker2DBulletEnv-v0")
    assert "trained on another environment" in one_line(error)


def test_missing_statistics(ant_copy):
    from utils.walkers.run_folder import write_manifest

    (ant_copy / "vec_normalize.pkl").unlink()
    write_manifest(ant_copy, ["a2c-AntBulletEnv-v0.zip", "config.json", "results.json"])
    with pytest.raises(AgentLoadError) as error:
        load_agent(ant_copy)
    assert "vec_normalize.pkl" in one_line(error) and "not found" in one_line(error)


def test_statistics_of_another_environment(tiny_walker_run, ant_copy):
    with pytest.raises(AgentLoadError) as error:
        load_vec_normalize(tiny_walker_run.out / "vec_normalize.pkl", make_vec("AntBulletEnv-v0", n_envs=1))
    assert "another environment" in one_line(error)


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupted_or_truncated_model(ant_copy, damage):
    path = ant_copy / ANT_ZIP
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"not a zip at all")
    with pytest.raises(AgentLoadError) as error:
        load_model(path)
    assert "corrupted" in one_line(error)


def test_manifest_catches_a_changed_file(ant_copy):
    with open(ant_copy / "vec_normalize.pkl", "ab") as f:
        f.write(b"\0")
    with pytest.raises(AgentLoadError) as error:
        load_agent(ant_copy)
    assert "SHA-256" in one_line(error)


def test_no_manifest_no_loading(ant_copy):
    (ant_copy / "SHA256SUMS").unlink()
    with pytest.raises(AgentLoadError) as error:
        load_agent(ant_copy)
    assert "manifest" in one_line(error)


def test_evaluating_with_statistics_in_training_mode(ant_copy):
    model, _ = load_agent(ant_copy)
    careless = VecNormalize.load(str(ant_copy / "vec_normalize.pkl"), make_vec("AntBulletEnv-v0", n_envs=1))
    with pytest.raises(NormalizationModeError) as error:
        evaluate(model, careless, episodes=1)
    assert "training mode" in one_line(error)


def test_push_without_token_skips_and_keeps_package(ant_copy, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    assert hub.push(ant_copy, "someone/a2c-AntBulletEnv-v0") is None
    assert "Push skipped: no Hugging Face token" in capsys.readouterr().out
    assert (ant_copy / ANT_ZIP).is_file() and (ant_copy / "results.json").is_file()


def test_push_without_network_skips_and_never_shows_the_token(ant_copy, monkeypatch, capsys):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")
    token = "hf_" + "x" * 34
    assert hub.push(ant_copy, "someone/a2c-AntBulletEnv-v0", token=token) is None
    out = capsys.readouterr()
    assert "Push skipped" in out.out and token not in out.out + out.err
    assert (ant_copy / ANT_ZIP).is_file()


def test_hub_download_needs_explicit_trust(tmp_path):
    with pytest.raises(PermissionError) as error:
        hub.download("someone/a2c-AntBulletEnv-v0", trust=None, dest=tmp_path)
    assert "trust='someone/a2c-AntBulletEnv-v0'" in one_line(error)
