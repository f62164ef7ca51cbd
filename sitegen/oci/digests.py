"""What a manifest's digest covers, and checking every claim about it (docs/protocol.md item 17).

The digest is the sha256 of the exact bytes received - never of re-serialised JSON
(GCR and Docker Hub pretty-print, Docker Hub escapes ``/`` as ``\\/``). A signed
schema1 manifest is the one exception: its digest covers the JWS payload, i.e. the
body with the ``signatures`` block cut out (Docker image-spec v2.1). Nothing in that
block is covered, so anything may be put there without changing the digest: the
client keeps only the payload (``covered_bytes``), and that is what is shown and cached.
"""

from __future__ import annotations

import base64

from sitegen.oci import jsonload, mediatypes
from sitegen.oci.references import digest_of, is_digest


def schema1_payload(data: bytes) -> bytes:
    """The bytes a signed schema1 manifest's digest covers: the JWS payload.

    The ``signatures`` block is cut out using the protected header's ``formatLength``
    and ``formatTail`` (Docker image-spec v2.1). Unsigned or unreadable input is
    returned unchanged.
    """
    try:
        document = jsonload.load(data)
        protected = document["signatures"][0]["protected"]
        header = jsonload.load(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
        length = int(header["formatLength"])
        tail_text = header["formatTail"]
        tail = base64.urlsafe_b64decode(tail_text + "=" * (-len(tail_text) % 4))
    except (ValueError, KeyError, IndexError, TypeError):
        return data
    if not 0 < length <= len(data):
        return data
    return data[:length] + tail


def covered_bytes(body: bytes, media_type: str) -> bytes:
    """The part of a manifest body its digest covers: all of it, except for schema1.

    Distribution reads both schema1 media types as possibly signed, so both are cut.
    """
    return schema1_payload(body) if media_type in mediatypes.SCHEMA1_TYPES else body


def manifest_digest(payload: bytes, reference: str, header: str | None) -> tuple[str, str | None]:
    """``(digest, problem)`` for the bytes a manifest's digest covers (``covered_bytes``).

    Every claim is checked: the digest it was requested by (when ``reference`` is a
    digest) and ``Docker-Content-Digest`` (when present; some registries omit it).
    ``problem`` names the first claim the bytes do not hash to.
    """
    header = (header or "").strip()
    claims = [c for c in (reference, header) if is_digest(c)]
    for claim in claims:
        if digest_of(payload, claim.partition(":")[0]) != claim:
            source = "the requested digest" if claim == reference else "Docker-Content-Digest"
            return claim, f"content does not hash to {source} {claim[:19]}..."
    return (claims[0] if claims else digest_of(payload)), None
