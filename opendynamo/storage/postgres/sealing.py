"""Encryption of the stored values: `Sealer` seals each value with AES-256-GCM bound to its
row key, and the key-check row (`KEY_CHECK`) lets the store prove that the key it was given
opens the database's values; `StoreLocked` is the refusal when it does not.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class StoreLocked(RuntimeError):
    """The values are encrypted and no key, or the wrong key, was given."""


# The row that proves a key opens the database's values (the store's own, under META).
KEY_CHECK = b"\x00storage_values_key_check"
KEY_CHECK_TEXT = b"opendynamo values"
_SEALED = b"\x01"  # the format byte of an encrypted value


class Sealer:
    """Values encrypted with AES-256-GCM, each bound to its row key (a value cannot be moved
    to another row). Row keys stay readable: PostgreSQL orders and finds rows by them."""

    def __init__(self, key: bytes) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"opendynamo postgres values"
        ).derive(key)
        self._aead = AESGCM(derived)

    def seal(self, row: bytes, value: bytes) -> bytes:
        nonce = os.urandom(12)
        return _SEALED + nonce + self._aead.encrypt(nonce, value, row)

    def open(self, row: bytes, stored: bytes) -> bytes:
        if stored[:1] != _SEALED:
            raise InvalidTag()
        return self._aead.decrypt(stored[1:13], stored[13:], row)
