"""The MLflow ToolSpec table: names, actions, argument routing and lazy binding (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from tools.base import ActionClass
from tools.mlflow_registry import specs


class _Recorder:
    """Answers every registry method with ``(method name, args)``."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args: (name, args)


class _Untouchable:
    """A stand-in for an unconfigured source: every attribute access raises."""

    def __getattribute__(self, name: str) -> Any:
        raise AssertionError(f"specs touched the registry: .{name}")


def _by_name(registry: Any) -> dict[str, Any]:
    return {s.name: s for s in specs(registry)}


def test_specs_names_actions_and_source() -> None:
    got = {name: s.action for name, s in _by_name(_Recorder()).items()}
    read, write = ActionClass.READ, ActionClass.WRITE
    assert got == {
        "mlflow.list_models": read,
        "mlflow.get_model": read,
        "mlflow.get_version": read,
        "mlflow.get_alias": read,
        "mlflow.version_metrics": read,
        "mlflow.signature": read,
        "mlflow.alias_history": read,
        "mlflow.changes_since": read,
        "mlflow.set_alias": write,
        "mlflow.set_tag": write,
        "mlflow.copy_version": write,
        "mlflow.delete_alias": ActionClass.DESTRUCTIVE,
    }
    assert {(s.source, s.timeout_s) for s in specs(_Recorder())} == {("mlflow", 30.0)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("list_models", {}, ("list_models", (100,))),
        ("get_version", {"model": "m", "version": 2}, ("get_version", ("m", 2))),
        ("alias_history", {"model": "m"}, ("alias_history", ("m", None))),
        ("changes_since", {"model": "m"}, ("changes_since", ("m", 24.0))),
        (
            "set_alias",
            {"model": "m", "alias": "champion", "version": 3},
            ("set_alias", ("m", "champion", 3, "referent")),
        ),
        ("set_tag", {"model": "m", "key": "k", "value": "v"}, ("set_model_tag", ("m", "k", "v"))),
        (
            "set_tag",
            {"model": "m", "key": "k", "value": "v", "version": 4},
            ("set_version_tag", ("m", 4, "k", "v")),
        ),
        ("copy_version", {"model": "m", "version": 1, "dst_model": "d"}, ("copy_version", ("m", 1, "d"))),
        ("delete_alias", {"model": "m", "alias": "staging"}, ("delete_alias", ("m", "staging", "referent"))),
    ],
)
def test_specs_route_arguments_to_the_registry(tool: str, args: dict[str, Any], expected: Any) -> None:
    spec = _by_name(_Recorder())[f"mlflow.{tool}"]
    assert spec.func(spec.input_model(**args)) == expected


def test_specs_bind_without_touching_the_registry() -> None:
    built = specs(_Untouchable())  # type: ignore[arg-type]
    assert len(built) == 12
    with pytest.raises(AssertionError, match="list_models"):
        built[0].func(built[0].input_model())  # the registry is only reached when a tool runs
