"""The example notebooks run headless from top to bottom without an error.

Each notebook in ``examples/`` is executed with nbclient in a fresh kernel of the
current interpreter (cwd ``examples/``, as in Jupyter), with a time limit per
cell; any exception fails the test.  Plots go to a temporary directory (the
notebooks read ``PLAN_DESIGN_IMAGES``), and must be the ones ``docs/images/``
holds and ``docs/plan-design.md`` shows.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient")
pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel")
pytest.importorskip("pandas", reason="the notebooks need pandas (the notebook extra)")
pytest.importorskip("matplotlib", reason="the notebooks need matplotlib (the notebook extra)")
pytest.importorskip("tqdm", reason="the notebooks need tqdm (the notebook extra)")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
IMAGES = ROOT / "docs" / "images"
CELL_TIMEOUT_SECONDS = 60
NOTEBOOK_SECONDS_MAX = 30
KERNEL = "socialcommerce-rules-test"

NOTEBOOKS = {
    "design_a_plan.ipynb": [
        "design-income-distribution.png",
        "design-depth-histogram.png",
        "design-monthly-payouts.png",
        "design-payout-waterfall.png",
        "design-subtree.png",
    ],
    "replay_history.ipynb": [
        "replay-monthly-payouts.png",
        "replay-income-distribution.png",
    ],
}


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernel spec running this interpreter, whatever kernels the machine has."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "tests", "language": "python"}),
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "agg")
    return KERNEL


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs_without_error(
    name: str, kernel: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = tmp_path / "images"
    monkeypatch.setenv("PLAN_DESIGN_IMAGES", str(images))
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name=kernel,
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - started

    assert elapsed < NOTEBOOK_SECONDS_MAX, f"{name} took {elapsed:.1f} s"
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
    saved = sorted(path.name for path in images.glob("*.png"))
    assert saved == sorted(NOTEBOOKS[name])
    for image in saved:
        assert (images / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (IMAGES / image).is_file(), f"docs/images/{image} is missing: run the notebook"
    # Rich display is on: plans and comparisons render as HTML, figures as PNG.
    kinds = {
        kind
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        for kind in output.get("data", {})
    }
    assert {"text/html", "image/png"} <= kinds


def test_the_notebooks_are_stored_without_outputs() -> None:
    for name in NOTEBOOKS:
        notebook = nbformat.read(EXAMPLES / name, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{name} holds outputs: clear them before saving"
                assert cell.execution_count is None
