"""Speaking the OCI distribution API: auth, listings, manifests, blobs, referrers."""
