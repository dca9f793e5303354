"""A local HTTP server standing in for Slack's Web API: it answers like Slack and records every request.

Point ``slack_sdk.WebClient(base_url=...)`` (``REFERENT_SLACK_API_URL``) at :attr:`SlackRecorder.api_url`.
It answers ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, ``auth.test`` and the two-step
file upload (``files.getUploadURLExternal`` → upload → ``files.completeUploadExternal``) the way Slack
does (``ok``, ``channel``, ``ts``), and accepts any other ``POST`` (a ``response_url`` such as
:meth:`SlackRecorder.response_url`) with ``{"ok": true}``. Every request (with the answer it got) is kept in memory and, when a
file is given, appended to it as JSON lines; ``GET /_recorded`` returns them (``DELETE`` clears them).

With a ``token`` set, Web API calls without ``Authorization: Bearer <token>`` get ``invalid_auth``;
``fail_with`` makes a method answer ``{"ok": false, "error": ...}`` (how Slack reports failures).

It also stands in for Slack's Socket Mode: ``apps.connections.open`` (with ``app_token`` set, only that
app-level token is accepted; a bot token gets ``not_allowed_token_type``) returns a ``ws://`` URL on this
server, where a minimal RFC 6455 endpoint (text, ping/pong and close frames) greets the client with
``hello`` like Slack. :meth:`SlackRecorder.socket_send` pushes an envelope (``slash_commands``,
``interactive``…) and returns the client's acknowledgement; :meth:`SlackRecorder.socket_refresh` sends
``disconnect`` (``refresh_requested``), after which a Slack client opens a new connection.

:func:`signed_headers` signs a request the way Slack signs what it sends to an app (slash commands,
interactions), for tests and the demo.

Run it alone with ``python -m evals.sandbox.slack_recorder --port 0`` (prints its URLs as JSON).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import socket
import struct
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

API_PREFIX = "/api/"
SOCKET_PREFIX = "/_socket/"
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class _WebSocket:
    """The server side of one WebSocket connection (unmasked frames out, masked frames in)."""

    def __init__(self, conn: socket.socket, reader: Any, number: int) -> None:
        self.conn, self.reader, self.number = conn, reader, number
        self.lock = threading.Lock()
        self.open = True

    def send(self, opcode: int, data: bytes = b"") -> None:
        size = len(data)
        if size < 126:
            head = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        with self.lock:
            if self.open:
                self.conn.sendall(head + data)

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(0x1, json.dumps(message).encode())

    def receive(self) -> tuple[int, bytes] | None:
        """The next frame's opcode and (unmasked) payload; None when the peer is gone."""
        head = self.reader.read(2)
        if len(head) < 2:
            return None
        opcode, size, masked = head[0] & 0x0F, head[1] & 0x7F, head[1] & 0x80
        if size == 126:
            size = struct.unpack("!H", self.reader.read(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self.reader.read(8))[0]
        mask = self.reader.read(4) if masked else b"\0\0\0\0"
        data = self.reader.read(size)
        if len(data) < size:
            return None
        return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send(0x8, struct.pack("!H", 1000))
        with self.lock:
            self.open = False
        with contextlib.suppress(OSError):
            self.conn.shutdown(socket.SHUT_RDWR)


@dataclass
class _State:
    token: str | None
    record_file: Path | None
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    app_token: str | None = None
    sockets: list[_WebSocket] = field(default_factory=list)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)
            if self.record_file is not None:
                with self.record_file.open("a") as fh:
                    fh.write(json.dumps(entry) + "\n")

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self.seq):06d}"


def _parse_body(raw: bytes, content_type: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if "application/json" in content_type:
        try:
            return json.loads(text or "null")
        except json.JSONDecodeError:
            return text
    if "application/x-www-form-urlencoded" in content_type:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}
        for key in ("blocks", "attachments"):  # slack_sdk sends these as JSON strings in forms
            if isinstance(form.get(key), str):
                with contextlib.suppress(json.JSONDecodeError):
                    form[key] = json.loads(form[key])
        return form
    return text


def _answer(state: _State, method: str, body: dict[str, Any], base: str) -> dict[str, Any]:
    """What Slack would answer to ``method`` called with ``body``."""
    channel = str(body.get("channel") or "")
    if method == "auth.test":
        return {"ok": True, "url": base, "team": "Referent", "user": "referent", "team_id": "T0REFERENT",
                "user_id": "U0REFERENT", "bot_id": "B0REFERENT"}  # fmt: skip
    if method == "chat.postMessage":
        message = {"text": body.get("text"), "blocks": body.get("blocks"), "thread_ts": body.get("thread_ts")}
        return {"ok": True, "channel": channel, "ts": state.next_ts(), "message": message}
    if method == "chat.update":
        return {"ok": True, "channel": channel, "ts": body.get("ts"), "text": body.get("text")}
    if method == "chat.postEphemeral":
        return {"ok": True, "message_ts": state.next_ts()}
    if method == "files.getUploadURLExternal":
        file_id = f"F{next(state.seq):08d}"
        return {"ok": True, "upload_url": f"{base}_upload/{file_id}", "file_id": file_id}
    if method == "files.completeUploadExternal":
        files = body.get("files")
        parsed = json.loads(files) if isinstance(files, str) else files or []
        return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in parsed]}
    return {"ok": False, "error": "unknown_method"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the records are the log
        return

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        state = self.server.state
        if self.path.startswith(SOCKET_PREFIX) and (self.headers.get("Upgrade") or "").lower() == "websocket":
            self._websocket()
            return
        if self.path.rstrip("/") == "/_recorded":
            with state.lock:
                self._send(200, list(state.requests))
            return
        self._send(404, {"ok": False, "error": "not_found"})

    def do_DELETE(self) -> None:
        if self.path.rstrip("/") == "/_recorded":
            with self.server.state.lock:
                self.server.state.requests.clear()
            self._send(200, {"ok": True})
            return
        self._send(404, {"ok": False, "error": "not_found"})

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = _parse_body(self.rfile.read(length), self.headers.get("Content-Type") or "")
        path = urllib.parse.urlsplit(self.path).path
        method = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else None
        auth = self.headers.get("Authorization") or ""
        answer = self._answer(method, body, auth)
        state.record(
            {
                "path": path,
                "method": method,
                "body": body,
                "authorized": bool(auth),
                "at": time.time(),
                "response": answer,
            }
        )
        self._send(200, answer)

    def _websocket(self) -> None:
        """Upgrade to a WebSocket, greet with ``hello``, then record acknowledgements until it closes."""
        state = self.server.state
        key = (self.headers.get("Sec-WebSocket-Key") or "").strip().encode()
        accept = base64.b64encode(hashlib.sha1(key + _WS_GUID, usedforsecurity=False).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        ws = _WebSocket(self.connection, self.rfile, next(state.seq))
        with state.changed:
            state.sockets.append(ws)
            state.changed.notify_all()
        ws.send_json({"type": "hello", "num_connections": len(state.sockets),
                      "connection_info": {"app_id": "A0REFERENT"}, "debug_info": {"host": "recorder"}})  # fmt: skip
        try:
            self._serve_frames(ws)
        finally:
            ws.open = False
            with state.changed:
                state.sockets.remove(ws)
                state.changed.notify_all()

    def _serve_frames(self, ws: _WebSocket) -> None:
        state = self.server.state
        while (frame := ws.receive()) is not None:
            opcode, data = frame
            if opcode == 0x8:  # close: answer it and stop
                with contextlib.suppress(OSError):
                    ws.send(0x8, data[:2])
                return
            if opcode == 0x9:
                ws.send(0xA, data)
            elif opcode == 0x1:
                message = json.loads(data.decode("utf-8") or "null")
                if isinstance(message, dict) and message.get("envelope_id"):
                    state.record({"path": f"{SOCKET_PREFIX}{ws.number}", "method": None, "body": message,
                                  "authorized": True, "at": time.time(), "response": None})  # fmt: skip
                    with state.changed:
                        state.acks[str(message["envelope_id"])] = message
                        state.changed.notify_all()

    def _answer(self, method: str | None, body: Any, auth: str) -> dict[str, Any]:
        state = self.server.state
        if method is None:  # a response_url, an upload: accepted
            return {"ok": True}
        if method == "apps.connections.open":
            return self._connections_open(auth)
        if state.token is not None and auth != f"Bearer {state.token}":
            return {"ok": False, "error": "invalid_auth" if auth else "not_authed"}
        if method in state.failures:
            return {"ok": False, "error": state.failures[method]}
        base = f"http://{self.headers.get('Host')}/"
        return _answer(state, method, body if isinstance(body, dict) else {}, base)

    def _connections_open(self, auth: str) -> dict[str, Any]:
        state = self.server.state
        if state.app_token is not None and auth != f"Bearer {state.app_token}":
            if auth.startswith("Bearer xox"):
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": False, "error": "invalid_auth" if auth else "not_authed"}
        if "apps.connections.open" in state.failures:
            return {"ok": False, "error": state.failures["apps.connections.open"]}
        return {"ok": True, "url": f"ws://{self.headers.get('Host')}{SOCKET_PREFIX}{uuid.uuid4().hex[:12]}"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: _State) -> None:
        super().__init__(address, _Handler)
        self.state = state


def signed_headers(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request to an app: ``X-Slack-Request-Timestamp`` and the v0
    signature (HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the app's signing secret)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


class SlackRecorder:
    """The recorder serving in a background thread; use as a context manager or call :meth:`stop`.

    Args:
        host: bind address (loopback by default).
        port: 0 picks a free port.
        token: the bot token Web API calls must carry (None: any or none).
        app_token: the app-level token ``apps.connections.open`` must carry (None: any or none).
        record_file: also append every request to this file as JSON lines.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str | None = None,
        app_token: str | None = None,
        record_file: Path | None = None,
    ) -> None:
        self.state = _State(token=token, record_file=record_file, app_token=app_token)
        self._server = _Server((host, port), self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-recorder", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}/"

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``slack_sdk.WebClient`` (``REFERENT_SLACK_API_URL``)."""
        return self.base_url + API_PREFIX.lstrip("/")

    def response_url(self, name: str = "commands") -> str:
        """A ``response_url`` on this recorder (what Slack puts in command and interaction payloads)."""
        return f"{self.base_url}response/{name}"

    def fail_with(self, method: str, error: str | None) -> None:
        """Make ``method`` answer ``{"ok": false, "error": error}`` (None: answer normally again)."""
        with self.state.lock:
            if error is None:
                self.state.failures.pop(method, None)
            else:
                self.state.failures[method] = error

    def requests(self, method: str | None = None) -> list[dict[str, Any]]:
        """Recorded requests (all, or those of one Web API method), oldest first."""
        with self.state.lock:
            return [r for r in self.state.requests if method is None or r["method"] == method]

    def wait_socket(self, timeout: float = 10.0, count: int = 1) -> int:
        """Wait until at least ``count`` Socket Mode connections are open; return how many are."""
        with self.state.changed:
            if not self.state.changed.wait_for(lambda: len(self.state.sockets) >= count, timeout):
                raise TimeoutError(f"fewer than {count} Socket Mode connection(s) after {timeout} s")
            return len(self.state.sockets)

    def socket_send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        on: int = -1,
        timeout: float = 10.0,
        accepts_response_payload: bool = True,
    ) -> dict[str, Any]:
        """Push an envelope of type ``kind`` on connection ``on`` (oldest first; the newest by default) and
        return the client's acknowledgement (``{"envelope_id": …, "payload": {…}}``, no payload when empty).
        """
        self.wait_socket(timeout, count=on + 1 if on >= 0 else 1)
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": accepts_response_payload, "retry_attempt": 0, "retry_reason": ""}  # fmt: skip
        with self.state.changed:
            socket_ = self.state.sockets[on]
        socket_.send_json(envelope)
        with self.state.changed:
            if not self.state.changed.wait_for(lambda: envelope_id in self.state.acks, timeout):
                raise TimeoutError(f"envelope {kind} not acknowledged within {timeout} s")
            return self.state.acks[envelope_id]

    def socket_refresh(self) -> None:
        """Ask every connected client to reconnect (Slack's ``disconnect`` / ``refresh_requested``)."""
        with self.state.changed:
            sockets = list(self.state.sockets)
        for socket_ in sockets:
            socket_.send_json({"type": "disconnect", "reason": "refresh_requested", "debug_info": {}})

    def connections_opened(self) -> int:
        """How many WebSocket URLs ``apps.connections.open`` has handed out successfully."""
        return sum(1 for r in self.requests("apps.connections.open") if r["response"].get("ok"))

    def stop(self) -> None:
        with self.state.changed:
            sockets = list(self.state.sockets)
        for socket_ in sockets:
            socket_.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SlackRecorder:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted; print ``{"base_url", "api_url"}`` as one JSON line first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=None, help="bot token Web API calls must carry")
    parser.add_argument("--record-file", type=Path, default=None, help="append requests here (JSON lines)")
    args = parser.parse_args(argv)
    recorder = SlackRecorder(args.host, args.port, token=args.token, record_file=args.record_file)
    print(json.dumps({"base_url": recorder.base_url, "api_url": recorder.api_url}), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        recorder.stop()


if __name__ == "__main__":
    main()
