"""The HTTP application. Today it serves the runbook library at the stable URL alert rules put in
``runbook_url`` (``/runbooks/<AlertName>``) plus health probes; Slack and webhook routes come next."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import PlainTextResponse

from tools.errors import BadInput, NotFound
from tools.runbook_library import RunbookLibrary


def default_library() -> RunbookLibrary:
    from runbooks import LIBRARY_DIR, REFERENCE_DIR
    from tools.settings import PlatformSettings

    platform = PlatformSettings()
    return RunbookLibrary(platform.runbooks_dir or LIBRARY_DIR, [REFERENCE_DIR], base_url=platform.public_url)


Library = Annotated[RunbookLibrary, Depends(default_library)]


def create_app() -> FastAPI:
    app = FastAPI(title="Referent", version="0.1.0")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/runbooks")
    def list_runbooks(library: Library) -> dict[str, list[str]]:
        return {"runbooks": library.list()}

    @app.get("/runbooks/{alert}", response_class=PlainTextResponse)
    def get_runbook(alert: str, library: Library) -> PlainTextResponse:
        try:
            doc = library.find(alert)
        except BadInput as exc:
            raise HTTPException(status_code=400, detail=exc.message) from None
        except NotFound as exc:
            raise HTTPException(status_code=404, detail=exc.message) from None
        return PlainTextResponse(doc.markdown, media_type="text/markdown; charset=utf-8")

    return app
