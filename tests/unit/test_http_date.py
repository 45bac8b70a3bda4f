"""The HTTP layer's Date header (server/http) is the one email.utils.formatdate writes."""

from __future__ import annotations

import email.utils

from hypothesis import given
from hypothesis import strategies as st

from opendynamo.server.http import date_header


@given(st.floats(min_value=0, max_value=253402300799))  # to the end of year 9999
def test_date_header_is_imf_fixdate(seconds: float) -> None:
    expected = "Date: " + email.utils.formatdate(seconds, usegmt=True) + "\r\n"
    assert date_header(seconds) == expected.encode()
