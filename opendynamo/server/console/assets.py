"""The console's files (HTML, scripts, styles, the vendored chart library), served from the
package itself: nothing is fetched from another site. Each is read once per process and
answered with an ETag, so a browser revalidates with one small request.

Every console answer carries a Content-Security-Policy that allows scripts, styles and
connections to this origin only, forbids framing (clickjacking) and inline scripts.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).parent / "static"
TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".js": b"text/javascript; charset=utf-8",
    ".css": b"text/css; charset=utf-8",
    ".svg": b"image/svg+xml",
    ".png": b"image/png",
    ".txt": b"text/plain; charset=utf-8",
}
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"Content-Security-Policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        b"connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
        b"form-action 'self'",
    ),
    (b"X-Frame-Options", b"DENY"),
    (b"X-Content-Type-Options", b"nosniff"),
    (b"Referrer-Policy", b"same-origin"),
)


@dataclass(frozen=True, slots=True)
class Asset:
    content_type: bytes
    body: bytes
    etag: bytes
    gzipped: bytes | None  # the body gzipped once, when that makes it smaller


@lru_cache(maxsize=256)
def asset(relative: str) -> Asset | None:
    """A file under static/, or None: only plain names of the known types, never a path that
    leaves the folder. Read and gzipped once per process."""
    parts = relative.split("/")
    if not relative or any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    path = ROOT.joinpath(*parts)
    content_type = TYPES.get(path.suffix)
    if content_type is None or not path.is_file():
        return None
    body = path.read_bytes()
    etag = b'"' + hashlib.sha256(body).hexdigest()[:20].encode() + b'"'
    gzipped = gzip.compress(body, 9, mtime=0)
    return Asset(content_type, body, etag, gzipped if len(gzipped) < len(body) else None)
