"""The published contract of `analyzed_content.json`: a JSON Schema (draft 2020-12)
generated from the validation models, so that the analysis job can check a week before
it publishes it (`carnivore schema`; kept in docs/analyzed_content.schema.json).

It accepts what the importer accepts. pydantic writes the fields' rules; this module adds
what the importer checks outside the models and JSON Schema can still state: which shape
a document has, how deep values may nest, and the text PostgreSQL cannot store. Two
rules compare items with each other, which JSON Schema cannot: they are named in the
description, and tests/test_contract.py shows that they are the only difference.
"""

from __future__ import annotations

import copy
import json
import sys

from carnivore_orchestration.content.loading import Limits
from carnivore_orchestration.content.schema import FlatDocument, NestedDocument

SCHEMA_ID = "https://github.com/carnivore-weekly/carnivore-orchestration/docs/analyzed_content.schema.json"
CROSS_ITEM_RULES = (
    "Each topic appears once a week: no two trending_topics[].topic may give the same URL slug "
    "(\"Fat & Butter\" and \"Fat Butter\" are the same topic).",
    "Each video appears once a week: no two top_videos[].video_id may be equal.",
)
DESCRIPTION = (
    "One week of the Carnivore Weekly analysis, in either shape: nested (the sections under "
    "\"analysis\") or flat (the sections at the top level); a document with an \"analysis\" member is "
    "read as nested. Unknown members are allowed and kept. Besides this schema the importer "
    "checks two rules that compare items with each other: " + " ".join(CROSS_ITEM_RULES) + " "
    "It also refuses a file larger than its size limit (16 MB unless configured), and an "
    "analysis_date outside the week the file is imported for."
)
# No text PostgreSQL cannot hold: U+0000, or a surrogate code unit left unpaired.
_STORABLE = {"not": {"pattern": "[\\u0000\\ud800-\\udfff]"}}
_DOUBLE_MAX = sys.float_info.max


def document_schema(limits: Limits | None = None) -> dict:
    """The JSON Schema of a week's file, as a dict (`render()` gives its text)."""
    levels = (limits or Limits()).max_depth + 1  # the top-level object is a level
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "analyzed_content.json",
        "description": DESCRIPTION,
        "type": "object",
        "if": {"required": ["analysis"]},
        "then": _place(NestedDocument.model_json_schema(), levels),
        "else": _place(FlatDocument.model_json_schema(), levels),
        "$defs": _any_json(levels - 1),
    }


def render(limits: Limits | None = None) -> str:
    return json.dumps(document_schema(limits), indent=2, ensure_ascii=True) + "\n"


def _place(schema: dict, levels: int) -> dict:
    """The model's schema with its references written in place, because how deep an
    unknown member may nest depends on where the object is (the same topic sits one
    level deeper in the nested shape than in the flat)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: dict, depth: int) -> dict:
        if "$ref" in node:
            node = {**copy.deepcopy(definitions[node["$ref"].rsplit("/", 1)[1]]), **{
                key: value for key, value in node.items() if key != "$ref"}}
        node = {key: value for key, value in node.items() if key != "title"}
        if "anyOf" in node:
            node["anyOf"] = [resolve(option, depth) for option in node["anyOf"]]
        kind = node.get("type")
        if kind == "object":
            node["properties"] = {name: resolve(value, depth + 1) for name, value in node.get("properties", {}).items()}
            node["propertyNames"] = _STORABLE
            if node.get("additionalProperties") is True:
                node["additionalProperties"] = _any_json_ref(levels - depth - 1)
        elif kind == "array":
            items = node.get("items") or {}
            node["items"] = resolve(items, depth + 1) if items else _any_json_ref(levels - depth - 1)
        elif kind == "string":
            node.update(_STORABLE)
        return node

    return resolve(schema, 0)


def _any_json_ref(levels: int) -> dict:
    return {"$ref": f"#/$defs/json{levels}"}


def _any_json(most: int) -> dict:
    """`jsonN`: any JSON value with at most N levels of arrays and objects in it."""
    scalar = {"anyOf": [{"type": "string", **_STORABLE},
                        {"type": "number", "minimum": -_DOUBLE_MAX, "maximum": _DOUBLE_MAX},
                        {"type": ["boolean", "null"]}]}
    ladder = {"json0": scalar}
    for level in range(1, most + 1):
        inner = _any_json_ref(level - 1)
        ladder[f"json{level}"] = {"anyOf": [
            {"$ref": "#/$defs/json0"},
            {"type": "array", "items": inner},
            {"type": "object", "propertyNames": _STORABLE, "additionalProperties": inner},
        ]}
    return ladder
