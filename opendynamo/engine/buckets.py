"""Where exports are written and imports read: "S3 buckets", as a directory of directories
(one per bucket, under the export root) or a real S3-compatible service.

Both answer the few calls exports and imports make, and both fail the way S3 does when the
bucket is missing (`NoSuchBucket`), so that an export or import fails with DynamoDB's
FailureCode and message.

Encryption at rest: S3 encrypts what it is given as the export asks (S3SseAlgorithm, and its
KMS key). A directory given a key encrypts every object it writes (AES-256-GCM under a key
derived from it, each object bound to its bucket and key), and opens them again when read, as
S3 does for its readers; `opendynamo decrypt-export` turns such objects back into plain files
for other tools.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from opendynamo.engine.directory import DEFAULT_ACCOUNT
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, WriteTxn

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED = b"ODX1"  # the first bytes of an encrypted object (format 1)


class NoSuchBucket(Exception):
    """The bucket does not exist."""

    def __init__(self, bucket: str) -> None:
        self.message = (
            "The specified bucket does not exist (Service: Amazon S3; Status Code: 404; "
            f"Error Code: NoSuchBucket; Bucket: {bucket})"
        )
        super().__init__(self.message)


class Buckets(Protocol):
    def put(
        self, bucket: str, key: str, data: bytes, sse: tuple[str, str | None] = ("", None)
    ) -> str:
        """Store the object (encrypted by S3 as `sse`, (S3SseAlgorithm, KMS key id), asks);
        return its ETag (without quotes)."""
        ...

    def get(self, bucket: str, key: str) -> bytes: ...

    def keys(self, bucket: str, prefix: str) -> list[str]:
        """The keys of the bucket's objects that start with `prefix`, in key order."""
        ...


class ObjectLocked(Exception):
    """An object that the directory's key does not open (another key, or none given)."""


class Directory:
    """Buckets as directories under `root`: object `key` of bucket `b` is the file
    `root/b/key`. A bucket exists when its directory does (make it to create the bucket).
    With a `key`, every object is encrypted on disk."""

    def __init__(self, root: str, key: bytes | None = None) -> None:
        self.root = Path(root)
        self._aead = None if key is None else _cipher(key)

    def _bucket(self, bucket: str) -> Path:
        path = self.root / bucket
        if not bucket or "/" in bucket or bucket in (".", "..") or not path.is_dir():
            raise NoSuchBucket(bucket)
        return path

    def _path(self, bucket: str, key: str) -> Path:
        parts = key.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"object key {key!r} cannot be a file name")
        return self._bucket(bucket).joinpath(*parts)

    def put(
        self, bucket: str, key: str, data: bytes, sse: tuple[str, str | None] = ("", None)
    ) -> str:
        path = self._path(bucket, key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        stored = data
        if self._aead is not None:
            nonce = os.urandom(12)
            stored = SEALED + nonce + self._aead.encrypt(nonce, data, f"{bucket}/{key}".encode())
        partial = path.with_name(path.name + ".partial")
        # Readable by the server's user alone (a stricter umask still applies).
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(stored)
        os.replace(partial, path)  # readers never see half an object
        return hashlib.md5(data).hexdigest()  # as S3's: of the object, not of its ciphertext

    def get(self, bucket: str, key: str) -> bytes:
        stored = self._path(bucket, key).read_bytes()
        return self.open(bucket, key, stored)

    def open(self, bucket: str, key: str, stored: bytes) -> bytes:
        """The object stored as `stored`: decrypted, when it is encrypted."""
        if not stored.startswith(SEALED):
            return stored
        if self._aead is None:
            raise ObjectLocked(f"{bucket}/{key} is encrypted: give the export encryption key")
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(stored[4:16], stored[16:], f"{bucket}/{key}".encode())
        except InvalidTag:
            raise ObjectLocked(f"the export encryption key does not open {bucket}/{key}") from None

    def keys(self, bucket: str, prefix: str) -> list[str]:
        base = self._bucket(bucket)
        found = []
        for directory, _, files in os.walk(base):
            for name in files:
                if name.endswith(".partial"):
                    continue
                key = Path(directory, name).relative_to(base).as_posix()
                if key.startswith(prefix):
                    found.append(key)
        return sorted(found)


class S3:
    """Buckets of an S3-compatible service at `endpoint` (credentials as boto3 finds them:
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, ...)."""

    def __init__(self, endpoint: str, region: str = "us-east-1") -> None:
        import boto3  # type: ignore[import-untyped]  # the `aws` extra

        self._client: Any = boto3.client("s3", endpoint_url=endpoint, region_name=region)

    def _call(self, bucket: str, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, method)(Bucket=bucket, **kwargs)
        except self._client.exceptions.NoSuchBucket:
            raise NoSuchBucket(bucket) from None

    def put(
        self, bucket: str, key: str, data: bytes, sse: tuple[str, str | None] = ("", None)
    ) -> str:
        algorithm, kms_key = sse
        extra: dict[str, str] = {}
        if algorithm:
            extra["ServerSideEncryption"] = "aws:kms" if algorithm == "KMS" else algorithm
        if kms_key:
            extra["SSEKMSKeyId"] = kms_key
        reply = self._call(bucket, "put_object", Key=key, Body=data, **extra)
        return str(reply["ETag"]).strip('"')

    def get(self, bucket: str, key: str) -> bytes:
        body: bytes = self._call(bucket, "get_object", Key=key)["Body"].read()
        return body

    def keys(self, bucket: str, prefix: str) -> list[str]:
        found: list[str] = []
        token: dict[str, str] = {}
        while True:
            page = self._call(bucket, "list_objects_v2", Prefix=prefix, **token)
            found += [entry["Key"] for entry in page.get("Contents", ())]
            if not page.get("IsTruncated"):
                return found
            token = {"ContinuationToken": page["NextContinuationToken"]}


def _cipher(key: bytes) -> AESGCM:
    """AES-GCM under a key derived from `key` (cryptography is imported only for a directory
    given a key)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"opendynamo export objects"
    ).derive(key)
    return AESGCM(derived)


# --- who owns a bucket ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BucketRef:
    """A bucket as authorization sees it: its name, the account that owns it and its bucket
    policy (a resource-based policy document, or None). Equal by name alone."""

    name: str
    owner: str = field(default=DEFAULT_ACCOUNT, compare=False)
    policy: str | None = field(default=None, compare=False)

    @property
    def account(self) -> str:
        return self.owner

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"


def bucket(txn: ReadTxn, name: str) -> BucketRef:
    """The bucket `name` with its owner and policy; a bucket without a row (made by hand in
    the export directory, or one of the S3 service's) is the default account's."""
    raw = txn.get(layout.BUCKET + name.encode())
    if raw is None:
        return BucketRef(name)
    row = orjson.loads(raw)
    return BucketRef(name, str(row["Owner"]), row.get("Policy"))


def register(txn: WriteTxn, name: str, owner: str, policy: str | None) -> None:
    """Record the bucket's owner and policy (`opendynamo create-bucket`)."""
    txn.put(layout.BUCKET + name.encode(), orjson.dumps({"Owner": owner, "Policy": policy}))
