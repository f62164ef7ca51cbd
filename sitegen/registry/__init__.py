"""Speaking the OCI distribution API: auth, listings, manifests, blobs, referrers.

``client.py`` is the one client of a run, with a session per registry; below it
``authflow.py`` answers challenges, ``transport.py`` sends each request (retries,
redirects, size caps), ``clock.py`` is the time they read and ``flight.py`` shares
the fetches callers want at the same moment. ``check.py`` is ``sitegen check``."""
