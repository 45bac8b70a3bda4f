"""Rendering an error of the catalogue (`errors.py`) as DynamoDB's JSON answer: the one place
a `DynamoError` becomes bytes on the wire. (IAM and STS answer in XML: `awsquery.render_error`.)
"""

from __future__ import annotations

from typing import Any

import orjson

from opendynamo import errors


def json_error(exc: errors.DynamoError) -> tuple[int, bytes]:
    """The error's status and JSON body. Total: a message holding what JSON cannot carry (a
    header's undecodable bytes, kept as lone surrogates) is rendered with those replaced."""
    body = exc.body()
    try:
        return exc.status, orjson.dumps(body)
    except (orjson.JSONEncodeError, TypeError):
        return exc.status, orjson.dumps(renderable(body))


def renderable(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {renderable(key): renderable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [renderable(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)
