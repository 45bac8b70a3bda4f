"""CloudWatch metric math (GetMetricData's `Expression`, metric-math alarms): arithmetic
(`+ - * /`, unary minus, parentheses, numbers) over the other queries' time series by their
Id, `METRICS()` / `METRICS('prefix')` for all the metrics (math expressions aren't included, as
on CloudWatch), and the functions SUM, AVG, MIN, MAX,
ABS and PERIOD.

A value is a number, a time series (period start -> value) or a list of series (METRICS()).
Arithmetic applies point by point, a number on every point; a function of a list of series
gives a series (per period, across them), of one series a number (over its periods).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Series = dict[int, float]
Value = float | Series | list[Series]

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<string>'[^']*'|\"[^\"]*\")|(?P<op>[-+*/(),]))"
)
FUNCTIONS = ("SUM", "AVG", "MIN", "MAX", "ABS", "PERIOD", "METRICS")
MAX_LENGTH = 2048


class MathError(ValueError):
    """The expression is not valid; the message says where."""


@dataclass(frozen=True, slots=True)
class Inputs:
    series: dict[str, Series]  # every query's series by Id (in request order)
    periods: dict[str, int]  # each query's period
    metrics: frozenset[str] = frozenset()  # the Ids of metrics (METRICS() is these, no math)


def evaluate(expression: str, inputs: Inputs) -> Value:
    if len(expression) > MAX_LENGTH:
        raise MathError(f"The expression is longer than {MAX_LENGTH} characters.")
    parser = _Parser(_tokens(expression), inputs)
    value = parser.expression()
    if parser.peek() is not None:
        raise MathError(f"Unexpected {parser.peek()!r} in the expression.")
    return value


def references(expression: str) -> set[str]:
    """The Ids an expression names (METRICS() names every query)."""
    return {text for kind, text in _tokens(expression) if kind == "name" and text not in FUNCTIONS}


def _tokens(expression: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    at = 0
    text = expression.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise MathError(f"Unexpected character at position {at + 1} of the expression.")
        kind = match.lastgroup
        assert kind is not None
        out.append((kind, match.group(kind)))
        at = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], inputs: Inputs) -> None:
        self.tokens = tokens
        self.at = 0
        self.inputs = inputs
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise MathError("The expression ends too early.")
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        kind, got = self.take()
        if got != text:
            raise MathError(f"Expected {text!r} but found {got!r} in the expression.")

    def expression(self) -> Value:
        self.depth += 1
        if self.depth > 50:
            raise MathError("The expression is nested too deeply.")
        value = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            value = _combine(value, self.term(), _ADD if op == "+" else _SUB)
        self.depth -= 1
        return value

    def term(self) -> Value:
        value = self.factor()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            value = _combine(value, self.factor(), _MUL if op == "*" else _DIV)
        return value

    def factor(self) -> Value:
        kind, text = self.take()
        if text == "-":
            return _combine(-1.0, self.factor(), _MUL)
        if text == "(":
            value = self.expression()
            self.expect(")")
            return value
        if kind == "number":
            return float(text)
        if kind == "name":
            upper = text.upper()
            if self.peek() == "(" and upper in FUNCTIONS:
                return self.call(upper)
            if text in self.inputs.series:
                return dict(self.inputs.series[text])
            raise MathError(f"Unrecognized identifier {text!r} in the expression.")
        raise MathError(f"Unexpected {text!r} in the expression.")

    def call(self, function: str) -> Value:
        self.expect("(")
        if function == "METRICS":
            prefix = ""
            if self.peek() not in (")", None):
                kind, text = self.take()
                if kind != "string":
                    raise MathError("METRICS takes a string: the start of the Ids to include.")
                prefix = text[1:-1]
            self.expect(")")
            inputs = self.inputs
            return [
                dict(s)
                for name, s in inputs.series.items()
                if name in inputs.metrics and name.startswith(prefix)
            ]
        if function == "PERIOD":
            kind, name = self.take()
            self.expect(")")
            if name not in self.inputs.periods:
                raise MathError(f"Unrecognized identifier {name!r} in the expression.")
            period = float(self.inputs.periods[name])
            return {moment: period for moment in self.inputs.series.get(name, {})}
        argument = self.expression()
        self.expect(")")
        return _apply(function, argument)


def _ADD(a: float, b: float) -> float:
    return a + b


def _SUB(a: float, b: float) -> float:
    return a - b


def _MUL(a: float, b: float) -> float:
    return a * b


def _DIV(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _combine(left: Value, right: Value, op: Callable[[float, float], float]) -> Value:
    if isinstance(left, list):
        return [_as_series(_combine(item, right, op)) for item in left]
    if isinstance(right, list):
        return [_as_series(_combine(left, item, op)) for item in right]
    if isinstance(left, float) and isinstance(right, float):
        return op(left, right)
    if isinstance(left, float):
        assert isinstance(right, dict)
        return {moment: op(left, value) for moment, value in right.items()}
    if isinstance(right, float):
        return {moment: op(value, right) for moment, value in left.items()}
    # Two series: the periods both have.
    return {moment: op(value, right[moment]) for moment, value in left.items() if moment in right}


def _as_series(value: Value) -> Series:
    if not isinstance(value, dict):
        raise MathError("An operation on a list of time series must give time series.")
    return value


_FOLD: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum,
    "AVG": lambda values: sum(values) / len(values),
    "MIN": min,
    "MAX": max,
}


def _apply(function: str, argument: Value) -> Value:
    if function == "ABS":
        return _combine(argument, 0.0, lambda a, _: abs(a))
    fold = _FOLD[function]
    if isinstance(argument, float):
        return argument
    if isinstance(argument, dict):
        values = [v for v in argument.values() if v == v]
        return fold(values) if values else float("nan")
    moments = sorted({moment for series in argument for moment in series})
    out: Series = {}
    for moment in moments:
        values = [series[moment] for series in argument if moment in series]
        out[moment] = fold(values)
    return out
