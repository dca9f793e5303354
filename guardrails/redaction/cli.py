"""Body of ``referent redact``: stdin → redacted stdout, or the findings as JSON with ``--json``.

Input is read as bytes when the stream has a binary buffer and decoded as UTF-8 with
``surrogateescape``, so undecodable bytes and ``\\r\\n`` line ends survive: every line in which
nothing is found is written back byte-identical. ``--json`` prints a list of
``{entity_type, start, end, score}`` with character offsets into the whole (decoded) input.
"""

from __future__ import annotations

import json
from typing import IO, Any

from .redactor import Redactor

_ENCODING = "utf-8"
_ERRORS = "surrogateescape"


def _read(stream: IO[Any]) -> str:
    buffer = getattr(stream, "buffer", None)
    data = buffer.read() if buffer is not None else stream.read()
    return data.decode(_ENCODING, _ERRORS) if isinstance(data, bytes) else data


def _write(stream: IO[Any], text: str) -> None:
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(text.encode(_ENCODING, _ERRORS))
        buffer.flush()
    else:
        stream.write(text)


def redact_stream(
    stdin: IO[Any], stdout: IO[Any], redactor: Redactor, json_findings: bool = False, scope: str = "cli"
) -> None:
    """Redact all of ``stdin`` to ``stdout``, or with ``json_findings`` print the findings instead.

    Args:
        stdin: Text or binary stream to read entirely.
        stdout: Stream for the redacted text, or for the JSON list of findings.
        redactor: The configured :class:`Redactor`.
        json_findings: Print ``[{"entity_type", "start", "end", "score"}, …]`` instead of the text.
        scope: Pseudonym scope for the tokens written.
    """
    text = _read(stdin)
    if json_findings:
        findings = redactor.analyze(text)
        _write(stdout, json.dumps([finding.model_dump() for finding in findings]) + "\n")
        return
    _write(stdout, redactor.redact_lines(text, scope))
