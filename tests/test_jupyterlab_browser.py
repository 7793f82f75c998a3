"""The learner's real interface: notebook 00 runs top to bottom in JupyterLab, in a headless Chromium.

nbval (``make test``) executes every notebook through a bare kernel; this test looks at what a learner sees. It
starts JupyterLab (smoke mode) on a copy of ``notebooks/00_meet_the_walkers.ipynb``, opens the notebook in the
system's Chromium through the system's chromedriver (Selenium Manager is never asked to download anything), runs
Run > Run All Cells from the menu bar, waits until every code cell has its execution count, then checks the page:
no error output, the quiz rendered as Markdown (lettered choices), a tqdm progress bar rendered as an ipywidget
while §6 ran, figures shown as images. Screenshots land in the test's ``tmp_path``.

Skipped when Chromium or chromedriver is not on PATH (Debian: ``apt-get install chromium chromium-driver``).

JupyterLab runs with its own settings, workspace, runtime and config folders under ``tmp_path``: the notebook
setting ``windowingMode`` is "none" there, so that every cell stays attached to the page (the default,
"contentVisibility", attaches far-away cells lazily and the test could not read them), and news are not fetched.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from utils.course.session import NOTEBOOKS
from utils.course.smoke import CANARY_VARIABLE, NOTEBOOK_VARIABLE, SMOKE_VARIABLE

NOTEBOOK = NOTEBOOKS / "00_meet_the_walkers.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

SERVER_TIMEOUT = 120  # s until JupyterLab answers
READY_TIMEOUT = 120  # s until the notebook is shown and its kernel is idle
RUN_TIMEOUT = 300  # s for Run All in smoke mode (about 15-60 s on a shared 2-core machine)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="the JupyterLab browser test needs Chromium and chromedriver on PATH "
           f"(found chromium: {CHROMIUM}, chromedriver: {CHROMEDRIVER}); "
           "on Debian: apt-get install chromium chromium-driver",
)

# Per code cell, in notebook order: its prompt ("[3]:", "[*]:", "[ ]:", or None when the input is collapsed and only a
# placeholder shows), its outputs (mime type and text), how many images and rendered-Markdown lists it shows.
CELLS_JS = """
return [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map((cell, index) => {
  const prompt = cell.querySelector('.jp-InputArea-prompt');
  return {
    index: index,
    code: cell.classList.contains('jp-CodeCell'),
    prompt: prompt ? prompt.textContent.trim() : null,
    outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => ({
      mime: o.getAttribute('data-mime-type'), text: o.textContent.slice(0, 2000)})),
    images: [...cell.querySelectorAll('.jp-OutputArea-output img')].filter(i => i.complete && i.naturalWidth > 0).length,
    markdown_items: cell.querySelectorAll('.jp-OutputArea-output.jp-RenderedMarkdown li').length,
    markdown_strong: [...cell.querySelectorAll('.jp-OutputArea-output.jp-RenderedMarkdown strong')].map(s => s.textContent.trim()),
  };
});
"""

# Records every ipywidget progress bar added to the page (tqdm.auto's bar; with leave=False it is removed again when
# its loop ends, so it has to be caught while the cell runs) and any "Error displaying widget" message.
WATCH_WIDGETS_JS = """
window.__courseWatch = {bars: [], widget_errors: []};
const look = node => {
  if (node.nodeType !== 1) return;
  const bars = node.matches('.widget-hprogress') ? [node] : [...node.querySelectorAll('.widget-hprogress')];
  for (const bar of bars) {
    const box = bar.closest('.widget-hbox') || bar.parentElement;
    const cell = bar.closest('.jp-Cell');
    window.__courseWatch.bars.push({
      cell: cell ? [...document.querySelectorAll('.jp-Notebook .jp-Cell')].indexOf(cell) : -1,
      text: box ? box.textContent.trim().slice(0, 200) : '',
      has_bar: !!bar.querySelector('.progress-bar, .widget-progress'),
    });
  }
  if (/Error displaying widget/.test(node.textContent || '')) window.__courseWatch.widget_errors.push(node.textContent.slice(0, 300));
};
new MutationObserver(records => { for (const r of records) for (const n of r.addedNodes) look(n); })
  .observe(document.body, {childList: true, subtree: true});
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_settings(folder: Path) -> None:
    """JupyterLab user settings for this run only: every cell attached to the DOM, no news toast."""
    settings = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    }
    for name, value in settings.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(value))


def wait_for_server(proc, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {proc.returncode} before answering:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)  # polling a server that is starting: nothing in the page to wait on yet
    pytest.fail(f"JupyterLab did not answer {url.split('?')[0]} within {SERVER_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def stop_server(proc, base: str, token: str) -> None:
    """Ask JupyterLab to shut down (it stops its kernels), then end whatever it started that is still running."""
    import psutil

    try:
        started = psutil.Process(proc.pid).children(recursive=True)  # the kernels: each in a session of its own
    except psutil.Error:
        started = []
    try:
        urllib.request.urlopen(urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST"), timeout=10)
    except (urllib.error.URLError, OSError):
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for child in started:
        try:
            child.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(started, timeout=10)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server in smoke mode on a copy of notebook 00: (base url, token, notebook copy, canary folder)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copyfile(NOTEBOOK, notebooks / NOTEBOOK.name)  # JupyterLab autosaves: never into the repository's file
    jupyter_dirs = {name: tmp_path / "jupyter" / name.lower() for name in
                    ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")}
    for folder in jupyter_dirs.values():
        folder.mkdir(parents=True)
    write_settings(jupyter_dirs["JUPYTERLAB_SETTINGS_DIR"])
    canary = tmp_path / "canary"
    env = {**os.environ, **{k: str(v) for k, v in jupyter_dirs.items()}, SMOKE_VARIABLE: "1",
           CANARY_VARIABLE: str(canary), NOTEBOOK_VARIABLE: NOTEBOOK.stem}  # the kernel inherits all of these
    env.pop("MPLBACKEND", None)  # `make test` sets Agg, which would stop the kernel's inline figures

    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--port-retries=0",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}", "--ServerApp.open_browser=False",
               f"--notebook-dir={notebooks}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=notebooks, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_for_server(proc, f"{base}/api/status?token={token}", log)
        yield base, token, notebooks / NOTEBOOK.name, canary
    finally:
        stop_server(proc, base, token)


@pytest.fixture
def chromium(monkeypatch):
    """Headless system Chromium driven by the system chromedriver; Selenium Manager stays offline and unused."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # belt and braces: both paths are given, so it is not even called
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def describe(cell: dict, sources: list[str]) -> str:
    first = sources[cell["index"]].strip().splitlines()[0] if sources[cell["index"]].strip() else ""
    return f"cell {cell['index']} ({first[:70]!r})"


def test_notebook_00_runs_in_jupyterlab(jupyterlab, chromium, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    base, token, notebook, canary = jupyterlab
    driver = chromium
    sources = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"]]
    started = time.monotonic()

    driver.get(f"{base}/lab/tree/{notebook.name}?token={token}")
    WebDriverWait(driver, READY_TIMEOUT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")) == len(sources),
        f"JupyterLab did not show the {len(sources)} cells of {notebook.name} within {READY_TIMEOUT} s")
    WebDriverWait(driver, READY_TIMEOUT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, '.jp-Notebook-ExecutionIndicator[data-status="idle"]')),
        f"the notebook's kernel was not idle within {READY_TIMEOUT} s (kernel status indicator)")
    WebDriverWait(driver, READY_TIMEOUT).until(
        lambda d: d.execute_script("return [...document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')]"
                                   ".some(e => /ipykernel\\) \\| Idle$/.test(e.textContent.trim()))"),
        f"the status bar did not show 'Python 3 (ipykernel) | Idle' within {READY_TIMEOUT} s")
    ready = time.monotonic()

    driver.execute_script(WATCH_WIDGETS_JS)
    WebDriverWait(driver, 30).until(EC.element_to_be_clickable(
        (By.XPATH, "//li[contains(@class, 'lm-MenuBar-item')][.//*[normalize-space(text())='Run']]"))).click()
    WebDriverWait(driver, 30).until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, '.lm-Menu-item[data-command="runmenu:run-all"]'))).click()

    code_cells = [i for i, c in enumerate(json.loads(notebook.read_text())["cells"]) if c["cell_type"] == "code"]

    def all_executed(d):
        cells = [c for c in d.execute_script(CELLS_JS) if c["code"]]
        prompts = [c["prompt"] for c in cells if c["prompt"] is not None]
        status = d.find_element(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator").get_attribute("data-status")
        done = (len(cells) == len(code_cells) and status == "idle"
                and all(p.startswith("[") and p[1:-2].isdigit() for p in prompts))
        return cells if done else False

    try:
        cells = WebDriverWait(driver, RUN_TIMEOUT, poll_frequency=1).until(all_executed)
    except Exception:
        driver.save_screenshot(str(tmp_path / "timeout.png"))
        left = [describe(c, sources) + f" {c['prompt']}" for c in driver.execute_script(CELLS_JS)
                if c["code"] and c["prompt"] is not None and not c["prompt"][1:-2].isdigit()]
        pytest.fail(f"Run All did not finish within {RUN_TIMEOUT} s; not executed yet: {left}; "
                    f"screenshot {tmp_path / 'timeout.png'}")
    finished = time.monotonic()
    watch = driver.execute_script("return window.__courseWatch")

    # Every code cell ran once, in order, in a fresh kernel: the k-th code cell shows [k]. A cell whose input is
    # collapsed (the hidden reference solutions) shows no prompt; the numbers of the cells after it prove it ran.
    for k, cell in enumerate(cells, 1):
        if cell["prompt"] is not None:
            assert cell["prompt"] == f"[{k}]:", f"{describe(cell, sources)} shows {cell['prompt']}, expected [{k}]:"
    assert cells[-1]["prompt"] == f"[{len(cells)}]:", f"the last code cell did not run: {cells[-1]['prompt']}"
    dialogs = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog")]
    assert not dialogs, f"JupyterLab showed a dialog while running the notebook (a dead kernel?): {dialogs}"

    # No error anywhere: no error output, no traceback written to stderr.
    for cell in cells:
        for output in cell["outputs"]:
            assert output["mime"] != "application/vnd.jupyter.error", \
                f"{describe(cell, sources)} raised an error:\n{output['text']}"
            if output["mime"] == "application/vnd.jupyter.stderr":
                assert "Traceback" not in output["text"] and "Error" not in output["text"], \
                    f"{describe(cell, sources)} wrote an error to stderr:\n{output['text']}"
            assert "Error displaying widget" not in output["text"], \
                f"{describe(cell, sources)}: a widget failed to render: {output['text']}"
    assert not watch["widget_errors"], f"a widget failed to render: {watch['widget_errors']}"

    # The kernel that JupyterLab started ran in smoke mode (its set-up cell records the mode it saw).
    marker = canary / f"{NOTEBOOK.stem}.json"
    assert marker.exists(), f"the set-up cell of cell {code_cells[0]} recorded no mode in {canary}"
    assert json.loads(marker.read_text())["smoke"] is True, "the notebook ran in FULL mode: COURSE_SMOKE did not reach the kernel"

    # The quiz (``QUIZ.show()``): Markdown with numbered questions and lettered choices, rendered, not raw text.
    quiz = next((c for c in cells if "QUIZ.show()" in sources[c["index"]]), None)
    assert quiz is not None, "no cell calls QUIZ.show()"
    assert [o["mime"] for o in quiz["outputs"]] == ["text/markdown"], \
        f"{describe(quiz, sources)} should show the quiz as one Markdown output, got {quiz['outputs']}"
    questions = [s for s in quiz["markdown_strong"] if s[:-1].isdigit()]
    letters = [s for s in quiz["markdown_strong"] if len(s) == 2 and s[0].isalpha()]
    assert len(questions) >= 2 and quiz["markdown_items"] >= 2 * len(questions) and len(letters) == quiz["markdown_items"], \
        f"{describe(quiz, sources)}: the quiz did not render as questions with lettered choices: {quiz['markdown_strong']}"
    assert "**" not in quiz["outputs"][0]["text"], f"{describe(quiz, sources)} shows raw Markdown"

    # tqdm.auto's progress bar (§6, leave=False) rendered as an ipywidget while its cell ran.
    bar_cells = [i for i in code_cells if "tqdm(" in sources[i]]
    assert bar_cells, "no cell of notebook 00 uses tqdm any more: update this test"
    assert any(b["cell"] in bar_cells and b["has_bar"] for b in watch["bars"]), \
        f"cells {bar_cells} showed no ipywidgets progress bar (.widget-hprogress) while running; seen: {watch['bars']}"

    # Figures: every cell that calls plt.show() shows a loaded image.
    figure_cells = [c for c in cells if "plt.show()" in sources[c["index"]]]
    assert figure_cells, "no cell of notebook 00 draws a figure any more: update this test"
    for cell in figure_cells:
        assert cell["images"] >= 1, f"{describe(cell, sources)} shows no figure: {[o['mime'] for o in cell['outputs']]}"

    # Screenshots for a person to look at: the first figure, and the quiz.
    shots = []
    for name, cell in (("figure", figure_cells[0]), ("quiz", quiz)):
        element = driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")[cell["index"]]
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", element)
        shots.append(tmp_path / f"00_meet_the_walkers-{name}.png")
        assert driver.save_screenshot(str(shots[-1])), f"could not save {shots[-1]}"
    print(f"\nJupyterLab ready in {ready - started:.0f} s, Run All took {finished - ready:.0f} s; "
          f"progress bars seen: {[b['text'] for b in watch['bars']]}")
    print("screenshots: " + ", ".join(map(str, shots)))
