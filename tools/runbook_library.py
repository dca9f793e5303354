"""The runbook library as a tool: find, read and store Markdown runbooks with YAML front matter.

Generated runbooks never land in the source tree unless asked: a directory holding a ``.curated``
marker (the packaged ``runbooks/library``) is read, not written; writes then go to
``REFERENT_RUNBOOKS_DIR`` when set, else ``REFERENT_STATE_DIR/runbooks`` (:class:`RunbookLocations`).
Setting ``REFERENT_RUNBOOKS_DIR`` to the curated directory itself is the explicit ask.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tools.base import ActionClass, ToolSpec
from tools.errors import BadInput, NotFound

SOURCE = "runbooks"
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
CURATED_MARKER = ".curated"


class RunbookLocations(BaseSettings):
    """Where generated runbooks go: ``REFERENT_RUNBOOKS_DIR``, else ``REFERENT_STATE_DIR/runbooks``.

    ``state_dir`` reads the same variable (and default) as the guardrails' state directory.
    """

    model_config = SettingsConfigDict(env_prefix="REFERENT_", extra="ignore")

    state_dir: Path = Field(default=Path(".referent"))
    runbooks_dir: Path | None = None

    def generated_dir(self) -> Path:
        return self.runbooks_dir or self.state_dir / "runbooks"

    def asked_for(self, directory: Path) -> bool:
        """Whether the operator named ``directory`` as the runbooks directory."""
        return self.runbooks_dir is not None and self.runbooks_dir.resolve() == directory.resolve()


def is_curated(directory: Path) -> bool:
    """A directory of curated runbooks (checked into the source tree): it holds the marker file."""
    return (directory / CURATED_MARKER).exists()


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
    """Runbooks in ``write_dir`` (generated, writable) and ``read_dirs`` (curated/reference).

    A curated ``write_dir`` (see :func:`is_curated`) is only read, unless the operator asked for it;
    generated runbooks then go to :meth:`RunbookLocations.generated_dir`. Reads look in the generated
    directory first, then the curated and reference ones.
    """

    def __init__(
        self,
        write_dir: Path,
        read_dirs: list[Path] | None = None,
        base_url: str = "",
        *,
        locations: RunbookLocations | None = None,
    ) -> None:
        read = list(read_dirs or [])
        if is_curated(write_dir):
            where = locations or RunbookLocations()
            if not where.asked_for(write_dir):
                read.insert(0, write_dir)
                write_dir = where.generated_dir()
        self.write_dir = write_dir
        self.read_dirs = [write_dir, *read]
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
