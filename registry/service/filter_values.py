"""The values a catalog filter accepts: an unknown one is an error listing the allowed values, never "no match".

Domains are the project's four (plus any a published manifest used); tasks are those of the catalog's models.
Precisions and runtimes are checked by ``registry.vocab`` (with their input aliases)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.errors import InvalidInput
from registry.models import Model
from registry.vocab import normalize_precision, normalize_runtime

DOMAINS: Final = ("computer-vision", "generative-ai", "audio", "nlp")


def check_domain(session: Session, value: str) -> str:
    known = sorted(set(DOMAINS) | set(session.scalars(select(func.lower(Model.domain)).distinct())))
    return _one_of("domain", value, known)


def check_task(session: Session, value: str) -> str:
    known = sorted(set(session.scalars(select(func.lower(Model.task)).distinct())))
    return _one_of("task", value, known)


def check_filter_values(
    session: Session,
    *,
    task: str | None = None,
    domain: str | None = None,
    precision: str | None = None,
    runtime: str | None = None,
) -> None:
    """Raise ``InvalidInput`` (HTTP 400, CLI exit 2) for the first value no model could ever match."""
    if domain:
        check_domain(session, domain)
    if task:
        check_task(session, task)
    if precision:
        normalize_precision(precision)
    if runtime:
        normalize_runtime(runtime)


def _one_of(what: str, value: str, known: list[str]) -> str:
    key = value.strip().lower()
    if key in known:
        return key
    allowed = ", ".join(known) if known else f"none yet (no model in the catalog has a {what})"
    raise InvalidInput(f"Unknown {what} '{value}'.", hint=f"Use one of: {allowed}.")
