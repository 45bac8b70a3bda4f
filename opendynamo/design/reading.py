"""A model file, whichever kind it is: a NoSQL Workbench model (it has `DataModel`) or a
CloudFormation template (it has `Resources`)."""

from __future__ import annotations

import json
from typing import Any

from opendynamo.design import cloudformation, workbench
from opendynamo.design.model import Model, ModelError, Problem


def read_model(document: Any) -> tuple[Model | None, list[Problem]]:
    """The model a parsed JSON document describes (None when it has errors), and every
    problem found in it."""
    if isinstance(document, dict) and "DataModel" in document:
        return workbench.read(document)
    if isinstance(document, dict) and "Resources" in document:
        return cloudformation.read(document)
    return None, [
        Problem(
            "$",
            'neither a NoSQL Workbench model (it has "DataModel") nor a CloudFormation '
            'template (it has "Resources")',
        )
    ]


def parse_model(text: str) -> tuple[Model, list[Problem]]:
    """The model in a file's text and its warnings; ModelError when it has errors."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ModelError([Problem("$", f"not valid JSON: {exc.msg} at {where}")]) from None
    model, problems = read_model(document)
    if model is None:
        raise ModelError(problems)
    return model, problems
