"""Loading Prometheus rule files (``groups[].rules[]``) into :class:`AlertRule` objects."""

from __future__ import annotations

from pathlib import Path

import yaml

from agents.runbook.models import AlertRule


class RuleFileError(ValueError):
    """The file is not a Prometheus rule file, or the named alert is not in it."""


def source_label(path: Path) -> str:
    """How a rule file is recorded in a runbook: never a machine path.

    Relative to its repository (the nearest parent holding ``.git``) when it lives in one; else as the
    user gave it when that is relative; else its file name.
    """
    if not path.is_absolute():
        return path.as_posix()
    resolved = path.resolve()
    for parent in resolved.parents:
        if (parent / ".git").exists():
            return resolved.relative_to(parent).as_posix()
    return path.name


def load_rules(path: Path, *, allow_empty: bool = False) -> list[AlertRule]:
    """Every alerting rule of a rule file (recording rules are skipped); ``source`` per :func:`source_label`."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise RuleFileError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{path} is not YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise RuleFileError(f"{path} is not a Prometheus rule file (no 'groups' list)")
    rules: list[AlertRule] = []
    for group in data["groups"]:
        for raw in (group or {}).get("rules") or []:
            if isinstance(raw, dict) and "alert" in raw and "expr" in raw:
                rules.append(
                    AlertRule.model_validate(
                        {
                            **raw,
                            "expr": str(raw["expr"]),
                            "group": str(group.get("name", "")),
                            "source": source_label(path),
                            "labels": {str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
                            "annotations": {
                                str(k): str(v) for k, v in (raw.get("annotations") or {}).items()
                            },
                            "for": str(raw["for"]) if raw.get("for") is not None else None,
                        }
                    )
                )
    if not rules and not allow_empty:
        raise RuleFileError(f"{path} holds no alerting rules")
    return rules


def pick(rules: list[AlertRule], alert: str | None) -> list[AlertRule]:
    """The rule named ``alert`` (all rules when None)."""
    if alert is None:
        return rules
    chosen = [r for r in rules if r.alert == alert]
    if not chosen:
        names = ", ".join(sorted({r.alert for r in rules})[:20])
        raise RuleFileError(f"no alert named {alert!r} in the file (has: {names})")
    return chosen[:1]
