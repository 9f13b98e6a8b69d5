"""Blobs in S3 (any S3 API: AWS, MinIO, SeaweedFS): ``{prefix}/sha256/ab/<digest>``.

Bytes are hashed while they stream to a local spool file, so a blob is written under its address only once
its size and digest are known and verified; large blobs go up as a multipart upload that is completed only
after that check and aborted otherwise. Presigned GET URLs let the API redirect downloads.

The stamp of a stored object is its ETag: the MD5 of its bytes (of its parts' MD5s for a multipart upload),
computed while the bytes are hashed and recorded in the object's metadata (``etag``). An object whose ETag
no longer matches that record is hashed again before it is trusted; storing the same bytes again replaces
a copy whose ETag differs from theirs. Damaged objects move under ``{prefix}/quarantine/``.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlparse

from registry.errors import BlobNotFound, IntegrityFailure, InvalidInput, StoreError, require
from registry.storage.base import (
    CHUNK_SIZE,
    SHA256_RE,
    BlobInfo,
    BlobState,
    check_sha256,
    verify_chunks,
    write_verified,
)

if TYPE_CHECKING:
    from registry.settings import Settings

MULTIPART_THRESHOLD = 64 * 1024 * 1024
PART_SIZE = 32 * 1024 * 1024


class S3Store:
    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_size: int = PART_SIZE,
        presign_client: Any = None,
    ):
        self.client = client
        # Signs download URLs for the host clients use (REGISTRY_S3_PUBLIC_ENDPOINT_URL), which SigV4 binds into
        # the signature; the server itself may reach the store under another name (http://minio:9000).
        self.presign_client = presign_client or client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size

    @classmethod
    def from_url(cls, url: str, settings: Settings | None = None, **kwargs: Any) -> S3Store:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise InvalidInput(f"'{url}' is not an S3 URL.", hint="Use s3://bucket/prefix.")
        boto3 = require("boto3", "s3")
        from botocore.config import Config

        from registry.settings import get_settings

        s = settings or get_settings()

        def client_for(endpoint: str | None) -> Any:
            return boto3.client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id=s.s3_access_key_id,
                aws_secret_access_key=s.s3_secret_access_key,
                region_name=s.s3_region,
                config=Config(
                    connect_timeout=5,
                    read_timeout=60,
                    retries={"max_attempts": 2, "mode": "standard"},
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                ),
            )

        client = client_for(s.s3_endpoint_url)
        if s.s3_public_endpoint_url and s.s3_public_endpoint_url != s.s3_endpoint_url:
            kwargs.setdefault("presign_client", client_for(s.s3_public_endpoint_url))
        return cls(client, parsed.netloc, parsed.path, **kwargs)

    def _key(self, sha256: str) -> str:
        check_sha256(sha256)
        rel = f"sha256/{sha256[:2]}/{sha256}"
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def _fail(self, exc: Exception, what: str) -> StoreError:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""
        hint = "Check REGISTRY_S3_ENDPOINT_URL and that the bucket exists."
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"):
            hint = "Check REGISTRY_S3_ACCESS_KEY_ID and REGISTRY_S3_SECRET_ACCESS_KEY."
        elif code == "NoSuchBucket":
            hint = f"Create the bucket '{self.bucket}' or fix REGISTRY_STORE_URL."
        return StoreError(f"S3 {what} failed on {self.url}: {code or type(exc).__name__}: {exc}".strip(), hint=hint)

    def _head(self, sha256: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
            return result
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._fail(exc, "HEAD") from exc
        except BotoCoreError as exc:
            raise self._fail(exc, "HEAD") from exc

    def put_file(self, path: Path, *, expected_sha256: str | None = None, expected_size: int | None = None) -> BlobInfo:
        with path.open("rb") as fh:
            return self.put_stream(fh, expected_sha256=expected_sha256, expected_size=expected_size)

    def put_stream(
        self, stream: BinaryIO, *, expected_sha256: str | None = None, expected_size: int | None = None
    ) -> BlobInfo:
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        with tempfile.TemporaryFile(prefix="registry-s3-") as spool:
            digest = hashlib.sha256()
            etag = _ETag(self.part_size)
            size = 0
            while chunk := stream.read(CHUNK_SIZE):
                digest.update(chunk)
                etag.update(chunk)
                spool.write(chunk)
                size += len(chunk)
                if expected_size is not None and size > expected_size:
                    raise IntegrityFailure(f"More than the declared {expected_size} bytes; nothing stored.")
            sha = digest.hexdigest()
            if expected_size is not None and size != expected_size:
                raise IntegrityFailure(f"Got {size} bytes, expected {expected_size}; nothing was stored.")
            if expected_sha256 is not None and sha != expected_sha256:
                raise IntegrityFailure(f"The bytes hash to {sha}, expected {expected_sha256}; nothing was stored.")
            multipart = size >= self.multipart_threshold
            expected_etag = etag.multipart() if multipart else etag.single()
            head = self._head(sha)
            if head is not None and int(head["ContentLength"]) == size and _etag(head) in etag.candidates():
                return BlobInfo(sha, size, created=False)
            spool.seek(0)
            meta = {"sha256": sha, "etag": expected_etag}
            if multipart:
                self._multipart(spool, sha, size, meta)
            else:
                self._put_single(spool, sha, meta)
            self._delete_key(self._quarantine_key(sha))
            return BlobInfo(sha, size, created=True)

    def _put_single(self, spool: BinaryIO, sha: str, meta: dict[str, str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(sha), Body=spool.read(), Metadata=meta)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, "PUT") from exc

    def _multipart(self, spool: BinaryIO, sha: str, size: int, meta: dict[str, str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        key = self._key(sha)
        try:
            upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, Metadata=meta)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, "multipart start") from exc
        upload_id = upload["UploadId"]
        try:
            parts = []
            number = 1
            while data := spool.read(self.part_size):
                r = self.client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
                )
                parts.append({"PartNumber": number, "ETag": r["ETag"]})
                number += 1
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException as exc:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except Exception:  # the original error matters more
                pass
            if isinstance(exc, (ClientError, BotoCoreError)):
                raise self._fail(exc, "multipart upload") from exc
            raise

    def exists(self, sha256: str) -> bool:
        return self._head(sha256) is not None

    def _quarantine_key(self, sha256: str) -> str:
        check_sha256(sha256)
        return f"{self.prefix}/quarantine/{sha256}" if self.prefix else f"quarantine/{sha256}"

    def check(self, sha256: str) -> BlobState:
        head = self._head(sha256)
        if head is None:
            return "quarantined" if self._head_key(self._quarantine_key(sha256)) is not None else "missing"
        if _etag(head) and _etag(head) == head.get("Metadata", {}).get("etag"):
            return "ok"
        if self.verify(sha256):
            return "ok"
        self.quarantine(sha256)
        return "damaged"

    def _head_key(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
            return result
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._fail(exc, "HEAD") from exc
        except BotoCoreError as exc:
            raise self._fail(exc, "HEAD") from exc

    def _delete_key(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, "DELETE") from exc

    def quarantine(self, sha256: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        key = self._key(sha256)
        try:
            self.client.copy_object(
                Bucket=self.bucket, Key=self._quarantine_key(sha256), CopySource={"Bucket": self.bucket, "Key": key}
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, "quarantine copy") from exc
        self._delete_key(key)

    def iter_blobs(self) -> Iterator[tuple[str, int, float]]:
        from botocore.exceptions import BotoCoreError, ClientError

        prefix = f"{self.prefix}/sha256/" if self.prefix else "sha256/"
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    name = obj["Key"].rsplit("/", 1)[-1]
                    if SHA256_RE.match(name):
                        yield name, int(obj["Size"]), obj["LastModified"].timestamp()
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, "LIST") from exc

    def delete(self, sha256: str) -> None:
        self._delete_key(self._key(sha256))

    def cleanup_temp(self, older_than_seconds: float = 3600, *, dry_run: bool = False) -> tuple[int, int]:
        """Abort multipart uploads under this store's prefix started more than ``older_than_seconds`` ago
        (a killed writer never completes nor aborts its own); returns (uploads, bytes of their parts)."""
        from botocore.exceptions import BotoCoreError, ClientError

        cutoff = time.time() - older_than_seconds
        uploads = size = 0
        try:
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
            )
            for page in pages:
                for up in page.get("Uploads", []):
                    if up["Initiated"].timestamp() >= cutoff:
                        continue
                    parts = self.client.list_parts(Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"])
                    size += sum(int(p["Size"]) for p in parts.get("Parts", []))
                    if not dry_run:
                        self.client.abort_multipart_upload(Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"])
                    uploads += 1
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, "multipart cleanup") from exc
        return uploads, size

    def size(self, sha256: str) -> int:
        head = self._head(sha256)
        if head is None:
            raise BlobNotFound(f"Blob {sha256} is not in the store.")
        return int(head["ContentLength"])

    def _get(self, sha256: str, start: int = 0, end: int | None = None) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(sha256)}
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            return self.client.get_object(**kwargs)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise BlobNotFound(f"Blob {sha256} is not in the store.") from exc
            raise self._fail(exc, "GET") from exc
        except BotoCoreError as exc:
            raise self._fail(exc, "GET") from exc

    def open(self, sha256: str) -> AbstractContextManager[BinaryIO]:
        @contextmanager
        def opened() -> Iterator[BinaryIO]:
            body = self._get(sha256)
            try:
                yield body
            finally:
                body.close()

        return opened()

    def iter_range(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        if end is not None and end <= start:
            return
        body = self._get(sha256, start, end)
        try:
            yield from body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()

    def verify(self, sha256: str) -> bool:
        return verify_chunks(self.iter_range(sha256), sha256)

    def copy_to(self, sha256: str, dest: Path, *, verify: bool = True) -> None:
        write_verified(self.iter_range(sha256), sha256, dest, verify=verify, where=f" in {self.url}")

    def local_path(self, sha256: str) -> Path | None:
        return None

    def presigned_url(self, sha256: str, *, expires_seconds: int = 300) -> str | None:
        url: str = self.presign_client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(sha256)}, ExpiresIn=expires_seconds
        )
        return url

    def create_bucket(self) -> None:
        """Create the bucket if it does not exist (setup and tests)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.create_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise self._fail(exc, "create bucket") from exc
        except BotoCoreError as exc:
            raise self._fail(exc, "create bucket") from exc


def _etag(head: dict[str, Any]) -> str:
    return str(head.get("ETag", "")).strip('"')


class _ETag:
    """The ETags S3 gives the bytes: the MD5 of a single PUT, and of the parts' MD5s for a multipart upload."""

    def __init__(self, part_size: int) -> None:
        self.part_size = part_size
        self.whole = hashlib.md5(usedforsecurity=False)
        self.parts: list[bytes] = []
        self.part = hashlib.md5(usedforsecurity=False)
        self.in_part = 0

    def update(self, data: bytes) -> None:
        self.whole.update(data)
        view = memoryview(data)
        while view:
            take = min(len(view), self.part_size - self.in_part)
            self.part.update(view[:take])
            self.in_part += take
            view = view[take:]
            if self.in_part == self.part_size:
                self.parts.append(self.part.digest())
                self.part, self.in_part = hashlib.md5(usedforsecurity=False), 0

    def single(self) -> str:
        return self.whole.hexdigest()

    def multipart(self) -> str:
        parts = self.parts + ([self.part.digest()] if self.in_part or not self.parts else [])
        return f"{hashlib.md5(b''.join(parts), usedforsecurity=False).hexdigest()}-{len(parts)}"

    def candidates(self) -> tuple[str, str]:
        return self.single(), self.multipart()
