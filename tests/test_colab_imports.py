"""Every import a notebook or ``utils`` makes works on Colab: it is Colab's own (``reference/colab/pip-freeze.txt``,
its published list) or the set-up cell installs it (pyproject.toml's dependencies, the robots, the no-deps pins);
and Colab's versions satisfy the course's ranges, so the set-up replaces nothing Colab ships."""
import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

import nbformat
import pytest
from packaging.requirements import Requirement

from utils.course.session import NOTEBOOKS, ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
COLAB_FREEZE = ROOT / "reference" / "colab" / "pip-freeze.txt"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_versions() -> dict[str, str]:
    """``{distribution: version}`` of Colab's list (``name==version`` and ``name @ URL`` lines)."""
    versions = {}
    for line in COLAB_FREEZE.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, rest = re.split(r"\s*(==| @ )\s*", line, maxsplit=1)
        version = rest if _ == "==" else re.search(r"-(\d[\w.+]*?)(%2B|\+|-cp)", rest)
        versions[canonical(name)] = version if isinstance(version, str) else (version.group(1) if version else "")
    return versions


def declared() -> set[str]:
    """What the Colab set-up cell installs: the dependencies, the robots, the no-deps pins."""
    requirements = PROJECT["project"]["dependencies"] + PROJECT["project"]["optional-dependencies"]["robots"]
    requirements += PROJECT["tool"]["course"]["no_deps"]
    return {canonical(Requirement(r).name) for r in requirements}


def imported_modules(source: str) -> set[str]:
    """Top-level modules imported by ``source`` (absolute imports only)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def course_imports() -> dict[str, set[str]]:
    """``{module: {where it is imported}}`` over every notebook's code cells and every module of ``utils``."""
    where = {}
    sources = [(p.name, "\n".join(c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"))
               for p in sorted(NOTEBOOKS.glob("*.ipynb"))]
    sources += [(str(p.relative_to(ROOT)), p.read_text()) for p in sorted((ROOT / "utils").rglob("*.py"))]
    for name, source in sources:
        source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for module in imported_modules(source):
            where.setdefault(module, set()).add(name)
    own = {"utils", "google", "__future__"}  # the course itself; google.colab is Colab's marker
    return {m: w for m, w in where.items() if m not in sys.stdlib_module_names and m not in own}


def test_colab_snapshot_names_its_source_and_date():
    head = COLAB_FREEZE.read_text().splitlines()[:4]
    assert any("github.com/googlecolab/backend-info" in line for line in head)
    assert any(re.search(r"20\d\d-\d\d-\d\d", line) for line in head)
    assert colab_versions()["torch"].startswith("2.11")


def test_every_import_is_colabs_or_installed_by_the_set_up_cell():
    colab, ours, distributions = set(colab_versions()), declared(), packages_distributions()
    missing = {}
    for module, where in sorted(course_imports().items()):
        names = {canonical(d) for d in distributions.get(module, [module])}
        if not names & (colab | ours):
            missing[module] = sorted(where)
    assert not missing, f"imported but neither on Colab nor installed by the set-up cell: {missing}"


def test_the_scan_sees_what_colab_lacks():
    """The check above can fail: Colab lacks these, and they are imported, so they must be declared."""
    imported, colab = course_imports(), set(colab_versions())
    for module in ("stable_baselines3", "optuna", "pybullet_envs_gymnasium", "huggingface_sb3"):
        assert module in imported, module
        assert canonical(module.replace("_", "-")) not in colab, f"{module} is on Colab now: update this test"


@pytest.mark.parametrize("requirement", PROJECT["project"]["dependencies"])
def test_colabs_versions_satisfy_the_ranges(requirement):
    """Where Colab ships a package the course needs, its version is inside the range: pip keeps it."""
    requirement = Requirement(requirement)
    version = colab_versions().get(canonical(requirement.name))
    if version is None:
        pytest.skip(f"{requirement.name} is not on Colab: the set-up cell installs it")
    assert requirement.specifier.contains(version, prereleases=True), f"Colab's {requirement.name} {version}"


def test_the_lock_satisfies_the_ranges_and_pins_the_no_deps_packages_alike():
    lock = dict(re.findall(r"^([\w.-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.M))
    lock |= dict(re.findall(r"^([\w.-]+)==(\S+)", (ROOT / "requirements-robots.txt").read_text(), re.M))
    lock = {canonical(k): v for k, v in lock.items()}
    for text in PROJECT["project"]["dependencies"] + PROJECT["project"]["optional-dependencies"]["robots"]:
        requirement = Requirement(text)
        assert requirement.specifier.contains(lock[canonical(requirement.name)]), text
    for pin in PROJECT["tool"]["course"]["no_deps"]:
        name, version = pin.split("==")
        assert lock[canonical(name)] == version, f"{pin} and requirements.txt disagree"
