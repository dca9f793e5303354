"""LazyBillingTool: nothing heavy at start, a missing path still fails at start, the same answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evals.sandbox.billing_world import SAMPLE_DIR
from tools.billing import BillingTool, LazyBillingTool
from tools.errors import BadInput, NotFound

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = SAMPLE_DIR / "focus-1.0-sample.csv"


def test_binding_the_specs_imports_neither_ibis_nor_arrow_nor_duckdb() -> None:
    code = (
        "import sys\n"
        "from tools.billing import LazyBillingTool, specs\n"
        f"tool = LazyBillingTool({str(SAMPLE_DIR)!r})\n"
        "built = specs(tool)\n"
        "heavy = [m for m in ('ibis', 'pyarrow', 'duckdb', 'pandas') if m in sys.modules]\n"
        "print(len(built), tool.loaded, ','.join(heavy) or '-')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["6", "False", "-"]


@pytest.mark.parametrize(
    "where", ["no-such-dir", "no-such-dir/*.csv", "empty-dir"], ids=["path", "glob", "empty dir"]
)
def test_paths_that_name_no_data_file_fail_at_start(tmp_path: Path, where: str) -> None:
    (tmp_path / "empty-dir").mkdir()
    (tmp_path / "empty-dir" / "notes.txt").write_text("not billing")
    with pytest.raises(NotFound):
        LazyBillingTool(tmp_path / where)


def test_an_unsupported_file_fails_at_start(tmp_path: Path) -> None:
    (tmp_path / "costs.xlsx").write_text("")
    with pytest.raises(BadInput):
        LazyBillingTool(tmp_path / "costs.xlsx")


def test_a_file_that_is_not_focus_fails_on_first_use_with_the_tools_error(tmp_path: Path) -> None:
    (tmp_path / "costs.csv").write_text("a,b\n1,2\n")
    tool = LazyBillingTool(tmp_path / "costs.csv")
    with pytest.raises(BadInput, match="not a FOCUS export"):
        tool.totals()
    assert not tool.loaded


def test_first_query_loads_once_and_answers_as_the_eager_tool() -> None:
    lazy, eager = LazyBillingTool(SAMPLE_DIR), BillingTool.from_files(SAMPLE_DIR)
    assert not lazy.loaded
    assert lazy.totals() == eager.totals()
    assert lazy.loaded
    first = lazy._real()
    assert lazy.cost_by("service", limit=5) == eager.cost_by("service", limit=5)
    assert lazy._real() is first
    assert lazy.info == eager.info
