"""The PartiQL tokenizer.

Tokens: bare words (an SQL-92 or PartiQL reserved word is a KEYWORD, anything else an IDENT),
"double-quoted" identifiers (QIDENT), 'single-quoted' strings, numbers, the `?` parameter,
punctuation (`<<` and `>>` open and close bags), and EOF. `--` line comments and `/* */` block
comments are skipped. Text the reference parser cannot read at all - a character outside the
language, an unterminated string or comment, an exponent beyond a 32-bit integer - is refused
with DynamoDB's "wasn't well formed" envelope and nothing after the colon, as the service does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opendynamo.partiql.messages import malformed

IDENT = "IDENT"
QIDENT = "QIDENT"
KEYWORD = "KEYWORD"
STRING = "STRING"
NUMBER = "NUMBER"
PARAM = "PARAM"
PUNCT = "PUNCT"
EOF = "EOF"

INT32 = 2**31

# Reserved words (SQL-92 plus PartiQL's own): a bare reserved word is never an attribute name.
RESERVED = frozenset(
    """
    ABSOLUTE ACTION ADD ALL ALLOCATE ALTER AND ANY ARE AS ASC ASSERTION AT AUTHORIZATION AVG
    BEGIN BETWEEN BIT BIT_LENGTH BOTH BY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER
    CHAR_LENGTH CHARACTER_LENGTH CHECK CLOSE COALESCE COLLATE COLLATION COLUMN COMMIT CONNECT
    CONNECTION CONSTRAINT CONSTRAINTS CONTINUE CONVERT CORRESPONDING COUNT CREATE CROSS CURRENT
    CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATE DAY DEALLOCATE DEC
    DECIMAL DECLARE DEFAULT DEFERRABLE DEFERRED DELETE DESC DESCRIBE DESCRIPTOR DIAGNOSTICS
    DISCONNECT DISTINCT DOMAIN DOUBLE DROP ELSE END ESCAPE EXCEPT EXCEPTION EXEC EXECUTE EXISTS
    EXTERNAL EXTRACT FALSE FETCH FIRST FLOAT FOR FOREIGN FOUND FROM FULL GET GLOBAL GO GOTO GRANT
    GROUP HAVING HOUR IDENTITY IMMEDIATE IN INDICATOR INITIALLY INNER INPUT INSENSITIVE INSERT INT
    INTEGER INTERSECT INTERVAL INTO IS ISOLATION JOIN KEY LANGUAGE LAST LEADING LEFT LEVEL LIKE
    LOCAL LOWER MATCH MAX MIN MINUTE MODULE MONTH NAMES NATIONAL NATURAL NCHAR NEXT NO NOT NULL
    NULLIF NUMERIC OCTET_LENGTH OF ON ONLY OPEN OPTION OR ORDER OUTER OUTPUT OVERLAPS PAD PARTIAL
    POSITION PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVILEGES PROCEDURE PUBLIC READ REAL
    REFERENCES RELATIVE RESTRICT REVOKE RIGHT ROLLBACK ROWS SCHEMA SCROLL SECOND SECTION SELECT
    SESSION SESSION_USER SET SIZE SMALLINT SOME SPACE SQL SQLCODE SQLERROR SQLSTATE SUBSTRING SUM
    SYSTEM_USER TABLE TEMPORARY THEN TIME TIMESTAMP TIMEZONE_HOUR TIMEZONE_MINUTE TO TRAILING
    TRANSACTION TRANSLATE TRANSLATION TRIM TRUE UNION UNIQUE UNKNOWN UPDATE UPPER USAGE USER USING
    VALUE VALUES VARCHAR VARYING VIEW WHEN WHENEVER WHERE WITH WORK WRITE YEAR ZONE
    MISSING PIVOT UNPIVOT LIMIT OFFSET REMOVE INDEX CONFLICT DO RETURNING LET
    """.split()
)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    | (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<unclosed>/\*)
    | (?P<qident>"(?:[^"]|"")*")
    | (?P<string>'(?:[^']|'')*')
    | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    | (?P<word>[A-Za-z_$][A-Za-z0-9_$]*)
    | (?P<param>\?)
    | (?P<punct><<|>>|<>|!=|<=|>=|\|\||[=<>()\[\]{},.:*+\-;/%])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its value (a word or punctuation as written, a string or quoted
    identifier unescaped, a number's text), and where it stands in the statement."""

    kind: str
    value: str
    start: int
    end: int
    line: int
    column: int

    @property
    def upper(self) -> str:
        return self.value.upper()

    def where(self) -> str:
        """DynamoDB's position of this token: `<line>:<column>:<length>`."""
        return f"{self.line}:{self.column}:{self.end - self.start}"


def tokenize(text: str) -> list[Token]:
    """Split a statement into tokens, always ending with an EOF token."""
    tokens: list[Token] = []
    position = 0
    line, line_start = 1, 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup == "unclosed":
            raise malformed()  # a character outside the language, or an unterminated literal
        group = match.lastgroup
        word = match.group()
        if group not in ("ws", "comment"):
            assert group is not None
            kind, value = _classify(group, word)
            column = match.start() - line_start + 1
            tokens.append(Token(kind, value, match.start(), match.end(), line, column))
        newlines = word.count("\n")
        if newlines:
            line += newlines
            line_start = match.start() + word.rindex("\n") + 1
        position = match.end()
    tokens.append(Token(EOF, "", len(text), len(text), line, len(text) - line_start + 1))
    return tokens


def _classify(group: str, word: str) -> tuple[str, str]:
    if group == "word":
        return (KEYWORD if word.upper() in RESERVED else IDENT), word
    if group == "qident":
        return QIDENT, word[1:-1].replace('""', '"')
    if group == "string":
        return STRING, word[1:-1].replace("''", "'")
    if group == "number":
        _check_number(word)
        return NUMBER, word
    if group == "param":
        return PARAM, word
    return PUNCT, word


def _check_number(text: str) -> None:
    """The reference parser reads a number as a BigDecimal: its exponent and its scale must
    fit a 32-bit integer, or the statement cannot be read at all."""
    mantissa, _, exponent_text = text.lower().partition("e")
    exponent = int(exponent_text) if exponent_text else 0
    fraction = len(mantissa.partition(".")[2])
    if not -INT32 <= exponent < INT32 or not -INT32 <= fraction - exponent < INT32:
        raise malformed()
