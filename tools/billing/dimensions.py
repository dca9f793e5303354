"""Billing dimensions: the names queries group and filter by, and their value per row as text."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from tools.billing.names import DIMENSION_HELP as DIMENSION_HELP  # re-exported
from tools.billing.names import DIMENSIONS as DIMENSIONS  # re-exported
from tools.billing.names import SOURCE
from tools.errors import BadInput


def tag_value(t: ir.Table, key: str) -> ir.StringValue:
    """The value of tag ``key`` per row (NULL when untagged); Tags may be JSON, text or a map."""
    tags = t["Tags"]
    if tags.type().is_map():
        return tags.get(key).cast(dt.string)
    if tags.type().is_string():
        tags = tags.cast(dt.JSON())
    item = tags[key]
    return ibis.coalesce(item.str, item.cast(dt.string))


def dimension_value(t: ir.Table, dimension: str) -> ir.StringValue:
    """The grouping key of ``dimension`` per row, as text (``day`` is the UTC date ``YYYY-MM-DD``).

    Raises:
        BadInput: unknown dimension, or an empty tag key.
    """
    if dimension.startswith("tag:"):
        key = dimension[4:]
        if not key:
            raise BadInput(SOURCE, "tag dimension needs a key, e.g. tag:team")
        return tag_value(t, key)
    if dimension == "day":
        return t["ChargePeriodStart"].date().cast(dt.string)
    if dimension not in DIMENSIONS:
        raise BadInput(SOURCE, f"unknown dimension {dimension!r}; use one of {DIMENSION_HELP}")
    return t[DIMENSIONS[dimension]].cast(dt.string)
