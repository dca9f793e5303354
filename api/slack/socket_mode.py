"""Socket Mode: the Slack app for installations without a public URL.

With ``REFERENT_SLACK_APP_TOKEN`` (``xapp-…``) set, the process that serves the API (``referent serve``
or ``--api-only``; never ``--workers-only``) opens an outbound WebSocket to Slack instead of waiting for
``POST /slack/events``: slack-bolt's built-in Socket Mode handler (``slack_sdk.socket_mode.builtin``, no
extra dependency) calls ``apps.connections.open`` with the app token on ``REFERENT_SLACK_API_URL``,
connects to the URL it returns, and hands each envelope (slash command, button click) to the same bolt
listeners as HTTP mode (:mod:`api.slack.listeners`); their acknowledgement goes back on the socket.

Every API replica opens its own connection; Slack accepts up to 10 per app and delivers each envelope
on one of them, so replicas share the load. A redelivered envelope has the same payload, hence the same
request key and the same DBOS workflow id: it runs once.

At start a token Slack refuses (``invalid_auth``…) stops the service with :class:`SocketModeRefused`;
Slack being unreachable does not: the connection is retried in the background (and the client
reconnects by itself once connected, also when Slack asks it to with a ``disconnect`` message).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler
from slack_sdk.errors import SlackApiError

log = logging.getLogger("referent.slack.socket")

REFUSED = {"invalid_auth", "not_authed", "not_allowed_token_type", "token_revoked", "account_inactive"}


class SocketModeRefused(RuntimeError):
    """Slack refused the app-level token: Socket Mode cannot start."""


class SocketModeRunner:
    """One Socket Mode connection of this process, serving ``app``'s listeners.

    Args:
        app: the bolt app (its client points at ``REFERENT_SLACK_API_URL`` with the bot token).
        app_token: the app-level token (``xapp-…``).
        ping_interval: seconds between the client's pings (a silent connection is replaced after 4).
        retry_s: first delay before retrying a failed start (doubles up to a minute).
    """

    def __init__(self, app: App, app_token: str, *, ping_interval: float = 10, retry_s: float = 2) -> None:
        self.handler = SocketModeHandler(app, app_token=app_token, ping_interval=ping_interval)
        self._retry_s = retry_s
        self._stop = threading.Event()
        self._retrier: threading.Thread | None = None

    @property
    def connected(self) -> bool:
        return bool(self.handler.client.is_connected())

    def _connect_once(self) -> bool:
        """Try to connect; True once the client has its URL (from then on its own monitor reconnects it).

        Raises:
            SocketModeRefused: Slack refused the app token.
        """
        try:
            self.handler.connect()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error in REFUSED:
                raise SocketModeRefused(
                    f"Slack refused REFERENT_SLACK_APP_TOKEN ({error}) at apps.connections.open: use the "
                    "app-level token of this app (Basic Information → App-Level Tokens, scope connections:write)"
                ) from None
            log.warning("Socket Mode: apps.connections.open failed (%s); retrying", error or "error")
            return False
        except OSError as exc:  # Slack unreachable (URLError is an OSError)
            log.warning("Socket Mode: cannot reach Slack (%s); retrying", type(exc).__name__)
            return False
        if not self.connected:
            log.warning("Socket Mode: the WebSocket handshake failed; the client keeps reconnecting")
        return True

    def start(self) -> None:
        """Connect now, or keep trying in the background; raise :class:`SocketModeRefused` on a bad token."""
        if self._connect_once():
            return
        self._retrier = threading.Thread(target=self._retry, name="slack-socket-retry", daemon=True)
        self._retrier.start()

    def _retry(self) -> None:
        delay = self._retry_s
        while not self._stop.wait(delay):
            try:
                if self._connect_once():
                    return
            except SocketModeRefused as exc:  # the token was revoked meanwhile: say so, stop trying
                log.error("%s", exc)
                return
            delay = min(delay * 2, 60.0)

    def stop(self) -> None:
        """Close the connection and the client's threads."""
        self._stop.set()
        self.handler.close()
        if self._retrier is not None:
            self._retrier.join(timeout=5)


def build_runner(services: Any, app: App) -> SocketModeRunner:
    """The runner of ``services``' settings (``REFERENT_SLACK_APP_TOKEN``) for ``app``."""
    token = services.settings.slack_app_token
    if token is None:
        raise ValueError("REFERENT_SLACK_APP_TOKEN is not set")
    return SocketModeRunner(app, token.get_secret_value())
