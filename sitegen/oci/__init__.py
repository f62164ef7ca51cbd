"""Grammar and documents, no I/O: names, tags and digests (``references``), media
types, what a digest covers (``digests``), the one JSON loader for registry data
(``jsonload``), manifests and configs -> model (``manifests``), supply-chain artifacts
(``supplychain``) and what they claim (``signatures``, ``provenance``, ``sbom``),
version order (``versions``), linear-time patterns (``patterns``) and secret masking
(``masking``). Imports only the base modules (``model``, ``supplychain_model``,
``errors``, ``dates``, ``files``)."""
