"""The wire side of remote pulls, on the standard library only: a small JSON GET (the one revalidation request
of a warm pull; a bare socket over http) and a resumable, verifying blob download (``http.client``).

A download writes ``blobs/.incomplete/{sha256}.part``, resuming a partial file with ``Range``, hashes every
byte on the way (the kept prefix too), and renames into ``blobs/{sha256}`` only when the size and sha256
match. A redirect to another origin (an S3 presigned URL) is followed without the ``Authorization`` header.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from registry.errors import IntegrityFailure, RegistryError, error_class_for

# progress(bytes_just_received): called from the downloading thread.
Progress = Callable[[int], None]
CHUNK = 1024 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


class _CutShort(Exception):
    """The connection ended before the response body was complete."""


def error_from_body(status: int, body: bytes, url: str) -> RegistryError:
    """The ``RegistryError`` subclass the server raised, rebuilt from its JSON error body."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "error" not in data:
        text = body.decode(errors="replace").strip()[:300]
        return RegistryError(f"HTTP {status} from {url}: {text or 'no body'}")
    cls = error_class_for(str(data["error"]))
    detail = data.get("detail")
    if not isinstance(detail, str):
        detail = str(detail)
    hint = data.get("hint")
    if cls is RegistryError:  # a code this client does not know (a newer server): keep it for the caller
        return RegistryError(detail, hint=hint, extra={"code": data["error"], "status": status})
    extra = data.get("extra")
    return cls(detail, hint=hint, extra=extra if isinstance(extra, dict) else None)


def unreachable(base_url: str, exc: BaseException) -> RegistryError:
    return RegistryError(
        f"Cannot reach the registry at {base_url}: {exc}",
        hint="Check REGISTRY_URL and that `registry serve` is running there, or set REGISTRY_OFFLINE=1 "
        "to use builds already in the cache.",
    )


def get_json(base_url: str, path: str, params: dict[str, Any], *, token: str | None, timeout: float) -> dict[str, Any]:
    """One GET of a small JSON answer. Over plain http a bare socket (the warm pull's one request must not
    import http.client, ssl and email: ~25 ms of CPU); over https, http.client."""
    parts = urlsplit(base_url)
    query = urlencode({k: v for k, v in params.items() if v is not None})
    target = (parts.path.rstrip("/") + path) + (f"?{query}" if query else "")
    headers = {"User-Agent": "edge-model-registry", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        if parts.scheme == "http":
            status, body = _socket_get(parts.hostname or "", parts.port or 80, parts.netloc, target, headers, timeout)
        else:
            status, body = _https_get(parts.netloc, target, headers, timeout)
    except (OSError, _CutShort) as exc:
        raise unreachable(base_url, exc) from exc
    if 200 <= status < 300:
        data: dict[str, Any] = json.loads(body)
        return data
    raise error_from_body(status, body, base_url + target)


def _https_get(netloc: str, target: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPSConnection(netloc, timeout=timeout)
    try:
        conn.request("GET", target, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except http.client.HTTPException as exc:
        raise _CutShort(str(exc)) from exc
    finally:
        conn.close()


def _socket_get(
    host: str, port: int, netloc: str, target: str, headers: dict[str, str], timeout: float
) -> tuple[int, bytes]:
    """HTTP/1.1 GET with ``Connection: close``; the body by Content-Length or chunked encoding."""
    import socket

    lines = [f"GET {target} HTTP/1.1", f"Host: {netloc}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    head, sep, body = b"".join(chunks).partition(b"\r\n\r\n")
    if not sep:
        raise _CutShort("the connection closed before the response headers ended")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError) as exc:
        raise _CutShort(f"not an HTTP response: {status_line[:80]!r}") from exc
    if "chunked" in fields.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    elif "content-length" in fields and len(body) != int(fields["content-length"]):
        raise _CutShort(f"received {len(body)} of {fields['content-length']} bytes")
    return status, body


def _dechunk(data: bytes) -> bytes:
    out: list[bytes] = []
    pos = 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            raise _CutShort("truncated chunked body")
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


class _Digest:
    """A sha256 that can start over (a server that ignores Range sends the whole blob again)."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()

    def update(self, data: bytes | memoryview) -> None:
        self.h.update(data)

    def reset(self) -> None:
        self.h = hashlib.sha256()

    def hexdigest(self) -> str:
        return self.h.hexdigest()


@dataclass
class DownloadStats:
    """What one blob download did on the wire (tests and the benchmark read this)."""

    resumed_from: int = 0  # bytes of a partial file that were kept and not fetched again
    transferred: int = 0  # bytes received over the network
    statuses: list[int] = field(default_factory=list)  # the HTTP status of every response, redirects included
    redirected_to: str | None = None
    auth_sent_to_redirect: bool = False


def download_blob(
    url: str,
    sha256: str,
    size: int,
    dest: Path,
    *,
    api_url: str | None,
    token: str | None,
    progress: Progress | None = None,
    attempts: int = 3,
    timeout: float = 30.0,
) -> DownloadStats:
    """Fetch a blob into ``dest`` (the cache's final path) verified; resume a partial file with ``Range``.

    The caller holds the blob's file lock. On a cut connection the partial file is kept (and retried up to
    ``attempts`` times while the server is reachable), so the next pull continues where this one stopped.
    Uses ``http.client`` with ``readinto`` into one reused buffer: per megabyte a handful of Python
    operations, so a Python client keeps up with curl while the server shares the CPU.
    """
    part = dest.parent / ".incomplete" / f"{sha256}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    stats = DownloadStats()
    digest = _Digest()
    have = _kept_prefix(part, size, digest)
    stats.resumed_from = have
    if progress and have:
        progress(have)
    failures = 0
    force_range = False
    while have < size:
        # A range is asked for when resuming, and after a full response was cut short: the server holds back
        # the end of a blob it finds corrupted, and a range (verified here instead) lets us say so clearly.
        headers = {"Range": f"bytes={have}-"} if have or force_range else {}
        try:
            have = _fetch_into(url, part, have, size, headers, digest, stats, api_url, token, progress, timeout)
        except (OSError, _CutShort) as exc:
            have = part.stat().st_size if part.exists() else 0
            failures += 1
            refused = isinstance(exc, ConnectionRefusedError | TimeoutError) or getattr(exc, "connect", False)
            if refused or failures >= attempts:
                raise RegistryError(
                    f"Download of blob {sha256[:12]} was interrupted after {have} of {size} bytes: {exc}",
                    hint="Run the same pull again: it resumes from the partial file (kept in the cache).",
                ) from exc
            force_range = True
            time.sleep(0.1 * failures)
    actual = digest.hexdigest()
    got = part.stat().st_size
    if (got != size or actual != sha256) and stats.resumed_from and attempts > 0:
        # The kept partial file may be what was damaged (between the two halves of a resumed download):
        # fetch the whole blob once more before blaming the registry's copy.
        part.unlink(missing_ok=True)
        again = download_blob(
            url, sha256, size, dest, api_url=api_url, token=token, progress=progress, attempts=0, timeout=timeout
        )
        again.resumed_from = stats.resumed_from
        again.statuses = stats.statuses + again.statuses
        return again
    if got != size or actual != sha256:
        part.unlink(missing_ok=True)
        raise IntegrityFailure(
            f"Blob {sha256} arrived corrupted ({got} bytes hashing to {actual}, expected {size} bytes); "
            "it was discarded and not placed in the cache.",
            hint="The registry's copy may be damaged: ask its operator to re-publish the version's files.",
        )
    os.replace(part, dest)
    return stats


def _kept_prefix(part: Path, size: int, digest: _Digest) -> int:
    """Hash the partial file already on disk (resume); drop it when it cannot be a prefix."""
    try:
        have = part.stat().st_size
    except FileNotFoundError:
        return 0
    if have > size:
        part.unlink()
        return 0
    with part.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return have


class _SocketResponse:
    """A GET over a bare socket for the body's sake: ``recv_into`` with ``MSG_WAITALL`` fills a whole
    megabyte per system call, where ``http.client`` loops in Python over whatever each ``recv`` returns
    (about three times the client CPU on a busy machine). Only for plain http with a Content-Length."""

    def __init__(self, sock: Any, status: int, fields: dict[str, str], rest: bytes) -> None:
        self.sock, self.status, self.fields, self._rest = sock, status, fields, rest
        cl = fields.get("content-length")
        self.length: int | None = int(cl) if cl is not None and cl.isdigit() else None

    def getheader(self, name: str) -> str | None:
        return self.fields.get(name.lower())

    def readinto(self, view: memoryview) -> int:
        want = len(view) if self.length is None else min(len(view), self.length)
        if want <= 0:
            return 0
        if self._rest:
            n = min(want, len(self._rest))
            view[:n] = self._rest[:n]
            self._rest = self._rest[n:]
        else:
            import socket

            n = self.sock.recv_into(view, want, socket.MSG_WAITALL)
        if self.length is not None:
            self.length -= n
        return n

    def read(self) -> bytes:
        out = bytearray()
        buf = memoryview(bytearray(65536))
        while n := self.readinto(buf):
            out += buf[:n]
        return bytes(out)

    def close(self) -> None:
        self.sock.close()


def _open_socket(url: str, headers: dict[str, str], timeout: float) -> _SocketResponse | None:
    """The response over a bare socket, or None when it is not a plain Content-Length body."""
    import socket
    import struct

    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=timeout)
    except OSError as exc:
        exc.connect = True  # type: ignore[attr-defined]
        raise
    try:
        lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in {"User-Agent": "edge-model-registry", **headers}.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            if not more:
                raise _CutShort("the connection closed before the response headers ended")
            data += more
            if len(data) > 1 << 20:
                raise _CutShort("response headers over 1 MB")
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError) as exc:
            raise _CutShort(f"not an HTTP response: {status_line[:80]!r}") from exc
        if "content-length" not in fields and status not in _REDIRECTS:
            sock.close()
            return None
        # Blocking reads with a receive timeout, so MSG_WAITALL can wait for a full buffer.
        sock.settimeout(None)
        sec = int(timeout)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", sec, int((timeout - sec) * 1e6)))
        return _SocketResponse(sock, status, fields, rest)
    except BaseException:
        sock.close()
        raise


def _open(url: str, headers: dict[str, str], timeout: float) -> tuple[Any, Any]:
    if url.startswith("http://"):
        response = _open_socket(url, headers, timeout)
        if response is not None:
            return response, response
    import http.client

    parts = urlsplit(url)
    conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(parts.netloc, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.connect()
    except OSError as exc:
        conn.close()
        exc.connect = True  # type: ignore[attr-defined]
        raise
    try:
        conn.request("GET", target, headers={"User-Agent": "edge-model-registry", **headers})
        return conn, conn.getresponse()
    except http.client.HTTPException as exc:
        conn.close()
        raise _CutShort(str(exc)) from exc
    except BaseException:
        conn.close()
        raise


def _fetch_into(
    url: str,
    part: Path,
    have: int,
    size: int,
    headers: dict[str, str],
    digest: _Digest,
    stats: DownloadStats,
    api_url: str | None,
    token: str | None,
    progress: Progress | None,
    timeout: float,
) -> int:
    for _ in range(5):
        send = dict(headers)
        auth = bool(token) and (api_url is None or same_origin(url, api_url))
        if auth:
            send["Authorization"] = f"Bearer {token}"
        conn, response = _open(url, send, timeout)
        try:
            stats.statuses.append(response.status)
            if response.status in _REDIRECTS:
                url = urljoin(url, response.getheader("location") or "")
                stats.redirected_to = url
                continue
            if stats.redirected_to is not None:
                stats.auth_sent_to_redirect = auth
            if response.status == 416 or (response.status == 200 and have):
                # The server ignored or refused our range: start this blob over.
                part.unlink(missing_ok=True)
                digest.reset()
                have = 0
                if response.status == 416:
                    return have
            elif response.status == 206:
                start = _content_range_start(response.getheader("content-range") or "")
                if start != have:
                    raise RegistryError(
                        f"The server answered range {have}- with {start}-; refusing to splice.",
                        hint="Pull again: the partial file is kept and the download restarts from what is verified.",
                    )
            elif response.status != 200:
                raise error_from_body(response.status, response.read(), url)
            expected = response.length  # bytes this response promises (Content-Length)
            buf = bytearray(CHUNK)
            view = memoryview(buf)
            with part.open("ab" if have else "wb") as fh:
                while True:
                    n = response.readinto(view)
                    if not n:
                        break
                    chunk = view[:n]
                    fh.write(chunk)
                    digest.update(chunk)
                    have += n
                    stats.transferred += n
                    if progress:
                        progress(n)
                    if have > size:
                        break
            if response.length:  # http.client counts down what is still owed: the body was cut short
                raise _CutShort(f"connection closed with {response.length} of {expected} bytes outstanding")
            return have
        finally:
            conn.close()
    raise RegistryError(
        f"Too many redirects fetching {url}.",
        hint="Check REGISTRY_URL and any proxy in front of the registry: they redirect in a loop.",
    )


def _content_range_start(value: str) -> int | None:
    # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None
