"""``referent redact`` body: byte-identical clean lines, JSON findings, and no network at all."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from guardrails.redaction import RedactionSettings, Redactor, redact_stream

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=False))


def run(redactor: Redactor, data: bytes, json_findings: bool = False) -> bytes:
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    out_buffer = io.BytesIO()
    stdout = io.TextIOWrapper(out_buffer, encoding="utf-8")
    redact_stream(stdin, stdout, redactor, json_findings=json_findings)
    stdout.flush()
    return out_buffer.getvalue()


def test_clean_lines_are_byte_identical(redactor: Redactor) -> None:
    clean = [
        b"2025-03-14T09:00:00Z trace_id=4bf92f3577b34da6a3ce929d0e0e4736 status=200\r\n",
        b"caf\xc3\xa9 latency_ms=12 \xff\xfe invalid utf-8 kept\n",
        b"\ttabs\t and trailing spaces   \n",
    ]
    dirty = b"card=4111111111111111 \xff\r\n"
    data = clean[0] + dirty + clean[1] + clean[2] + b"no final newline"
    out = run(redactor, data)
    out_lines = out.splitlines(keepends=True)
    assert out_lines[0] == clean[0]
    assert out_lines[1] == b"card=<CREDIT_CARD_1> \xff\r\n"
    assert out_lines[2:4] == clean[1:]
    assert out_lines[4] == b"no final newline"


def test_json_findings_give_offsets_into_the_whole_input(redactor: Redactor) -> None:
    text = "ok line\nJoão paid with 4111111111111111 and mail a@b.com\n"
    findings = json.loads(run(redactor, text.encode(), json_findings=True))
    assert [(f["entity_type"], text[f["start"] : f["end"]]) for f in findings] == [
        ("CREDIT_CARD", "4111111111111111"),
        ("EMAIL_ADDRESS", "a@b.com"),
    ]
    assert set(findings[0]) == {"entity_type", "start", "end", "score"}


def test_plain_text_streams_work_too(redactor: Redactor) -> None:
    stdout = io.StringIO()
    redact_stream(io.StringIO("cpf 529.982.247-25\n"), stdout, redactor)
    assert stdout.getvalue() == "cpf <BR_CPF_1>\n"


NO_NETWORK = textwrap.dedent(
    """
    import io, socket, sys

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)  # recorded: a library may swallow the error and fall back
        raise RuntimeError(f"outbound connection attempted: {args!r}")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    from guardrails.redaction import RedactionSettings, Redactor, redact_stream

    redactor = Redactor(RedactionSettings(pseudonym_key="test-key-0123456789abcdef", nlp=True))
    text = (
        "visit https://www.example.com/pay?x=1 and http://api.payments.com.br/v1 mail maria@empresa.com.br\\n"
        "cardholder Maria Silva wrote to joao.p@correo.mx from https://user:pw1234@hooks.internal.co\\n"
    )
    out = io.StringIO()
    redact_stream(io.StringIO(text), out, redactor)
    result = out.getvalue()
    assert "maria@empresa.com.br" not in result and "joao.p@correo.mx" not in result, result
    assert "pw1234" not in result, result
    assert "https://www.example.com/pay?x=1" in result, result
    # Presidio's default e-mail recognizer (tldextract) must not be in our registry
    assert "EmailRecognizer" not in [r.name for r in redactor.analyzer.registry.recognizers]
    redactor.analyzer.analyze(text, language="en")
    assert not attempts, attempts
    if len(sys.argv) > 1:  # self-check of the harness: tldextract's default extractor does try to fetch
        import tldextract
        tldextract.extract("maria@empresa.com.br")
        assert not attempts, attempts
    print("NO-NETWORK-OK")
    """
)


def _run_guarded(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NO_NETWORK, *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HOME": str(tmp_path)},
        check=False,
    )


def test_redaction_makes_no_outbound_connection(tmp_path: Path) -> None:
    proc = _run_guarded(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NO-NETWORK-OK" in proc.stdout


def test_the_network_guard_catches_a_fetching_library(tmp_path: Path) -> None:
    proc = _run_guarded(tmp_path, "--self-check")
    assert proc.returncode != 0
    assert "outbound connection attempted" in proc.stderr or "attempts" in proc.stderr
