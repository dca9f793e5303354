"""What the analyzer reports: where, what and how sure — never the matched text."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Finding(BaseModel):
    """One sensitive span of an analysed text (character offsets, ``end`` exclusive)."""

    model_config = ConfigDict(frozen=True)

    entity_type: str
    start: int
    end: int
    score: float
