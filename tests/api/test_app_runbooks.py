"""Runbooks are served at the stable URL that alert rules use as runbook_url."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app, default_library
from runbooks import REFERENCE_DIR
from tools.runbook_library import RunbookLibrary


def client(tmp_path):
    library = RunbookLibrary(tmp_path, [REFERENCE_DIR], base_url="http://referent.test")
    library.save(
        "FraudScorerDown", "---\nalert: FraudScorerDown\n---\n# FraudScorerDown\n\n## Meaning\n\nx\n"
    )
    app = create_app()
    app.dependency_overrides[default_library] = lambda: library
    return TestClient(app)


def test_generated_and_reference_runbooks_are_served(tmp_path):
    c = client(tmp_path)
    got = c.get("/runbooks/FraudScorerDown")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/markdown")
    assert "## Meaning" in got.text
    assert "KubePodCrashLooping" in c.get("/runbooks").json()["runbooks"]
    assert c.get("/runbooks/KubePodCrashLooping").status_code == 200
    assert c.get("/healthz").json() == {"status": "ok"}


def test_unknown_and_bad_names(tmp_path):
    c = client(tmp_path)
    missing = c.get("/runbooks/NoSuchAlert")
    assert missing.status_code == 404 and "no runbook" in missing.json()["detail"]
    assert c.get("/runbooks/bad%20name!").status_code == 400
