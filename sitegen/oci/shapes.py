"""Secrets recognised by their shape (``site.secret_shapes``): each a linear-time RE2
program over text's UTF-8 bytes read as Latin-1 (``masking.py`` explains why), whose
first group stays visible, second is masked, and third, when present, stays too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2

MASK = "••••••"  # what a secret is replaced with, everywhere
MASK_BYTES = MASK.encode()


def _latin1() -> Any:
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    options.log_errors = False
    return options


def compile_latin1(pattern: bytes) -> Any:
    return re2.compile(pattern, _latin1())


@dataclass(frozen=True, slots=True)
class Shape:
    """A recognisable kind of secret. ``pattern``'s group 1 stays visible (``ghp_``),
    group 2 is masked, and group 3, when the pattern has one, stays visible after it."""

    name: str
    description: str
    triggers: tuple[str, ...]  # literal text every match contains (a cheap pre-check)
    pattern: Any  # a compiled RE2 program over Latin-1 bytes


def _shape(name: str, description: str, triggers: Sequence[str], pattern: bytes) -> Shape:
    return Shape(name, description, tuple(triggers), compile_latin1(pattern))


# Unbounded repeats rather than large counts: RE2 copies a counted repeat into the
# program, and its time grows with the program.
SHAPES: tuple[Shape, ...] = (
    _shape(
        "url-password",
        "the password in scheme://user:password@host",
        ["://"],
        rb"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:)([^\s/@]+)(@)",
    ),
    _shape(
        "private-key",
        "PEM and PGP private key blocks",
        ["PRIVATE KEY"],
        rb"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)((?s:.+?))(-----END|\z)",
    ),
    _shape(
        "authorization-header",
        "credentials in an Authorization header (curl -H 'Authorization: Bearer ...')",
        ["uthorization", "UTHORIZATION"],
        rb"((?i:\b(?:proxy-)?authorization)[\"']?\s*:\s*(?i:basic|bearer|token|digest)\s+)"
        rb"([A-Za-z0-9._~+/=-]{6,})",
    ),
    _shape(
        "jwt",
        "JSON Web Tokens (eyJ....eyJ....)",
        ["eyJ"],
        rb"()(\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)",
    ),
    _shape(
        "aws-access-key",
        "AWS access key IDs (AKIA..., ASIA...)",
        ["AKIA", "ASIA", "ABIA", "ACCA"],
        rb"(\b(?:AKIA|ASIA|ABIA|ACCA))([A-Z0-9]{16})\b",
    ),
    _shape(
        "github-token",
        "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
        ["gh", "github_pat_"],
        rb"(\b(?:gh[pousr]_|github_pat_))([A-Za-z0-9_]{22,})\b",
    ),
    _shape(
        "gitlab-token",
        "GitLab tokens (glpat-, gldt-, glrt-, glptt-, ...)",
        ["gl"],
        rb"(\b(?:glpat|gldt|glrt|glptt|glft|glimt|glcbt|glsoat|glffct|glagent|gloas)-)"
        rb"([A-Za-z0-9_-]{20,})",
    ),
    _shape(
        "slack-token",
        "Slack tokens (xoxb-, xoxp-, ...) and incoming webhook URLs",
        ["xox", "hooks.slack.com"],
        rb"(\bxox[abposr]-|hooks\.slack\.com/(?:services|workflows|triggers)/)"
        rb"([A-Za-z0-9/_-]{10,})",
    ),
    _shape(
        "google-api-key",
        "Google API keys (AIza...)",
        ["AIza"],
        rb"(\bAIza)([0-9A-Za-z_-]{35})",
    ),
    _shape(
        "stripe-key",
        "Stripe live secret and restricted keys",
        ["_live_"],
        rb"(\b(?:sk|rk)_live_)([0-9A-Za-z]{20,})",
    ),
    _shape(
        "npm-token",
        "npm access tokens (npm_...)",
        ["npm_"],
        rb"(\bnpm_)([A-Za-z0-9]{36})\b",
    ),
    _shape(
        "pypi-token",
        "PyPI API tokens (pypi-AgEIcHlwaS5vcmc...)",
        ["pypi-AgEIcHlwaS5vcmc"],
        rb"(\bpypi-)(AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})",
    ),
    _shape(
        "dockerhub-token",
        "Docker Hub personal access tokens (dckr_pat_...)",
        ["dckr_pat_"],
        rb"(\bdckr_pat_)([A-Za-z0-9_-]{20,})",
    ),
)
SHAPE_NAMES: tuple[str, ...] = tuple(shape.name for shape in SHAPES)
SHAPES_BY_NAME = {shape.name: shape for shape in SHAPES}


def mask_shape(match: Any) -> bytes:
    tail = match.group(3) if match.re.groups >= 3 else b""
    return bytes(match.group(1) or b"") + MASK_BYTES + bytes(tail or b"")
