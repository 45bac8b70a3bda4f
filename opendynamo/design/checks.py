"""What both readers share: a collector of problems at JSON paths, and typed getters that
report a missing or mistyped member at its path and give None instead of raising, so one
reading finds every problem of a file."""

from __future__ import annotations

from typing import Any

from opendynamo.design.model import NAME, Problem, Throughput, child


class Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, warning=True))

    @property
    def failed(self) -> bool:
        return any(not problem.warning for problem in self.problems)

    def member(self, node: dict[str, Any], key: str, path: str, required: bool) -> Any:
        if key not in node:
            if required:
                self.error(path, f'"{key}" is missing')
            return None
        if node[key] is None and required:  # JSON null where a value must be
            self.error(child(path, key), "expected a value, found null")
        return node[key]

    def text(self, node: dict[str, Any], key: str, path: str, required: bool = True) -> str | None:
        value = self.member(node, key, path, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.error(child(path, key), "expected a non-empty string")
            return None
        return value

    def obj(
        self, node: dict[str, Any], key: str, path: str, required: bool = True
    ) -> dict[str, Any] | None:
        value = self.member(node, key, path, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error(child(path, key), "expected an object")
            return None
        return value

    def array(self, node: dict[str, Any], key: str, path: str, required: bool = False) -> list[Any]:
        value = self.member(node, key, path, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(child(path, key), "expected an array")
            return []
        return value

    def choice(
        self, node: dict[str, Any], key: str, path: str, choices: tuple[str, ...], required: bool
    ) -> str | None:
        value = self.member(node, key, path, required)
        if value is None:
            return None
        if value not in choices:
            self.error(child(path, key), f"{value!r} is not one of {', '.join(choices)}")
            return None
        return str(value)

    def name(self, value: str | None, path: str, what: str) -> str | None:
        """A table or index name DynamoDB accepts."""
        if value is not None and not NAME.fullmatch(value):
            self.error(
                path,
                f"{what} {value!r} must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'",
            )
            return None
        return value

    def units(self, node: dict[str, Any], key: str, path: str) -> int | None:
        """A capacity: a whole number of units, at least 1 (CloudFormation templates often
        write numbers as strings)."""
        value = self.member(node, key, path, True)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.error(
                child(path, key), f"expected a whole number of units (at least 1), not {value!r}"
            )
            return None
        return value

    def throughput(self, node: dict[str, Any], key: str, path: str) -> Throughput | None:
        given = self.obj(node, key, path)
        if given is None:
            return None
        where = child(path, key)
        read = self.units(given, "ReadCapacityUnits", where)
        write = self.units(given, "WriteCapacityUnits", where)
        return None if read is None or write is None else Throughput(read, write)

    def objects(self, values: list[Any], path: str, what: str) -> list[tuple[str, dict[str, Any]]]:
        """(path, object) of each member of an array of objects; others are reported."""
        found = []
        for position, value in enumerate(values):
            where = child(path, position)
            if isinstance(value, dict):
                found.append((where, value))
            else:
                self.error(where, f"expected an object ({what})")
        return found

    def unique(self, names: list[tuple[str, Any]], what: str) -> None:
        """Report each (path, name) whose name an earlier one already has."""
        first: dict[str, str] = {}
        for path, name in names:
            if not isinstance(name, str):
                continue  # reported where the name is read
            if name in first:
                self.error(path, f"{what} {name!r} is used twice (first at {first[name]})")
            else:
                first[name] = path
