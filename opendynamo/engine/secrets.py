"""Secret access keys sealed at rest.

SigV4 needs the secret itself (it keys an HMAC), so a secret cannot be stored hashed: it is
encrypted with AES-256-GCM under a key kept outside the store (`secrets.key` beside the data,
or OPENDYNAMO_SECRETS_KEY), so a copy of the database file alone reveals no credential. Session
tokens, which the server only compares, are stored as SHA-256 digests instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path
from typing import TYPE_CHECKING

from opendynamo.model import layout
from opendynamo.storage.base import Store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_STORED_KEY = layout.META + b"secrets_key"
NONCE_BYTES = 12
MAC_BYTES = 16


class Sealer:
    """Encrypts and decrypts short secrets with one AES-GCM key; `purpose` binds a sealed value
    to what it is (an access key id), so a sealed secret cannot be moved to another key row."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("the secrets key must be 32 bytes")
        self._key = key
        self._cipher: AESGCM | None = None
        # A key of its own for MACs, so that no value is both encrypted and authenticated
        # under one key.
        self._mac_key = hmac.digest(key, b"opendynamo token MAC key", "sha256")

    @property
    def _aead(self) -> AESGCM:
        """The cipher, made when a secret is first sealed or opened (cryptography is imported
        then: a server whose callers never touch a secret, with --auth off, starts without)."""
        if self._cipher is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._cipher = AESGCM(self._key)
        return self._cipher

    def seal(self, secret: str, purpose: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), purpose.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, purpose: str) -> str:
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()).decode()

    def sign(self, data: bytes, purpose: str) -> bytes:
        """`data` followed by its MAC (HMAC-SHA256, 16 bytes) for `purpose`: a token the server
        hands out and must know again, unforged, when a client hands it back."""
        return data + self._mac(data, purpose)

    def verify(self, token: bytes, purpose: str) -> bytes | None:
        """The data of a token `sign` made for `purpose`; None when it is not one."""
        data, mac = token[:-MAC_BYTES], token[-MAC_BYTES:]
        if len(token) < MAC_BYTES or not hmac.compare_digest(mac, self._mac(data, purpose)):
            return None
        return data

    def _mac(self, data: bytes, purpose: str) -> bytes:
        message = purpose.encode() + b"\x00" + data
        return hmac.digest(self._mac_key, message, "sha256")[:MAC_BYTES]


def load_key(path: Path) -> bytes:
    """The key in `path`, created (owner-only) on first use; O_EXCL makes concurrent first
    starts agree on one key."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _decode_key(path.read_text())
    key = os.urandom(KEY_BYTES)
    with os.fdopen(fd, "w") as file:
        file.write(base64.b64encode(key).decode() + "\n")
    return key


def stored_key(store: Store) -> bytes:
    """The key kept in the store itself (a shared PostgreSQL database, where the servers of a
    fleet have no common directory), created by whichever server asks first."""
    with store.write() as txn:
        txn.insert(_STORED_KEY, base64.b64encode(os.urandom(KEY_BYTES)))
        raw = txn.get(_STORED_KEY)
    assert raw is not None
    return _decode_key(raw.decode())


def _decode_key(text: str) -> bytes:
    key = base64.b64decode(text.strip())
    if len(key) != KEY_BYTES:
        raise ValueError("the secrets key must be 32 bytes, base64-encoded")
    return key


def key_from_text(text: str) -> bytes:
    """A key given in the environment (base64 of 32 bytes)."""
    return _decode_key(text)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
