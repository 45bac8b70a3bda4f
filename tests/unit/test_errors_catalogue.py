"""errors.py is the complete error catalogue: no module outside it builds a `DynamoError` (or
an IAM/STS `ServiceError`) by hand, and each of its constructors builds a well-formed one."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opendynamo import errors

PACKAGE = Path(errors.__file__).resolve().parent
CATALOGUE = Path(errors.__file__).resolve()
NAMESPACES = {errors.DYNAMODB, errors.CORAL_VALIDATE, errors.CORAL_SERVICE, errors.CONSOLE}


def test_only_the_catalogue_builds_errors() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "__pycache__" not in path.parts and path.resolve() != CATALOGUE
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "DynamoError(" in line or "ServiceError(" in line
    ]
    listing = "\n".join(offenders)
    assert not offenders, f"give these a named constructor in opendynamo/errors.py:\n{listing}"


def _constructors() -> list[Callable[..., Any]]:
    return [
        function
        for name, function in inspect.getmembers(errors, inspect.isfunction)
        if function.__module__ == errors.__name__
        and not name.startswith("_")
        and typing.get_type_hints(function).get("return") is errors.DynamoError
    ]


def _sample(parameter: inspect.Parameter, annotation: Any) -> Any:
    """An argument for a required parameter, by its type."""
    if annotation is str or annotation == str | None:
        return f"sample-{parameter.name}"
    if annotation is int:
        return 7
    if typing.get_origin(annotation) is list:
        return [{"Code": "None"}]
    pytest.fail(f"no sample argument for {parameter.name}: {annotation}")


def test_catalogue_is_populated() -> None:
    names = {function.__name__ for function in _constructors()}
    assert {"validation", "table_not_found_exception", "transaction_conflict"} <= names


@pytest.mark.parametrize("constructor", _constructors(), ids=lambda function: function.__name__)
def test_constructor_builds_a_well_formed_error(constructor: Callable[..., Any]) -> None:
    hints = typing.get_type_hints(constructor)
    arguments = {
        name: _sample(parameter, hints[name])
        for name, parameter in inspect.signature(constructor).parameters.items()
        if parameter.default is inspect.Parameter.empty
    }
    error = constructor(**arguments)
    assert isinstance(error, errors.DynamoError)
    body = error.body()
    namespace, _, type_name = body["__type"].partition("#")
    assert namespace in NAMESPACES
    assert type_name == error.type_name
    assert body["__type"].endswith(f"#{error.type_name}")
    assert type_name[:1].isupper() and type_name.isalnum()
    console = namespace == errors.CONSOLE  # the console's sign-in speaks plain HTTP statuses
    assert error.status in ((400, 401, 403, 429) if console else (400, 413, 500))
    if error.message is None:
        assert set(body) - {"__type"} <= set(error.extra or {})
    else:
        assert body[error.message_field] == error.message
        # The variable parts a constructor takes end up in its message (or extra members).
        for value in arguments.values():
            if isinstance(value, str):
                assert value in error.message or value in str(error.extra)
