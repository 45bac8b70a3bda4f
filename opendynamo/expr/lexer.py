"""The one tokenizer for every expression kind.

DynamoDB's lexer (as its syntax errors show) produces: identifiers `[A-Za-z][A-Za-z0-9_]*`,
`#name` and `:value` placeholders, unsigned integers (a leading `0` stands alone, so `01` is two
tokens), the operators and punctuation `= <> < <= > >= ( ) [ ] , . + -`, and the keywords AND, OR,
NOT, BETWEEN, IN, SET, REMOVE, ADD, DELETE (case-insensitive, in every expression kind). Anything
else - `_`, a lone `#` or `:`, quotes, non-ASCII - is a one-character token that no rule accepts,
so it surfaces as `Syntax error; token: "_", near: "SET _123"`.

A syntax error names the offending token and quotes the text from the start of the token before it
to the end of the token after it; `syntax_error` reproduces that window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opendynamo.expr.problem import ExpressionProblem

KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"})

ID = "ID"
NAME = "NAME"
VALUE = "VALUE"
INT = "INT"
BAD = "BAD"
EOF = "EOF"

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
    | (?P<id>[A-Za-z][A-Za-z0-9_]*)
    | (?P<name>\#[A-Za-z0-9_]+)
    | (?P<value>:[A-Za-z0-9_]+)
    | (?P<int>0|[1-9][0-9]*)
    | (?P<op><>|<=|>=|[=<>()\[\],.+\-])
    | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token. `kind` is ID, NAME, VALUE, INT, BAD, EOF, an upper-case keyword, or the
    punctuation itself (`=`, `(`, …); `text` is exactly as written (`<EOF>` at the end)."""

    kind: str
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens, always ending with an EOF token."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        group = match.lastgroup
        if group == "ws":
            continue
        word = match.group()
        if group == "id":
            upper = word.upper()
            kind = upper if upper in KEYWORDS else ID
        elif group == "op":
            kind = word
        else:
            kind = _KINDS[group or "bad"]
        tokens.append(Token(kind, word, match.start(), match.end()))
    tokens.append(Token(EOF, "<EOF>", len(text), len(text)))
    return tokens


_KINDS = {"name": NAME, "value": VALUE, "int": INT, "bad": BAD}


def syntax_error(text: str, tokens: list[Token], at: int) -> ExpressionProblem:
    """DynamoDB's syntax error for the token at index `at`."""
    token = tokens[at]
    start = tokens[at - 1].start if at > 0 else 0
    end = tokens[at + 1].end if at + 1 < len(tokens) else token.end
    return ExpressionProblem(f'Syntax error; token: "{token.text}", near: "{text[start:end]}"')
