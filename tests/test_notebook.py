"""docs/notebooks/tour.ipynb runs, headless, in a real Jupyter kernel, from a folder that is not
the project: it builds the shipped project into the user's cache and its answers are the graph's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from cskg import api
from cskg.export.graph import to_networkx
from cskg.project import user_release

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebooks" / "tour.ipynb"
KERNEL = "cskg-tour"


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code) >= 8
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernel spec for this Python, installed into a folder of the test's own."""
    prefix = tmp_path / "jupyter"
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", KERNEL],
        check=True,
        capture_output=True,
        timeout=120,
    )
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    return KERNEL


def _outputs(notebook: nbformat.NotebookNode, tag: str) -> list[nbformat.NotebookNode]:
    cells = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, tag
    return list(cells[0].outputs)


def _data(notebook: nbformat.NotebookNode, tag: str, kind: str) -> str:
    found = [o["data"][kind] for o in _outputs(notebook, tag) if kind in o.get("data", {})]
    assert found, f"{tag}: no {kind} output"
    return str(found[-1])


@pytest.mark.slow
def test_the_tour_runs_from_any_folder(
    kernel: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "analyst"
    work.mkdir()
    for variable in ("CSKG_ROOT", "CSKG_DIST"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(work)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name=kernel, resources={"metadata": {"path": str(work)}}
    )
    client.execute()  # raises CellExecutionError at a cell that fails

    release = user_release()  # the shipped project's release, in the cache: nothing in work/
    assert release.is_relative_to(tmp_path / "cache") and (release / "cskg.nq").is_file()
    assert list(work.iterdir()) == []
    assert str(release) in _data(notebook, "build", "text/plain")

    dtypes = dict(
        line.split() for line in _data(notebook, "gap-dtypes", "text/plain").splitlines()[:-1]
    )
    assert dtypes["year"] == "Int64"
    assert {dtypes[c] for c in ("chinaService", "globalService2014", "gapPoints")} == {"float64"}
    gap = api.query("services-gap", dist=release)
    shown = _data(notebook, "gap", "text/html")
    assert all(f"<td>{float(row[4].value)}</td>" in shown for row in gap.rows)  # type: ignore[union-attr]

    claims = api.query("policy-enabled-industry-change", dist=release)
    assert _data(notebook, "policy", "text/html").count("<tr>") == 1 + min(len(claims), 50)
    assert _data(notebook, "chart", "image/png")
    view = to_networkx(release, "policy-impact")
    counts = (view.number_of_nodes(), view.number_of_edges())
    assert _data(notebook, "network", "text/plain") == repr(counts)
    assert _data(notebook, "network", "image/png")
