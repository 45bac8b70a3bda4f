"""Where exports are written and imports read: "S3 buckets", as a directory of directories
(one per bucket, under the export root) or a real S3-compatible service.

Both answer the few calls exports and imports make, and both fail the way S3 does when the
bucket is missing (`NoSuchBucket`), so that an export or import fails with DynamoDB's
FailureCode and message.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Protocol


class NoSuchBucket(Exception):
    """The bucket does not exist."""

    def __init__(self, bucket: str) -> None:
        super().__init__(bucket)
        self.message = (
            "The specified bucket does not exist (Service: Amazon S3; Status Code: 404; "
            f"Error Code: NoSuchBucket; Bucket: {bucket})"
        )


class Buckets(Protocol):
    def put(self, bucket: str, key: str, data: bytes) -> str:
        """Store the object; return its ETag (without quotes)."""
        ...

    def get(self, bucket: str, key: str) -> bytes: ...

    def keys(self, bucket: str, prefix: str) -> list[str]:
        """The keys of the bucket's objects that start with `prefix`, in key order."""
        ...


class Directory:
    """Buckets as directories under `root`: object `key` of bucket `b` is the file
    `root/b/key`. A bucket exists when its directory does (make it to create the bucket)."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

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

    def put(self, bucket: str, key: str, data: bytes) -> str:
        path = self._path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, path)  # readers never see half an object
        return hashlib.md5(data).hexdigest()

    def get(self, bucket: str, key: str) -> bytes:
        return self._path(bucket, key).read_bytes()

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
        import boto3  # type: ignore[import-untyped]  # the `s3` extra

        self._client: Any = boto3.client("s3", endpoint_url=endpoint, region_name=region)

    def _call(self, bucket: str, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, method)(Bucket=bucket, **kwargs)
        except self._client.exceptions.NoSuchBucket:
            raise NoSuchBucket(bucket) from None

    def put(self, bucket: str, key: str, data: bytes) -> str:
        reply = self._call(bucket, "put_object", Key=key, Body=data)
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
