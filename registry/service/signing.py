"""Signed provenance: an in-toto statement per version inside a DSSE envelope, signed with Ed25519.

The statement's subjects are every file (``{precision}/{runtime}/{target}/{path}`` with its sha256); its
predicate holds the model, version, content digest, recipe hash, source, and per build its digest, files,
tool versions and every figure (benchmarks and evaluations) with its provenance. A changed file, figure or
statement therefore fails verification, and ``differences`` says exactly what changed.

Envelopes are stored per (version, key) in the ``signatures`` table. The statement is rebuilt from a
``ModelDetail`` alone, so a client can check a server's answer with its own trusted keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.entities import BuildInfo, ModelDetail
from registry.errors import InvalidInput, SignatureInvalid, SignatureMissing
from registry.models import Signature
from registry.service import lookup
from registry.service.catalog import show_model
from registry.service.digests import build_digest
from registry.service.keys import PublicKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://edge-model-registry.dev/provenance/v1"
_FIGURE_IDENTITY = ("kind", "device", "component", "provenance", "source", "dataset", "metric")


def statement_from_detail(detail: ModelDetail) -> dict[str, Any]:
    """The statement a version's signature covers, from the catalog's view of it."""
    v = detail.version
    if v is None:
        raise InvalidInput(f"{detail.model.slug} has no version to sign.")
    subjects = [
        {"name": _folder(b) + "/" + f.path, "digest": {"sha256": f.sha256}} for b in detail.builds for f in b.files
    ]
    tools: dict[str, Any] = dict(v.source.get("tools") or {})
    return {
        "_type": STATEMENT_TYPE,
        "subject": sorted(subjects, key=lambda s: s["name"]),
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "model": detail.model.slug,
            "version": v.version,
            "content_digest": f"sha256:{v.content_digest}",
            "recipe_hash": v.source.get("recipe_hash"),
            "source": v.source,
            "tool_versions": tools,
            "builds": sorted((_build(b) for b in detail.builds), key=lambda b: str(b["folder"])),
        },
    }


def _build(b: BuildInfo) -> dict[str, Any]:
    figures = [
        {
            "kind": "benchmark",
            "device": m.device,
            "component": m.component,
            "provenance": m.provenance,
            "source": m.source,
            "latency_ms": m.latency_ms,
            "latency_p90_ms": m.latency_p90_ms,
            "peak_memory_mb": m.peak_memory_mb,
            "error_pct": m.error_pct,
            "compute_units": m.compute_units,
            "details": m.details,
        }
        for m in b.benchmarks
    ] + [
        {
            "kind": e.kind,
            "device": e.device,
            "component": e.component,
            "provenance": e.provenance,
            "source": e.source,
            "dataset": e.dataset,
            "metric": e.metric,
            "value": e.value,
            "reference_value": e.reference_value,
            "sample_count": e.sample_count,
            "higher_is_better": e.higher_is_better,
            "details": e.details,
        }
        for e in b.evaluations
    ]
    return {
        "folder": _folder(b),
        "build_digest": "sha256:"
        + build_digest(b.precision, b.runtime, b.target, [(f.path, f.sha256, f.size) for f in b.files]),
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size, "component": f.component} for f in b.files],
        "tool_versions": b.details.get("tool_versions") or {},
        "figures": sorted(figures, key=canonical_text),
    }


def _folder(b: BuildInfo) -> str:
    return f"{b.precision}/{b.runtime}/{b.target}"


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_text(value: Any) -> str:
    return canonical(value).decode()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature is over."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def sign_statement(statement: dict[str, Any], key: PublicKey, private: Any) -> dict[str, Any]:
    payload = canonical(statement)
    sig = private.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": key.key_id, "sig": base64.b64encode(sig).decode()}],
    }


def payload_of(envelope: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(envelope["payload"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise SignatureInvalid("A signature envelope has no readable payload.") from exc


# ------------------------------------------------------------------------------------------ storage


def sign_version(session: Session, model: str, version: str, key: PublicKey, private: Any) -> dict[str, Any]:
    """Sign the version's current statement with ``key``; replaces that key's earlier signature."""
    detail = show_model(session, model, version)
    envelope = sign_statement(statement_from_detail(detail), key, private)
    store_envelope(session, detail, envelope)
    return envelope


def store_envelope(session: Session, detail: ModelDetail, envelope: dict[str, Any]) -> Signature:
    """Keep an envelope whose statement is the version's current one (anything else is refused)."""
    now = statement_from_detail(detail)
    signed = _decode(payload_of(envelope))
    problems, _ = compare(signed, now)
    if problems:
        raise SignatureInvalid(
            "The signed statement is not this version's: " + "; ".join(problems[:10]),
            hint="Sign the statement the registry has now (`registry sign`).",
        )
    key_ids = [s.get("keyid") for s in envelope.get("signatures") or [] if isinstance(s, dict)]
    if len(key_ids) != 1 or not key_ids[0]:
        raise InvalidInput("An envelope must carry exactly one signature with its keyid.")
    model_row = lookup.get_model(session, detail.model.slug)
    assert detail.version is not None
    version_row = lookup.get_version(session, model_row, detail.version.version)
    row = session.scalars(
        select(Signature).where(Signature.version_id == version_row.id, Signature.key_id == key_ids[0])
    ).one_or_none()
    if row is None:
        row = Signature(version_id=version_row.id, key_id=str(key_ids[0]))
        session.add(row)
    row.envelope = envelope
    row.statement_sha256 = hashlib.sha256(payload_of(envelope)).hexdigest()
    session.flush()
    return row


def envelopes_of(session: Session, model: str, version: str) -> list[dict[str, Any]]:
    model_row = lookup.get_model(session, model)
    version_row = lookup.get_version(session, model_row, version)
    rows = session.scalars(select(Signature).where(Signature.version_id == version_row.id).order_by(Signature.id))
    return [r.envelope for r in rows]


# ------------------------------------------------------------------------------------------ verification


@dataclass(frozen=True)
class Verified:
    model: str
    version: str
    signers: list[str]
    statement: dict[str, Any]
    untrusted: list[str] = field(default_factory=list)
    partial: bool = False  # the catalog holds a subset of the signed builds (a bundle or mirror of some)

    @property
    def subjects(self) -> dict[str, str]:
        return {s["name"]: s["digest"]["sha256"] for s in self.statement["subject"]}


def verify(detail: ModelDetail, envelopes: list[dict[str, Any]], trusted: dict[str, PublicKey]) -> Verified:
    """Check every envelope signed by a trusted key against the version as the catalog has it now.

    Raises SignatureMissing when no trusted key signed it, SignatureInvalid (naming what changed) when a
    signature does not match its statement or the statement no longer matches the version."""
    assert detail.version is not None
    ref = f"{detail.model.slug}@{detail.version.version}"
    now = statement_from_detail(detail)
    signers: list[str] = []
    untrusted: list[str] = []
    partial = False
    for envelope in envelopes:
        payload = payload_of(envelope)
        for sig in envelope.get("signatures") or []:
            key = trusted.get(str(sig.get("keyid")))
            if key is None:
                untrusted.append(str(sig.get("keyid")))
                continue
            if not key.verify(_b64(sig.get("sig")), pae(str(envelope.get("payloadType")), payload)):
                raise SignatureInvalid(
                    f"{ref}: the signature by key {key.key_id} does not match its statement: the signed statement "
                    "was changed after signing.",
                    hint="Do not trust this version; re-sign it from a trusted source.",
                )
            problems, subset = compare(_decode(payload), now)
            partial = partial or subset
            if problems:
                raise SignatureInvalid(
                    f"{ref} differs from what key {key.key_id} signed: " + "; ".join(problems[:10]),
                    hint="Something changed after signing. If the change is legitimate, sign again (`registry sign`).",
                )
            signers.append(key.key_id)
    if not signers:
        raise SignatureMissing(
            f"{ref} has no signature by a trusted key"
            + (f" (signed by untrusted key(s) {', '.join(sorted(set(untrusted)))})." if untrusted else "."),
            hint="Trust the publisher's key with `registry key trust ed25519:...`, or sign with `registry sign`.",
        )
    return Verified(
        detail.model.slug, detail.version.version, sorted(set(signers)), now, sorted(set(untrusted)), partial
    )


def compare(signed: dict[str, Any], now: dict[str, Any]) -> tuple[list[str], bool]:
    """(problems, subset): the differences that matter, and whether the catalog holds only some of the signed
    builds (whole builds absent, everything present identical: what a bundle or mirror of a subset gives)."""
    problems = differences(signed, now)
    gone_builds = [p for p in problems if p.startswith("build ") and p.endswith("was signed but is gone")]
    subset_only = all(p.endswith("was signed but is gone") or p.startswith("content_digest:") for p in problems)
    if gone_builds and subset_only and now.get("subject"):
        return [], True
    return problems, False


def differences(signed: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between a signed statement and the current one, named file by file and figure by figure."""
    out: list[str] = []
    was = {s["name"]: s["digest"].get("sha256") for s in signed.get("subject") or []}
    got = {s["name"]: s["digest"].get("sha256") for s in now.get("subject") or []}
    for name in sorted(set(was) | set(got)):
        if was.get(name) != got.get(name):
            if name not in got:
                out.append(f"file {name} was signed but is gone")
            elif name not in was:
                out.append(f"file {name} was not signed")
            else:
                out.append(f"file {name}: signed sha256 {was[name][:12]}, now {got[name][:12]}")
    p_was, p_now = signed.get("predicate") or {}, now.get("predicate") or {}
    for key in sorted(set(p_was) | set(p_now)):
        if key != "builds" and canonical(p_was.get(key)) != canonical(p_now.get(key)):
            out.append(
                f"{key}: signed {canonical_text(p_was.get(key))[:80]}, now {canonical_text(p_now.get(key))[:80]}"
            )
    builds_was = {b["folder"]: b for b in p_was.get("builds") or []}
    builds_now = {b["folder"]: b for b in p_now.get("builds") or []}
    for folder in sorted(set(builds_was) | set(builds_now)):
        out.extend(_build_differences(folder, builds_was.get(folder), builds_now.get(folder)))
    for key in ("_type", "predicateType"):
        if signed.get(key) != now.get(key):
            out.append(f"{key}: signed {signed.get(key)}, now {now.get(key)}")
    return out


def _build_differences(folder: str, was: dict[str, Any] | None, now: dict[str, Any] | None) -> list[str]:
    if was is None or now is None:
        return [f"build {folder} " + ("was not signed" if was is None else "was signed but is gone")]
    out = [
        f"build {folder} {key} changed"
        for key in ("build_digest", "files", "tool_versions")
        if canonical(was.get(key)) != canonical(now.get(key))
    ]
    figs_was, figs_now = _by_identity(was.get("figures") or []), _by_identity(now.get("figures") or [])
    for ident in sorted(set(figs_was) | set(figs_now)):
        a, b = figs_was.get(ident), figs_now.get(ident)
        label = f"figure {ident} of build {folder}"
        if a is None:
            out.append(f"{label} was not signed")
        elif b is None:
            out.append(f"{label} was signed but is gone")
        else:
            for key in sorted(set(a) | set(b)):
                if canonical(a.get(key)) != canonical(b.get(key)):
                    out.append(f"{label}: {key} signed {a.get(key)}, now {b.get(key)}")
    return out


def _by_identity(figures: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Figures by what they measure (kind, device, provenance, source, metric...); repeats get #2, #3..."""
    out: dict[str, dict[str, Any]] = {}
    for f in figures:
        parts = [str(f.get(k)) for k in _FIGURE_IDENTITY if f.get(k) is not None]
        base = "(" + ", ".join(parts) + ")"
        ident, n = base, 1
        while ident in out:
            n += 1
            ident = f"{base}#{n}"
        out[ident] = f
    return out


def _decode(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise SignatureInvalid("A signed statement is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise SignatureInvalid("A signed statement is not a JSON object.")
    return data


def _b64(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except ValueError:
        return b""
