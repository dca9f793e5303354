"""The typed results the MLflow registry tools return (pydantic models the gateway dumps to JSON)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class VersionInfo(BaseModel):
    name: str
    version: int
    status: str
    run_id: str | None
    source: str
    description: str
    tags: dict[str, str]
    aliases: list[str]
    created_at: datetime = Field(description="training time: the referent.created_at tag, else registration")
    registered_at: datetime = Field(description="when MLflow registered the version")


class ModelSummary(BaseModel):
    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, int]
    updated_at: datetime


class ModelDetail(ModelSummary):
    latest_versions: list[VersionInfo] = Field(description="newest first")


class RunMetrics(BaseModel):
    run_id: str
    status: str
    metrics: dict[str, float]
    params: dict[str, str]
    start_time: datetime | None
    end_time: datetime | None


class VersionMetrics(RunMetrics):
    name: str
    version: int


class ColumnSpec(BaseModel):
    name: str | None
    type: str
    required: bool = True


class Signature(BaseModel):
    name: str
    version: int
    inputs: list[ColumnSpec]
    outputs: list[ColumnSpec]
    has_signature: bool


class AliasMove(BaseModel):
    alias: str
    version: int | None = Field(description="None when the alias was deleted")
    previous_version: int | None
    at: datetime
    by: str


class AliasHistory(BaseModel):
    name: str
    current: dict[str, int]
    events: list[AliasMove] = Field(description="oldest first")


class Changes(BaseModel):
    name: str
    since: datetime
    alias_moves: list[AliasMove]
    new_versions: list[VersionInfo]


class AliasResult(BaseModel):
    name: str
    alias: str
    version: int | None
    previous_version: int | None


class CopiedVersion(BaseModel):
    src_name: str
    src_version: int
    name: str
    version: int
