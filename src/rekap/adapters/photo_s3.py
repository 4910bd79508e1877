"""Photos in an S3-compatible bucket, content-addressed: ``<prefix>ab/cd/<sha256><suffix>``.

Each object carries its SHA-256 as metadata (``x-amz-meta-sha256``). ``put`` refuses bytes that
do not hash to the address and skips the upload when an object of the same size and recorded
hash is there already; ``get`` hashes what it downloads and raises ``PhotoCorrupted`` when the
bytes or the recorded hash differ from the address. A PUT is atomic in S3: an object is visible
whole or not at all, so no half-written photo is ever read.

Addresses: ``s3://bucket[/prefix][?endpoint=URL&region=NAME]``. Credentials never appear in
the address; boto3 takes them from its standard chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, config files, instance roles).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rekap.adapters.photo_store import PhotoCorrupted, StoreProbe, StoreUnavailable

S3Client = Any  # a boto3 S3 client (boto3 ships no type information)
SHA256_KEY = "sha256"
_PARAMETERS = frozenset({"endpoint", "region"})


@dataclass(frozen=True, slots=True)
class S3Address:
    """A bucket, a key prefix ('' or ending in '/'), and where the service is."""

    bucket: str
    prefix: str
    endpoint: str | None = None
    region: str | None = None

    def client(self) -> S3Client:
        """A new client; each process (and each forked worker) needs its own."""
        try:
            import boto3
            from botocore.config import Config
        except ModuleNotFoundError as error:
            raise RuntimeError("s3:// addresses need boto3: install it beside rekap") from error

        config = Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32)
        session = boto3.session.Session()
        return session.client(
            "s3", endpoint_url=self.endpoint, region_name=self.region, config=config
        )


def parse_s3_url(url: str, default_prefix: str) -> S3Address:
    """``s3://bucket/some/prefix?endpoint=…&region=…``; no path (or ``/``) means
    ``default_prefix``. Unknown parameters are refused rather than ignored."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3://bucket/… address: {url}")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    unknown = set(query) - _PARAMETERS
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {sorted(unknown)} in {url}; known: endpoint, region"
        )
    path = parts.path.strip("/")
    prefix = f"{path}/" if path else default_prefix
    endpoint = query.get("endpoint", [None])[-1] or None
    region = query.get("region", [None])[-1] or None
    return S3Address(parts.netloc, prefix, endpoint, region)


def error_code(error: Exception) -> str:
    """The S3 error code of a botocore ``ClientError`` ('' for any other exception)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
DENIED = frozenset(
    {"403", "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
)


class S3PhotoStore:
    def __init__(self, client: S3Client, bucket: str, prefix: str = "photos/") -> None:
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str) -> S3PhotoStore:
        address = parse_s3_url(url, default_prefix="photos/")
        return cls(address.client(), address.bucket, address.prefix)

    def key(self, sha256: str, suffix: str) -> str:
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"

    def url(self, sha256: str, suffix: str) -> str:
        return f"s3://{self.bucket}/{self.key(sha256, suffix)}"

    def put(self, sha256: str, suffix: str, data: bytes) -> None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise PhotoCorrupted(f"refusing to store bytes with SHA-256 {actual} as {sha256}")
        key = self.key(sha256, suffix)
        try:
            if self._stored(key, sha256, len(data)):
                return
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, Metadata={SHA256_KEY: sha256}
            )
        except OSError:
            raise
        except Exception as error:  # botocore's: refused, unreachable, too slow
            raise StoreUnavailable(f"{self.url(sha256, suffix)}: {error}") from error

    def _stored(self, key: str, sha256: str, size: int) -> bool:
        """The same photo is there already (a different object is replaced: it is damaged)."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as error:
            if error_code(error) in MISSING:
                return False
            raise
        recorded = head.get("Metadata", {}).get(SHA256_KEY)
        return bool(head.get("ContentLength") == size and recorded == sha256)

    def holds(self, sha256: str, suffix: str) -> bool:
        """An object is there under the photo's address (copied in by another tool, it may
        carry no recorded hash: ``get`` checks its bytes)."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256, suffix))
        except Exception as error:
            if error_code(error) in MISSING:
                return False
            raise StoreUnavailable(f"{self.url(sha256, suffix)}: {error}") from error
        return True

    def check(self) -> None:
        """The bucket is there and these credentials may use it; else ``StoreUnavailable``
        saying which, and what to do."""
        where = f"s3://{self.bucket}"
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as error:
            code = error_code(error)
            if code in {"404", "NoSuchBucket", "NotFound"}:
                why = f"the bucket {where} does not exist: create it, or correct --photos"
            elif code in DENIED:
                # HeadBucket needs s3:ListBucket, which a policy granting only the objects'
                # s3:GetObject and s3:PutObject lacks: valid credentials are refused alike
                why = (
                    f"the bucket {where} refused these credentials ({code}): check "
                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and that "
                    "the bucket's policy grants them s3:ListBucket on the bucket as well as "
                    "s3:GetObject and s3:PutObject on its objects (without s3:ListBucket a "
                    "lost photo is answered 403, refused, not 404, missing)"
                )
            else:
                why = f"the bucket {where} cannot be reached: {error}"
            raise StoreUnavailable(why) from error

    def probe(self, holds_photos: bool) -> StoreProbe:
        """The bucket's ``check`` (one HEAD): whether photos are there or not, a bucket that
        cannot be used is unavailable."""
        del holds_photos  # a bucket is made before the service starts, never with a photo
        try:
            self.check()
        except OSError as error:
            return StoreProbe("unavailable", "unreachable", str(error))
        return StoreProbe("ok")

    def get(self, sha256: str, suffix: str) -> bytes:
        key = self.key(sha256, suffix)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            data: bytes = response["Body"].read()
        except Exception as error:
            if error_code(error) in MISSING:
                raise FileNotFoundError(f"no photo {self.url(sha256, suffix)}") from None
            # refused, unreachable, too slow, the bucket missing: the store's trouble, not
            # the photo's (a worker takes the photo again later rather than fail it)
            raise StoreUnavailable(f"{self.url(sha256, suffix)}: {error}") from error
        recorded = response.get("Metadata", {}).get(SHA256_KEY)
        if recorded is not None and recorded != sha256:
            raise PhotoCorrupted(f"{self.url(sha256, suffix)} records SHA-256 {recorded}")
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise PhotoCorrupted(f"{self.url(sha256, suffix)} holds bytes with SHA-256 {actual}")
        return data
