"""A real registry on loopback, filled with deterministic sample images.

Tests, benchmarks and the demo share this harness:

- ``lab.registry``: start/stop Debian's ``docker-registry`` (distribution 2.8) with no
  auth, Basic auth or token auth, and read its access log;
- ``lab.tokenserver``: the Docker token server that token auth needs;
- ``lab.images``: byte-for-byte reproducible images, indexes, artifacts, signatures;
- ``lab.push``: push them through the HTTP API (fast) or with skopeo (independent);
- ``lab.samples``: the sample catalog the demo and the end-to-end tests use;
- ``lab.fakeregistry``: the same content served from memory behind
  ``httpx.MockTransport`` (the golden site), no process and no port;
- ``lab.oci``: the content-addressed building blocks ``lab.images`` is made of;
- ``lab.hostilejson`` and ``lab.payloads``: hostile JSON values and XSS payloads;
- ``lab.proxy``: a relay that adds a registry's latency to loopback;
- ``python -m lab.killat``: kill ``sitegen`` at a chosen file-system operation;
- ``python -m lab.demo``: build a site from a freshly filled registry.

Everything listens on and talks to 127.0.0.1 only.
"""
