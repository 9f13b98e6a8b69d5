"""Blob uploads for remote publish, on the standard library: one ``PUT /v1/blobs/{sha256}`` per blob, streamed
from the file (``sendfile`` over plain http: the bytes never pass through Python), never read into memory.

The server keeps a blob only when its size and sha256 match, so an upload cut short leaves nothing there: it is
restarted from the first byte (up to ``attempts`` times), and a publish run again skips every blob the server
already has.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from registry.errors import RegistryError

SLICE = 8 * 1024 * 1024  # bytes per sendfile call (the progress callback's granularity)


def upload_blob(
    base_url: str,
    sha256: str,
    size: int,
    path: Path,
    *,
    token: str | None,
    timeout: float = 60.0,
    progress: Any = None,
    attempts: int = 3,
) -> dict[str, Any]:
    """PUT one blob; the server's JSON answer (``sha256``, ``size``, ``created``)."""
    import http.client

    from registry.client.remote import error_from_body, unreachable

    parts = urlsplit(base_url)
    target = parts.path.rstrip("/") + f"/v1/blobs/{sha256}"
    headers = {
        "Content-Length": str(size),
        "Content-Type": "application/octet-stream",
        "User-Agent": "edge-model-registry",
        "Accept": "application/json",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    for attempt in range(1, attempts + 1):
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = cls(parts.netloc, timeout=timeout, blocksize=1 << 20)
        try:
            try:
                conn.connect()
            except OSError as exc:
                raise unreachable(base_url, exc) from exc
            try:
                conn.putrequest("PUT", target, skip_accept_encoding=True)
                for k, v in headers.items():
                    conn.putheader(k, v)
                conn.endheaders()
                _send_file(conn, path, size, progress, plain=parts.scheme == "http")
            except OSError:
                pass  # the server may have answered early (401, 413): read its answer below
            response = conn.getresponse()
            body = response.read()
            if 200 <= response.status < 300:
                answer: dict[str, Any] = json.loads(body)
                return answer
            raise error_from_body(response.status, body, base_url + target)
        except (OSError, http.client.HTTPException) as exc:
            if attempt == attempts:
                raise RegistryError(
                    f"Upload of {path.name} (blob {sha256[:12]}, {size} bytes) to {base_url} failed "
                    f"{attempts} times: {exc}",
                    hint="Nothing was published. Run the publish again: blobs already on the server are skipped.",
                ) from exc
            time.sleep(0.2 * attempt)
        finally:
            conn.close()
    raise AssertionError("unreachable")


def _send_file(conn: Any, path: Path, size: int, progress: Any, *, plain: bool) -> None:
    with path.open("rb") as fh:
        sent = 0
        while sent < size:
            if plain:
                n = conn.sock.sendfile(fh, sent, min(SLICE, size - sent))
            else:
                chunk = fh.read(min(1 << 20, size - sent))
                conn.send(chunk)
                n = len(chunk)
            if n == 0:
                raise OSError(f"{path} shrank while it was uploaded ({sent} of {size} bytes)")
            sent += n
            if progress:
                progress(n)
