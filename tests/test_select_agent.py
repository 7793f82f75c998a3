"""``scripts/select_agent.py --check``: a candidate recipe's seeds reported, nothing chosen or shipped."""
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "agents" / "a2c-Walker2DBulletEnv-v0"


def digest(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.relative_to(folder).as_posix().encode() + p.read_bytes() for p in files)).hexdigest()


def test_a_candidates_seeds_are_reported_and_nothing_is_shipped(tiny_walker_run, tmp_path):
    before = digest(SHIPPED)
    check = tmp_path / "check"
    done = subprocess.run([sys.executable, "scripts/select_agent.py", "--env", "Walker2DBulletEnv-v0", "--check",
                           str(check), str(tiny_walker_run.out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    table = (check / "seeds.md").read_text()
    assert "a candidate recipe, each package evaluated" in table and "nothing chosen or shipped" in table
    assert "**0 of 1 seeds**" in table, "320 steps do not make a walker"
    assert "python -m utils.train" in table, "the command that trained the seeds is named"
    run = Path(tiny_walker_run.out).name
    assert {p.name for p in (check / "seeds" / run).iterdir()} == {"run.json", "train.log", "episodes.csv"}, \
        "its logs (this run has no periodic evaluations)"
    again = subprocess.run([sys.executable, "scripts/select_agent.py", "--env", "Walker2DBulletEnv-v0", "--check",
                            str(check), "--table-only"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and (check / "seeds.md").read_text() == table, "the table again, from seeds.json"
    assert digest(SHIPPED) == before, "the shipped walker and its seeds' table are untouched"
