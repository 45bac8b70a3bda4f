"""opendynamo.engine.records: the stored form of items and index entries (docs/format.md)."""

from __future__ import annotations

import orjson

from opendynamo.engine import records
from opendynamo.model import sizes

ITEM = {"pk": {"S": "a"}, "sk": {"N": "12"}, "v": {"S": "x" * 300}}


def test_a_record_keeps_both_sizes_and_the_wire_json() -> None:
    stored = records.encode(ITEM, 1234, 567)
    assert stored[:1] == b"\x02"
    assert records.size_of(stored) == 1234
    assert records.page_size_of(stored, "sk") == 567
    assert records.decode(stored) == ITEM
    assert records.json_of(stored) == orjson.dumps(ITEM)


def test_a_record_of_format_1_is_read_and_sized() -> None:
    stored = b"\x01" + (310).to_bytes(4, "big") + orjson.dumps(ITEM)
    assert records.decode(stored) == ITEM
    assert records.json_of(stored) == orjson.dumps(ITEM)
    assert records.size_of(stored) == 310
    assert records.page_size_of(stored, "sk") == sizes.page_size(ITEM, "sk")
