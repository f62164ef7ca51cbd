#!/usr/bin/env bash
# How many teams list a registry today: skopeo, one process per question.
# For each repository: `skopeo list-tags`, then for every tag `skopeo inspect` (the
# manifest of this machine's platform, the config summary and the repository's tags)
# and `skopeo inspect --config` (the full config), each saved as JSON.
#
# usage: skopeo-loop.sh HOST:PORT OUTDIR REPOSITORY...   (plain HTTP, no credentials)
set -euo pipefail
host=$1
out=$2
shift 2
for repo in "$@"; do
  tags=$(skopeo list-tags --tls-verify=false "docker://$host/$repo" | jq -r '.Tags[]')
  for tag in $tags; do
    dir="$out/$repo/$tag"
    mkdir -p "$dir"
    skopeo inspect --tls-verify=false "docker://$host/$repo:$tag" >"$dir/inspect.json"
    skopeo inspect --config --tls-verify=false "docker://$host/$repo:$tag" >"$dir/config.json"
  done
done
