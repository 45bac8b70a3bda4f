"""opendynamo.server.sigv4: SigV4 verification as DynamoDB performs it (AWS Signature Version 4).

Three sources of truth: the official SigV4 test suite (awslabs/aws-c-auth
`tests/aws-signing-test-suite/v4/<case>/header-signed-request.txt` and `query-signed-request.txt`,
credentials AKIDEXAMPLE, region us-east-1, service `service`, time 20150830T123600Z); botocore's
own SigV4Auth / SigV4QueryAuth signing DynamoDB-shaped requests; and DynamoDB's error messages
and check order as recorded by dynalite against live DynamoDB (dynalite's test suite).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from opendynamo.errors import DynamoError
from opendynamo.server import sigv4

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_TIME = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
SUITE_AUTH = "Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
SUITE_DATE = "X-Amz-Date:20150830T123600Z"
SUITE_QUERY = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2F"
    "service%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders="
)
TOKEN = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
STS_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/"
    "qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
)


def _signed(request_line: str, headers: str, signed: str, signature: str, body: str = "") -> str:
    auth = f"{SUITE_AUTH}SignedHeaders={signed}, Signature={signature}"
    return f"{request_line} HTTP/1.1\nHost:example.amazonaws.com\n{headers}{auth}\n{SUITE_DATE}\n\n{body}"


BASIC = "host;x-amz-date"
EMPTY_ROOT = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

# header-signed-request.txt of each case, rebuilt from its parts (Host first, then the case's
# own headers, Authorization, X-Amz-Date; the suite's files order them the same way).
HEADER_VECTORS: dict[str, str] = {
    "get-vanilla-query": _signed("GET /", "", BASIC, EMPTY_ROOT),
    "get-header-key-duplicate": _signed(
        "GET /",
        "My-Header1:value2\nMy-Header1:value2\nMy-Header1:value1\n",
        "host;my-header1;x-amz-date",
        "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    ),
    "get-header-value-multiline": _signed(
        "GET /",
        "My-Header1:value1\n  value2\n     value3\n",
        "host;my-header1;x-amz-date",
        "ba17b383a53190154eb5fa66a1b836cc297cc0a3d70a5d00705980573d8ff790",
    ),
    "get-header-value-order": _signed(
        "GET /",
        "My-Header1:value4\nMy-Header1:value1\nMy-Header1:value3\nMy-Header1:value2\n",
        "host;my-header1;x-amz-date",
        "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    ),
    "get-header-value-trim": _signed(
        "GET /",
        'My-Header1: value1\nMy-Header2: "a   b   c"\n',
        "host;my-header1;my-header2;x-amz-date",
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    ),
    "get-relative-normalized": _signed("GET /example/..", "", BASIC, EMPTY_ROOT),
    "get-relative-relative-normalized": _signed(
        "GET /example1/example2/../..", "", BASIC, EMPTY_ROOT
    ),
    "get-slash-dot-slash-normalized": _signed("GET /./", "", BASIC, EMPTY_ROOT),
    "get-slash-normalized": _signed("GET //", "", BASIC, EMPTY_ROOT),
    "get-slash-pointless-dot-normalized": _signed(
        "GET /./example",
        "",
        BASIC,
        "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
    ),
    "get-slashes-normalized": _signed(
        "GET //example//",
        "",
        BASIC,
        "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
    ),
    "get-space-normalized": _signed(
        "GET /example space/",
        "",
        BASIC,
        "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
    ),
    "get-unreserved": _signed(
        "GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        "",
        BASIC,
        "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    ),
    "get-utf8": _signed(
        "GET /ሴ", "", BASIC, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"
    ),
    "get-vanilla-empty-query-key": _signed(
        "GET /?Param1=value1",
        "",
        BASIC,
        "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
    ),
    "get-vanilla-query-order-encoded": _signed(
        "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
        "",
        BASIC,
        "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
    ),
    "get-vanilla-query-order-key-case": _signed(
        "GET /?Param2=value2&Param1=value1",
        "",
        BASIC,
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ),
    "get-vanilla-query-unreserved": _signed(
        "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        "",
        BASIC,
        "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    ),
    "get-vanilla-utf8-query": _signed(
        "GET /?ሴ=bar", "", BASIC, "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"
    ),
    "get-vanilla-with-session-token": _signed(
        "GET /",
        f"X-Amz-Security-Token:{TOKEN}\n",
        "host;x-amz-date;x-amz-security-token",
        "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
    ),
    "post-vanilla": _signed(
        "POST /", "", BASIC, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
    ),
    "post-vanilla-query": _signed(
        "POST /?Param1=value1",
        "",
        BASIC,
        "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    ),
    "post-header-key-sort": _signed(
        "POST /",
        "My-Header1:value1\n",
        "host;my-header1;x-amz-date",
        "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
    ),
    "post-header-value-case": _signed(
        "POST /",
        "My-Header1:VALUE1\n",
        "host;my-header1;x-amz-date",
        "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
    ),
    "post-sts-header-after": _signed(
        "POST /",
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
        BASIC,
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    ),
    "post-sts-header-before": _signed(
        "POST /",
        f"X-Amz-Security-Token:{STS_TOKEN}\n",
        "host;x-amz-date;x-amz-security-token",
        "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
    ),
    "post-x-www-form-urlencoded": _signed(
        "POST /",
        "Content-Type:application/x-www-form-urlencoded\nContent-Length:13\n"
        "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n",
        "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
        "Param1=value1",
    ),
    "post-x-www-form-urlencoded-parameters": _signed(
        "POST /",
        "Content-Type:application/x-www-form-urlencoded; charset=utf-8\nContent-Length:13\n"
        "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n",
        "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
        "Param1=value1",
    ),
}

# The `normalize: false` cases (S3's rule: no dot-segment or slash removal), signature only.
UNNORMALIZED_VECTORS: dict[str, tuple[str, str]] = {
    "get-relative-unnormalized": (
        "/example/..",
        "eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282",
    ),
    "get-relative-relative-unnormalized": (
        "/example1/example2/../..",
        "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b",
    ),
    "get-slash-dot-slash-unnormalized": (
        "/./",
        "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145",
    ),
    "get-slash-pointless-dot-unnormalized": (
        "/./example",
        "beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff",
    ),
    "get-slash-unnormalized": (
        "//",
        "c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e",
    ),
    "get-slashes-unnormalized": (
        "//example//",
        "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5",
    ),
    "get-space-unnormalized": (
        "/example space/",
        "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
    ),
}

# query-signed-request.txt (presigned, X-Amz-Expires=3600): (request line, extra headers).
QUERY_VECTORS: dict[str, tuple[str, str]] = {
    "get-header-key-duplicate": (
        f"GET /?{SUITE_QUERY}host%3Bmy-header1&X-Amz-Expires=3600&X-Amz-Signature="
        "3349ee0b81b4b589da0ff28a395c3591e04de515651dd74f298fa992d1507a97",
        "My-Header1:value2\nMy-Header1:value2\nMy-Header1:value1\n",
    ),
    "get-header-value-trim": (
        f"GET /?{SUITE_QUERY}host%3Bmy-header1%3Bmy-header2&X-Amz-Expires=3600&X-Amz-Signature="
        "e7bb0fd515e125e1aec2ecc4c0c17484fb06f6846b927c35e46005dd3df3acd4",
        'My-Header1: value1\nMy-Header2: "a   b   c"\n',
    ),
    "get-utf8": (
        f"GET /ሴ?{SUITE_QUERY}host&X-Amz-Expires=3600&X-Amz-Signature="
        "10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44",
        "",
    ),
    "get-vanilla-query-order-key-case": (
        f"GET /?Param2=value2&Param1=value1&{SUITE_QUERY}host&X-Amz-Expires=3600&X-Amz-Signature="
        "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5",
        "",
    ),
    "get-vanilla-query-unreserved": (
        "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz&"
        f"{SUITE_QUERY}host&X-Amz-Expires=3600&X-Amz-Signature="
        "8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf",
        "",
    ),
    "post-vanilla": (
        f"POST /?{SUITE_QUERY}host&X-Amz-Expires=3600&X-Amz-Signature="
        "2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b",
        "",
    ),
}


def parse_request(text: str) -> tuple[str, str, str, list[tuple[bytes, bytes]], bytes]:
    """(method, path, query, headers, body) of a test-suite request file. A line starting with
    whitespace is one more value of the previous header: the suite's own reader treats it so,
    and its canonical request for get-header-value-multiline reads `value1,value2,value3`."""
    head, _, body = text.partition("\n\n")
    request_line, *lines = head.split("\n")
    method, rest = request_line.split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    path, _, query = target.partition("?")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines:
        if line[:1].isspace():
            headers.append((headers[-1][0], line.strip().encode()))
        else:
            name, _, value = line.partition(":")
            headers.append((name.lower().encode(), value.encode()))
    return method, path, query, headers, body.encode()


def suite_secret(access_key: str) -> str | None:
    return SECRET if access_key == "AKIDEXAMPLE" else None


def verify_text(text: str, **kwargs: bool) -> sigv4.Credential:
    method, path, query, headers, body = parse_request(text)
    return sigv4.verify(
        method,
        path,
        query,
        headers,
        body,
        suite_secret,
        now=SUITE_TIME,
        service="service",
        **kwargs,
    )


# --- the official test suite ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HEADER_VECTORS))
def test_suite_header_vectors_verify(name: str) -> None:
    credential = verify_text(HEADER_VECTORS[name])
    assert (credential.access_key, credential.region, credential.service) == (
        "AKIDEXAMPLE",
        "us-east-1",
        "service",
    )
    assert credential.date == "20150830"


@pytest.mark.parametrize("name", sorted(HEADER_VECTORS))
def test_suite_header_vectors_reject_a_changed_signature(name: str) -> None:
    text = HEADER_VECTORS[name]
    start = text.index("Signature=") + len("Signature=")
    flipped = "0" if text[start] != "0" else "1"
    with pytest.raises(DynamoError) as caught:
        verify_text(text[:start] + flipped + text[start + 1 :])
    assert caught.value.type_name == "InvalidSignatureException"
    assert caught.value.message == sigv4.SIGNATURE_MISMATCH


def test_suite_session_tokens_are_returned() -> None:
    assert verify_text(HEADER_VECTORS["get-vanilla-with-session-token"]).session_token == TOKEN
    assert verify_text(HEADER_VECTORS["post-sts-header-before"]).session_token == STS_TOKEN
    assert verify_text(HEADER_VECTORS["post-vanilla"]).session_token is None


@pytest.mark.parametrize("name", sorted(UNNORMALIZED_VECTORS))
def test_suite_unnormalized_paths(name: str) -> None:
    path, expected = UNNORMALIZED_VECTORS[name]
    headers = [(b"host", b"example.amazonaws.com"), (b"x-amz-date", b"20150830T123600Z")]
    canonical = sigv4.canonical_request(
        "GET",
        path,
        [],
        headers,
        ("host", "x-amz-date"),
        hashlib.sha256(b"").hexdigest(),
        normalize=False,
    )
    credential = sigv4.Credential("AKIDEXAMPLE", "20150830", "us-east-1", "service", None)
    to_sign = sigv4.string_to_sign(
        "20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical
    )
    assert sigv4.signature(SECRET, credential, to_sign) == expected


@pytest.mark.parametrize("name", sorted(QUERY_VECTORS))
def test_suite_query_vectors_verify(name: str) -> None:
    request_line, headers = QUERY_VECTORS[name]
    text = f"{request_line} HTTP/1.1\nHost:example.amazonaws.com\n{headers}{SUITE_DATE}\n\n"
    assert verify_text(text).access_key == "AKIDEXAMPLE"
    with pytest.raises(DynamoError) as caught:
        verify_text(text.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert caught.value.message == sigv4.SIGNATURE_MISMATCH


def test_suite_unsigned_payload() -> None:
    # post-unsigned-payload: the body is declared UNSIGNED-PAYLOAD and signed as that literal.
    text = (
        "POST / HTTP/1.1\nHost:example.amazonaws.com\nContent-Length:13\n"
        + SUITE_DATE
        + "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"
        + SUITE_AUTH
        + "SignedHeaders=content-length;host;x-amz-content-sha256;x-amz-date, "
        "Signature=9fb60e8938d2178a7d63b49e055d1e65d8f6226f38846e8e0293bf43ce29050c\n\nParam1=value1"
    )
    assert verify_text(text, allow_unsigned_payload=True).access_key == "AKIDEXAMPLE"
    with pytest.raises(DynamoError) as caught:
        verify_text(text)  # by default the received body is what must have been signed
    assert caught.value.message == sigv4.SIGNATURE_MISMATCH


def test_suite_canonical_requests() -> None:
    # header-canonical-request.txt of post-x-www-form-urlencoded (its older revision, which did
    # not sign x-amz-content-sha256) and the worked post-vanilla hash from the SigV4 test suite.
    _, _, _, headers, body = parse_request(HEADER_VECTORS["post-x-www-form-urlencoded"])
    canonical = sigv4.canonical_request(
        "POST",
        "/",
        [],
        headers,
        ("content-length", "content-type", "host", "x-amz-date"),
        sigv4.payload_hash([], b""),
    )
    assert canonical == (
        b"POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\n"
        b"host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        b"content-length;content-type;host;x-amz-date\n"
        b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    _, path, _, headers, body = parse_request(HEADER_VECTORS["post-vanilla"])
    vanilla = sigv4.canonical_request(
        "POST", path, [], headers, ("host", "x-amz-date"), sigv4.payload_hash(headers, body)
    )
    assert (
        hashlib.sha256(vanilla).hexdigest()
        == "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"
    )


@pytest.mark.parametrize(
    ("name", "canonical_headers"),
    [
        ("get-header-key-duplicate", b"my-header1:value2,value2,value1\n"),
        ("get-header-value-multiline", b"my-header1:value1,value2,value3\n"),
        ("get-header-value-order", b"my-header1:value4,value1,value3,value2\n"),
        ("get-header-value-trim", b'my-header1:value1\nmy-header2:"a b c"\n'),
    ],
)
def test_suite_canonical_headers(name: str, canonical_headers: bytes) -> None:
    _, _, _, headers, _ = parse_request(HEADER_VECTORS[name])
    names = sorted({key.decode() for key, _ in headers} & {"my-header1", "my-header2"})
    assert sigv4.canonical_headers(headers, names) == canonical_headers


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("", "/"),
        ("/", "/"),
        ("/example/..", "/"),
        ("/example1/example2/../..", "/"),
        ("/./example", "/example"),
        ("//example//", "/example/"),
        ("/example space/", "/example%20space/"),
        ("/ሴ", "/%E1%88%B4"),
        ("/a%20b", "/a%2520b"),  # not S3: the received (encoded) path is encoded again
        ("/a/b/../c/./d", "/a/c/d"),
    ],
)
def test_canonical_uri(path: str, canonical: str) -> None:
    assert sigv4.canonical_uri(path) == canonical


def test_canonical_uri_for_s3_is_the_path_as_received() -> None:
    assert sigv4.canonical_uri("/a%20b//./c", normalize=False, double_encode=False) == "/a%20b//./c"


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("", ""),
        ("Param2=value2&Param1=value1", "Param1=value1&Param2=value2"),
        ("b=2&a=3&a=1", "a=1&a=3&b=2"),
        ("flag&x=", "flag=&x="),
        ("k=a%2fb&s=a b", "k=a%2Fb&s=a%20b"),
        ("%7E=%41", "~=A"),
        ("ሴ=bar", "%E1%88%B4=bar"),
    ],
)
def test_canonical_query(query: str, canonical: str) -> None:
    assert sigv4.canonical_query(sigv4.parse_query(query)) == canonical


# --- round trips with botocore's signer ----------------------------------------------------

ENDPOINT = "http://localhost:8000"
WHEN = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
KEYS = {"AKIDEXAMPLE": "secret", "ASIATEMP": "temporary/secret+key"}
GET_ITEM = b'{"TableName":"Music","Key":{"Artist":{"S":"Ca\xc3\xafn \xe2\x99\xab"}}}'


def dynamodb_request(
    url: str = ENDPOINT + "/", body: bytes = GET_ITEM, **headers: str
) -> AWSRequest:
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.GetItem",
        **{name.replace("_", "-"): value for name, value in headers.items()},
    }
    return AWSRequest(method="POST", url=url, data=body, headers=headers)


def sign(
    monkeypatch: pytest.MonkeyPatch,
    request: AWSRequest,
    *,
    key: str = "AKIDEXAMPLE",
    token: str | None = None,
    region: str = "us-east-1",
    expires: int | None = None,
) -> AWSRequest:
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda *args, **kwargs: WHEN)
    credentials = Credentials(key, KEYS[key], token)
    signer = (
        SigV4Auth(credentials, "dynamodb", region)
        if expires is None
        else SigV4QueryAuth(credentials, "dynamodb", region, expires=expires)
    )
    signer.add_auth(request)
    return request


def wire(request: AWSRequest) -> tuple[str, str, str, list[tuple[bytes, bytes]], bytes]:
    """What a server receives: the HTTP client adds Host from the URL, as botocore assumed."""
    url = urlsplit(request.url)
    headers = [(name.lower().encode(), value.encode()) for name, value in request.headers.items()]
    if not any(name == b"host" for name, _ in headers):
        headers.insert(0, (b"host", url.netloc.encode()))
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    return request.method, url.path, url.query, headers, body


def check(
    request: AWSRequest, now: datetime = WHEN, body: bytes | None = None, **kwargs: bool
) -> sigv4.Credential:
    method, path, query, headers, sent = wire(request)
    return sigv4.verify(
        method, path, query, headers, sent if body is None else body, KEYS.get, now=now, **kwargs
    )


def test_botocore_dynamodb_request(monkeypatch: pytest.MonkeyPatch) -> None:
    credential = check(sign(monkeypatch, dynamodb_request()))
    assert credential == sigv4.Credential("AKIDEXAMPLE", "20260115", "us-east-1", "dynamodb", None)


def test_botocore_session_token_and_local_region(monkeypatch: pytest.MonkeyPatch) -> None:
    request = sign(
        monkeypatch, dynamodb_request(), key="ASIATEMP", token="FwoG//tok=", region="localhost"
    )
    assert check(request) == sigv4.Credential(
        "ASIATEMP", "20260115", "localhost", "dynamodb", "FwoG//tok="
    )


def test_botocore_many_headers_query_and_unicode(monkeypatch: pytest.MonkeyPatch) -> None:
    request = dynamodb_request(
        ENDPOINT + "/tables/%E1%88%B4/a%20b/./x?b=2&a=%E2%99%AB&a=1&empty=&sp=a%20b",
        amz_sdk_invocation_id="  3f1c   9a  ",
        amz_sdk_request="attempt=1; max=3",
        X_Custom="tab\tseparated   words",
    )
    assert check(sign(monkeypatch, request)).access_key == "AKIDEXAMPLE"


def test_botocore_empty_body_and_get(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check(sign(monkeypatch, dynamodb_request(body=b""))).region == "us-east-1"
    get = AWSRequest(method="GET", url=ENDPOINT + "/?Action=ListTables&Limit=5")
    assert check(sign(monkeypatch, get)).service == "dynamodb"


@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2lu/+=="])
def test_botocore_presigned(monkeypatch: pytest.MonkeyPatch, token: str | None) -> None:
    request = AWSRequest(method="GET", url=ENDPOINT + "/?Action=ListTables&Limit=5")
    request = sign(monkeypatch, request, token=token, expires=600)
    assert "X-Amz-Signature=" in request.url and "Authorization" not in request.headers
    credential = check(request, now=WHEN + timedelta(seconds=600))
    assert credential.session_token == token


def test_botocore_presigned_post_with_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    request = dynamodb_request(body=b"")
    assert check(sign(monkeypatch, request, expires=60)).access_key == "AKIDEXAMPLE"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda request: setattr(request, "data", GET_ITEM.replace(b"Music", b"Movie")),
        lambda request: request.headers.replace_header(
            "X-Amz-Target", "DynamoDB_20120810.DeleteItem"
        ),
        lambda request: setattr(request, "url", request.url + "?a=1"),
        lambda request: setattr(request, "method", "PUT"),
    ],
    ids=["body", "signed-header", "query", "method"],
)
def test_botocore_tampered_requests_are_rejected(
    monkeypatch: pytest.MonkeyPatch, tamper: object
) -> None:
    request = sign(monkeypatch, dynamodb_request())
    tamper(request)  # type: ignore[operator]
    assert_error(lambda: check(request), "InvalidSignatureException", sigv4.SIGNATURE_MISMATCH)


def test_botocore_wrong_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    request = sign(monkeypatch, dynamodb_request())
    method, path, query, headers, body = wire(request)
    assert_error(
        lambda: sigv4.verify(method, path, query, headers, body, lambda key: "wrong", now=WHEN),
        "InvalidSignatureException",
        sigv4.SIGNATURE_MISMATCH,
    )


def test_declared_payload_hash_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    # A client may sign X-Amz-Content-Sha256 as the payload hash; it must match the body.
    declared = hashlib.sha256(GET_ITEM).hexdigest()
    request = sign(monkeypatch, dynamodb_request(X_Amz_Content_SHA256=declared))
    assert check(request).access_key == "AKIDEXAMPLE"
    assert_error(
        lambda: check(request, body=b"{}"), "InvalidSignatureException", sigv4.SIGNATURE_MISMATCH
    )


def test_unsigned_payload_needs_permission(monkeypatch: pytest.MonkeyPatch) -> None:
    request = sign(monkeypatch, dynamodb_request(X_Amz_Content_SHA256="UNSIGNED-PAYLOAD"))
    assert check(request, allow_unsigned_payload=True).access_key == "AKIDEXAMPLE"
    assert_error(lambda: check(request), "InvalidSignatureException", sigv4.SIGNATURE_MISMATCH)


# --- failures, their messages and their order ---------------------------------------------

DATE = "20130609T095204Z"
NOW = datetime(2013, 6, 9, 9, 52, 4, tzinfo=UTC)
GOOD_CREDENTIAL = "AKIDEXAMPLE/20130609/us-east-1/dynamodb/aws4_request"


def assert_error(call: object, type_name: str, message: str) -> None:
    with pytest.raises(DynamoError) as caught:
        call()  # type: ignore[operator]
    assert (caught.value.type_name, caught.value.message) == (type_name, message)
    assert caught.value.namespace == "com.amazon.coral.service"
    assert caught.value.status == 400


def header_request(
    authorization: str | None,
    *,
    date: str | None = DATE,
    query: str = "",
    now: datetime = NOW,
    extra: tuple[tuple[bytes, bytes], ...] = (),
) -> object:
    headers = [(b"host", b"localhost:8000"), *extra]
    if date is not None:
        headers.append((b"x-amz-date", date.encode()))
    if authorization is not None:
        headers.append((b"authorization", authorization.encode()))
    return lambda: sigv4.verify("POST", "/", query, headers, b"{}", KEYS.get, now=now)


def auth(
    credential: str = GOOD_CREDENTIAL,
    signed: str = "host;x-amz-date",
    algorithm: str = "AWS4-HMAC-SHA256",
) -> str:
    return f"{algorithm} Credential={credential}, SignedHeaders={signed}, Signature=" + "0" * 64


def test_both_forms() -> None:
    assert_error(
        header_request(auth(), query="X-Amz-Algorithm=AWS4-HMAC-SHA256"),
        "InvalidSignatureException",
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    )


@pytest.mark.parametrize("authorization", [None, "", "Basic dXNlcjpwYXNz", "AWS AKID:sig"])
def test_missing_authentication_token(authorization: str | None) -> None:
    assert_error(
        header_request(authorization, date=None),
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    )


def test_incomplete_header_lists_every_missing_part() -> None:
    assert_error(
        header_request("AWS4-HMAC-SHA256", date=None),
        "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256",
    )
    header = "AWS4-HMAC-SHA256 Credential=a,Signature=b"
    assert_error(
        header_request(header),
        "IncompleteSignatureException",
        f"Authorization header requires 'SignedHeaders' parameter. Authorization={header}",
    )


def test_incomplete_query_lists_every_missing_part() -> None:
    assert_error(
        header_request(None, query="X-Amz-Algorithm"),
        "IncompleteSignatureException",
        "AWS query-string parameters must include 'X-Amz-Algorithm'. "
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters.",
    )


@pytest.mark.parametrize("date", ["201", "2013-06-09T09:52:04Z", "20131309T095204Z"])
def test_date_format_comes_before_the_credential(date: str) -> None:
    assert_error(
        header_request(auth("garbage", signed="x-amz-date", algorithm="AWS4-X"), date=date),
        "IncompleteSignatureException",
        f"Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


def test_signature_expired_comes_before_the_credential() -> None:
    # dynalite's recording against DynamoDB, and Alternator's garbage-credential test.
    assert_error(
        header_request(
            auth("a/b/c/d"),
            date="20130301T000000Z",
            now=datetime(2013, 6, 9, 10, 0, 15, tzinfo=UTC),
        ),
        "InvalidSignatureException",
        "Signature expired: 20130301T000000Z is now earlier than 20130609T094515Z (20130609T100015Z - 15 min.)",
    )


def test_signature_not_yet_current() -> None:
    assert_error(
        header_request(auth("a/b/c/d"), date="20130609T101000Z"),
        "InvalidSignatureException",
        "Signature not yet current: 20130609T101000Z is still later than 20130609T100704Z "
        "(20130609T095204Z + 15 min.)",
    )


def test_fifteen_minutes_either_way_is_still_current() -> None:
    for now in (NOW - timedelta(minutes=15), NOW + timedelta(minutes=15)):
        assert_error(
            header_request(auth(), now=now), "InvalidSignatureException", sigv4.SIGNATURE_MISMATCH
        )


def test_host_must_be_signed_before_the_algorithm_is_checked() -> None:
    assert_error(
        header_request(auth("a/b", signed="x-amz-date", algorithm="AWS4-HMAC-SHA25")),
        "InvalidSignatureException",
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    )
    assert_error(
        header_request(auth(signed="HOST;x-amz-date"), extra=((b"HOST", b"localhost:8000"),)),
        "InvalidSignatureException",
        sigv4.SIGNATURE_MISMATCH,
    )


def test_unsupported_algorithm() -> None:
    assert_error(
        header_request(auth("a/b", algorithm="AWS4-HMAC-SHA25")),
        "IncompleteSignatureException",
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). ",
    )


def test_credential_must_have_five_parts() -> None:
    assert_error(
        header_request(auth("a/b/c/d")),
        "IncompleteSignatureException",
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'",
    )


def test_credential_trailing_slashes_are_ignored() -> None:
    assert_error(
        header_request(auth(GOOD_CREDENTIAL + "//")),
        "InvalidSignatureException",
        sigv4.SIGNATURE_MISMATCH,
    )


def test_credential_scope_problems_are_reported_together() -> None:
    assert_error(
        header_request(auth("AKIDEXAMPLE/b/US_EAST/d/e")),
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'US_EAST'. "
        "Credential should be scoped to correct service: 'dynamodb'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. "
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'b' != '20130609', from '20130609T095204Z'.",
    )


@pytest.mark.parametrize(
    ("credential", "message"),
    [
        (
            "AKIDEXAMPLE/20130609//dynamodb/aws4_request",
            "Credential should be scoped to a valid region, not ''. ",
        ),
        (
            "AKIDEXAMPLE/20130609/us-east-1/DynamoDB/aws4_request",
            "Credential should be scoped to correct service: 'dynamodb'. ",
        ),
        (
            "AKIDEXAMPLE/20130609/us-east-1/dynamodb/aws4",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4'. ",
        ),
        (
            "AKIDEXAMPLE/20130608/us-east-1/dynamodb/aws4_request",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            "'20130608' != '20130609', from '20130609T095204Z'.",
        ),
    ],
)
def test_credential_scope_problems_one_at_a_time(credential: str, message: str) -> None:
    assert_error(header_request(auth(credential)), "InvalidSignatureException", message)


def test_scope_is_checked_before_the_access_key() -> None:
    assert_error(
        header_request(auth("UNKNOWN/20130609/us-east-1/s3/aws4_request")),
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'dynamodb'. ",
    )


def test_unknown_access_key() -> None:
    assert_error(
        header_request(auth("UNKNOWN/20130609/us-east-1/dynamodb/aws4_request")),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_any_region_name_is_accepted() -> None:
    for region in ("localhost", "local", "eu-central-2", "c"):
        credential = f"AKIDEXAMPLE/20130609/{region}/dynamodb/aws4_request"
        assert_error(
            header_request(auth(credential)), "InvalidSignatureException", sigv4.SIGNATURE_MISMATCH
        )


def test_authorization_without_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    request = sign(monkeypatch, dynamodb_request())
    request.headers.replace_header(
        "Authorization", request.headers["Authorization"].replace(", ", ",")
    )
    assert check(request).access_key == "AKIDEXAMPLE"


def test_date_header_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    # Signed with X-Amz-Date, then sent with the same moment as an RFC 1123 Date header only.
    request = sign(monkeypatch, dynamodb_request())
    authorization = request.headers["Authorization"].replace("x-amz-date", "date")
    headers = [
        (b"host", b"localhost:8000"),
        (b"date", b"Thu, 15 Jan 2026 09:30:00 GMT"),
        (b"authorization", authorization.encode()),
    ]
    assert_error(
        lambda: sigv4.verify("POST", "/", "", headers, GET_ITEM, KEYS.get, now=WHEN),
        "InvalidSignatureException",
        sigv4.SIGNATURE_MISMATCH,  # the signature covered other headers; the date was accepted
    )
    headers[1] = (b"date", b"15 January 2026")
    assert_error(
        lambda: sigv4.verify("POST", "/", "", headers, GET_ITEM, KEYS.get, now=WHEN),
        "IncompleteSignatureException",
        "Date must be in ISO-8601 'basic format'. Got '15 January 2026'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


def test_presigned_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    request = sign(monkeypatch, AWSRequest(method="GET", url=ENDPOINT + "/"), expires=600)
    later = WHEN + timedelta(seconds=601)
    assert_error(
        lambda: check(request, now=later),
        "InvalidSignatureException",
        "Signature expired: 20260115T093000Z is now earlier than 20260115T093001Z (20260115T094001Z - 600 sec.)",
    )
    assert_error(
        lambda: check(request, now=WHEN - timedelta(minutes=16)),
        "InvalidSignatureException",
        "Signature not yet current: 20260115T093000Z is still later than 20260115T092900Z "
        "(20260115T091400Z + 15 min.)",
    )


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("soon", "X-Amz-Expires should be a number"),
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            "X-Amz-Expires must be less than 604800 seconds",
        ),
    ],
)
def test_presigned_expires_must_be_a_number_of_seconds(expires: str, message: str) -> None:
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20130609%2Fus-east-1%2F"
        f"dynamodb%2Faws4_request&X-Amz-Date={DATE}&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
        f"&X-Amz-Expires={expires}"
    )
    assert_error(
        header_request(None, date=None, query=query), "IncompleteSignatureException", message
    )


def test_unsigned_header_changes_do_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    request = sign(monkeypatch, dynamodb_request())
    method, path, query, headers, body = wire(request)
    headers.append((b"user-agent", b"changed in flight"))
    assert (
        sigv4.verify(method, path, query, headers, body, KEYS.get, now=WHEN).access_key
        == "AKIDEXAMPLE"
    )
