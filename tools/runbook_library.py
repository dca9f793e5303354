"""The runbook library as a tool: find, read and store Markdown runbooks with YAML front matter."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from tools.base import ActionClass, ToolSpec
from tools.errors import BadInput, NotFound

SOURCE = "runbooks"
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


class RunbookDoc(BaseModel):
    alert: str
    path: str
    url: str
    front_matter: dict[str, Any] = Field(default_factory=dict)
    sections: list[str] = Field(default_factory=list)
    markdown: str = ""


class FindArgs(BaseModel):
    alert: str = Field(description="alert name, e.g. KubePodCrashLooping")


class SaveArgs(BaseModel):
    alert: str
    markdown: str = Field(min_length=1)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT.match(text)
    if not match:
        return {}, text
    data = yaml.safe_load(match.group(1)) or {}
    return (data if isinstance(data, dict) else {}), text[match.end() :]


class RunbookLibrary:
    """Runbooks in ``write_dir`` (generated, writable) and ``read_dirs`` (curated/reference)."""

    def __init__(self, write_dir: Path, read_dirs: list[Path] | None = None, base_url: str = "") -> None:
        self.write_dir = write_dir
        self.read_dirs = [write_dir, *(read_dirs or [])]
        self.base_url = base_url.rstrip("/")

    def _check(self, alert: str) -> str:
        if not _NAME.match(alert):
            raise BadInput(SOURCE, f"not a valid alert name: {alert!r}")
        return alert

    def url(self, alert: str) -> str:
        return f"{self.base_url}/runbooks/{alert}"

    def find(self, alert: str, with_markdown: bool = True) -> RunbookDoc:
        """The runbook for ``alert`` (generated first, then curated)."""
        self._check(alert)
        for directory in self.read_dirs:
            path = directory / f"{alert}.md"
            if path.exists():
                text = path.read_text()
                front, body = split_front_matter(text)
                sections = re.findall(r"^## (.+)$", body, re.MULTILINE)
                return RunbookDoc(
                    alert=alert,
                    path=str(path),
                    url=self.url(alert),
                    front_matter=front,
                    sections=sections,
                    markdown=text if with_markdown else "",
                )
        raise NotFound(SOURCE, f"no runbook for {alert}")

    def list(self) -> list[str]:
        names = {p.stem for d in self.read_dirs if d.exists() for p in d.glob("*.md")}
        return sorted(n for n in names if _NAME.match(n) and n not in {"SOURCE", "README"})

    def save(self, alert: str, markdown: str) -> RunbookDoc:
        self._check(alert)
        self.write_dir.mkdir(parents=True, exist_ok=True)
        path = self.write_dir / f"{alert}.md"
        tmp = path.with_suffix(f".tmp{datetime.now(UTC).timestamp():.0f}")
        tmp.write_text(markdown)
        tmp.replace(path)
        return self.find(alert, with_markdown=False)


def specs(library: RunbookLibrary) -> list[ToolSpec]:
    return [
        ToolSpec(
            "runbooks.find",
            "Return the runbook for an alert name: its URL, front matter, section titles "
            "and Markdown text. Fails with not_found when the library has none.",
            FindArgs,
            ActionClass.READ,
            lambda a: library.find(a.alert),
            SOURCE,
        ),
        ToolSpec(
            "runbooks.save",
            "Store a runbook (Markdown with front matter) for an alert in the library, "
            "replacing an earlier version. Returns where it is stored and its URL.",
            SaveArgs,
            ActionClass.WRITE,
            lambda a: library.save(a.alert, a.markdown),
            SOURCE,
        ),
    ]
