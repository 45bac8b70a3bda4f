"""The one exception the expression front end raises internally.

Parsing and checking a single expression does not know which request parameter it came from, so
problems carry DynamoDB's message without the `Invalid ConditionExpression: ` style prefix;
`compile.py` adds the prefix and turns the problem into a ValidationException.
"""

from __future__ import annotations


class ExpressionProblem(Exception):
    """A static problem in one expression, worded as DynamoDB words it (without the prefix)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
