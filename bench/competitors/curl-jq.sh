#!/usr/bin/env bash
# The sequential curl + jq script of the well-known answers ("get the image config
# from the registry API"): per tag, a token (when the registry asks for one), the
# manifest, and the config blob it names. A multi-platform index is resolved to its
# linux/amd64 manifest first, as `docker pull` on this machine would.
#
# usage: curl-jq.sh REGISTRY_URL OUTDIR REPOSITORY...
set -euo pipefail
registry=$1
out=$2
shift 2
accept="application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json"
accept="$accept,application/vnd.docker.distribution.manifest.list.v2+json"
accept="$accept,application/vnd.docker.distribution.manifest.v2+json"

# The registry's challenge, read once: Bearer realm and service, or nothing.
challenge=$(curl -sS -o /dev/null -D - "$registry/v2/" | tr -d '\r' |
  sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: [Bb]earer //p')
realm=$(sed -n 's/.*realm="\([^"]*\)".*/\1/p' <<<"$challenge")
service=$(sed -n 's/.*service="\([^"]*\)".*/\1/p' <<<"$challenge")

auth() { # $1 = repository; prints curl arguments carrying a pull token, if needed
  if [ -n "$realm" ]; then
    token=$(curl -fsS "$realm?service=$service&scope=repository:$1:pull" | jq -r '.token // .access_token')
    printf -- '-H\nAuthorization: Bearer %s\n' "$token"
  fi
}

for repo in "$@"; do
  mapfile -t creds < <(auth "$repo")
  tags=$(curl -fsS "${creds[@]}" "$registry/v2/$repo/tags/list" | jq -r '.tags[]')
  for tag in $tags; do
    dir="$out/$repo/$tag"
    mkdir -p "$dir"
    mapfile -t creds < <(auth "$repo")
    curl -fsS "${creds[@]}" -H "Accept: $accept" "$registry/v2/$repo/manifests/$tag" >"$dir/manifest.json"
    manifest="$dir/manifest.json"
    if jq -e '.manifests' "$manifest" >/dev/null; then
      digest=$(jq -r '[.manifests[] | select(.platform.os == "linux" and .platform.architecture == "amd64")][0].digest' "$manifest")
      curl -fsS "${creds[@]}" -H "Accept: $accept" "$registry/v2/$repo/manifests/$digest" >"$dir/platform.json"
      manifest="$dir/platform.json"
    fi
    config=$(jq -r '.config.digest' "$manifest")
    curl -fsSL "${creds[@]}" "$registry/v2/$repo/blobs/$config" >"$dir/config.json"
  done
done
