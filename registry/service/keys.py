"""Ed25519 signing keys: your own under ``{home}/keys/``, the ones you trust under ``{home}/keys/trusted/`` and
in ``REGISTRY_TRUSTED_KEYS``.

A public key is written ``ed25519:<base64 of the 32 raw bytes>``; its key id is the first 16 hex digits of the
sha256 of those bytes. Private keys are PKCS#8 PEM files readable by their owner only. ``cryptography`` is
imported only when a key is made, loaded or used (the ``signing`` extra).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.errors import InvalidInput, NotFound, require
from registry.settings import Settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PREFIX = "ed25519:"


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    raw: bytes
    name: str = ""
    origin: str = ""  # "own", "trusted" (keys/trusted/) or "config" (REGISTRY_TRUSTED_KEYS)

    @property
    def text(self) -> str:
        return PREFIX + base64.b64encode(self.raw).decode()

    def verify(self, signature: bytes, data: bytes) -> bool:
        ed = _ed25519()
        try:
            ed.Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
        except Exception:  # cryptography's InvalidSignature (or a malformed signature)
            return False
        return True

    def as_json(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "public_key": self.text, "name": self.name, "origin": self.origin}


def key_id_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def parse_public(text: str, *, name: str = "", origin: str = "") -> PublicKey:
    """``ed25519:<base64>`` (optionally followed by a name) -> PublicKey; anything else is a clear error."""
    head, _, rest = text.strip().partition(" ")
    try:
        if not head.startswith(PREFIX):
            raise ValueError
        raw = base64.b64decode(head.removeprefix(PREFIX), validate=True)
        if len(raw) != 32:
            raise ValueError
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput(
            f"'{text[:60]}' is not an Ed25519 public key.",
            hint="Give it as printed by `registry key list`: ed25519:<base64>, or a .pub file.",
        ) from exc
    return PublicKey(key_id_of(raw), raw, name or rest.strip(), origin)


def keys_dir(settings: Settings) -> Path:
    return settings.home / "keys"


def create_key(settings: Settings, name: str = "") -> PublicKey:
    """A new key pair in ``{home}/keys/``: ``<key id>.key`` (private, 0600) and ``<key id>.pub``."""
    ed = _ed25519()
    ser = require("cryptography.hazmat.primitives.serialization", "signing")
    private = ed.Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    key = PublicKey(key_id_of(raw), raw, name, "own")
    directory = keys_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    pem = private.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    path = directory / f"{key.key_id}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    (directory / f"{key.key_id}.pub").write_text(f"{key.text} {name}".strip() + "\n")
    return key


def own_keys(settings: Settings) -> list[PublicKey]:
    directory = keys_dir(settings)
    if not directory.is_dir():
        return []
    out = []
    for pub in sorted(directory.glob("*.pub")):
        if (directory / f"{pub.stem}.key").is_file():
            out.append(parse_public(pub.read_text(), origin="own"))
    return out


def trust_key(settings: Settings, value: str, name: str = "") -> PublicKey:
    """Trust a public key (``ed25519:...`` or a .pub file): written to ``{home}/keys/trusted/``."""
    key = parse_public(_read_key_text(value), name=name, origin="trusted")
    directory = keys_dir(settings) / "trusted"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{key.key_id}.pub").write_text(f"{key.text} {key.name}".strip() + "\n")
    return key


def trusted_keys(settings: Settings) -> dict[str, PublicKey]:
    """Key id -> key, for every key whose signatures count: your own, keys/trusted/, REGISTRY_TRUSTED_KEYS."""
    found = {k.key_id: k for k in own_keys(settings)}
    trusted_dir = keys_dir(settings) / "trusted"
    if trusted_dir.is_dir():
        for pub in sorted(trusted_dir.glob("*.pub")):
            key = parse_public(pub.read_text(), origin="trusted")
            found.setdefault(key.key_id, key)
    for item in (settings.trusted_keys or "").split(","):
        if item.strip():
            key = parse_public(_read_key_text(item.strip()), origin="config")
            found.setdefault(key.key_id, key)
    return found


def load_private(settings: Settings, key_id: str | None = None) -> tuple[PublicKey, Ed25519PrivateKey]:
    """Your key ``key_id`` (a prefix is enough), or ``REGISTRY_SIGNING_KEY``, or your only key."""
    ser = require("cryptography.hazmat.primitives.serialization", "signing")
    wanted = key_id or settings.signing_key
    if wanted and Path(wanted).suffix == ".key" and Path(wanted).is_file():
        path = Path(wanted)
    else:
        mine = own_keys(settings)
        matches = [k for k in mine if not wanted or k.key_id.startswith(wanted.strip().lower())]
        if len(matches) != 1:
            listed = ", ".join(k.key_id for k in mine) or "none"
            raise NotFound(
                f"No single signing key matches '{wanted}'." if wanted else "Say which key signs (--key).",
                hint=f"Your keys: {listed}. Create one with `registry key create`.",
            )
        path = keys_dir(settings) / f"{matches[0].key_id}.key"
    private = ser.load_pem_private_key(path.read_bytes(), password=None)
    raw = private.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    return PublicKey(key_id_of(raw), raw, origin="own"), private


def _read_key_text(value: str) -> str:
    path = Path(value).expanduser()
    if not value.startswith(PREFIX) and path.is_file():
        return path.read_text()
    return value


def _ed25519() -> Any:
    return require("cryptography.hazmat.primitives.asymmetric.ed25519", "signing")
