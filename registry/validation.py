"""One validation layer for the API, the SDK and the CLI: patterns, lengths and numeric bounds.

Every limit here matches the column that stores the value (so PostgreSQL and SQLite refuse nothing that passed),
every pattern is matched in full (``fullmatch``: ``"name\\n"`` is not a name), and every failure is an
``InvalidInput`` (a 422 over HTTP, one line in the CLI). The API's OpenAPI schema declares the same patterns
and limits (``registry.api.params``).

Semantic versions: each of MAJOR, MINOR and PATCH has at most nine digits (``MAX_VERSION_PART``, 999,999,999: under
2**31 - 1, the largest value of the INTEGER columns that order versions on every backend, and a bound a regular
expression in the OpenAPI schema can state exactly), and the whole version at most 64 characters.
"""

from __future__ import annotations

import re
from typing import Final

from registry.errors import InvalidInput

MAX_SLUG: Final = 64  # models.slug
MAX_ALIAS: Final = 40  # aliases.name
MAX_VERSION: Final = 64  # versions.version
MAX_VERSION_PART: Final = 999_999_999  # versions.major/minor/patch (INTEGER): nine digits at most
MAX_PATH: Final = 400  # build_files.path
MAX_COMPONENT: Final = 64  # build_files.component
MAX_REASON: Final = 500
MAX_NAME: Final = 200  # models.name
MAX_LABEL: Final = 64  # models.task/domain/license, evaluations.metric
MAX_SOURCE: Final = 300  # benchmarks.source, evaluations.source
MAX_URL: Final = 500  # models.source_url
MAX_DEVICE: Final = 120  # device_names.key
MAX_TOKEN_NAME: Final = 100  # api_tokens.name

# JSON-Schema (ECMA-262) patterns, published in the OpenAPI document; Python matches them with ``fullmatch``.
SLUG_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ALIAS_PATTERN: Final = r"^[a-z][a-z0-9._-]{0,39}$"
SHA256_PATTERN: Final = r"^[0-9a-f]{64}$"
_RUNTIME_VERSION = r"[A-Za-z_-]{2,20}=v?[0-9]{1,4}(?:\.[0-9]{1,6}){0,3}"
# One or more RUNTIME=VERSION, comma-separated (resolve's runtime_version; registry.compat checks the names).
RUNTIME_VERSIONS_PATTERN: Final = rf"^{_RUNTIME_VERSION}(?:,{_RUNTIME_VERSION})*$"
_IDENT = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
SEMVER_PATTERN: Final = (
    r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})"
    rf"(?:-({_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)

_SLUG_RE: Final = re.compile(SLUG_PATTERN[1:-1])
_ALIAS_RE: Final = re.compile(ALIAS_PATTERN[1:-1])
_SHA256_RE: Final = re.compile(SHA256_PATTERN[1:-1])
SEMVER_RE: Final = re.compile(SEMVER_PATTERN[1:-1])


def shown(value: str, limit: int = 80) -> str:
    """``value`` cut for an error message (a 10,000-character input is not echoed back whole)."""
    return value if len(value) <= limit else value[:limit] + f"... ({len(value)} characters)"


def check_slug(value: str, what: str = "model name") -> str:
    if not _SLUG_RE.fullmatch(value):
        raise InvalidInput(
            f"Invalid {what} {shown(value)!r}.",
            hint="Use lowercase letters, digits, '.', '_' or '-', starting with a letter or digit "
            f"(<= {MAX_SLUG} chars).",
        )
    return value


def check_alias(value: str) -> str:
    if value == "latest":
        raise InvalidInput("'latest' is implicit: it always means the highest active release.")
    if not _ALIAS_RE.fullmatch(value):
        raise InvalidInput(
            f"Invalid alias {shown(value)!r}.",
            hint=f"Use lowercase letters, digits, '.', '_' or '-', starting with a letter (<= {MAX_ALIAS} chars).",
        )
    return value


def check_sha256(value: str) -> str:
    if not _SHA256_RE.fullmatch(value):
        raise InvalidInput(f"{shown(value)!r} is not a sha256 digest.", hint="Give 64 lowercase hex characters.")
    return value


def semver_parts(text: str) -> tuple[int, int, int, str]:
    """(major, minor, patch, prerelease) of a semantic version within the bounds above, or InvalidInput."""
    hint = f"Use MAJOR.MINOR.PATCH, e.g. 1.2.0 (each at most {MAX_VERSION_PART}, <= {MAX_VERSION} characters)."
    value = text.strip()
    m = SEMVER_RE.fullmatch(value) if len(value) <= MAX_VERSION else None
    if not m:
        raise InvalidInput(f"{shown(text)!r} is not a semantic version.", hint=hint)
    parts = int(m[1]), int(m[2]), int(m[3])
    if max(parts) > MAX_VERSION_PART:
        raise InvalidInput(f"{shown(text)!r} has a component above {MAX_VERSION_PART}.", hint=hint)
    return parts[0], parts[1], parts[2], m[4] or ""
