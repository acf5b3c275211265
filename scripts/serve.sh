#!/usr/bin/env bash
# Installs what reading needs (mdBook and its two preprocessors, nothing else),
# builds the book and serves it on http://localhost:3000, rebuilding as you
# edit. Extra arguments go to `mdbook serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --for serve
exec mdbook serve --hostname 127.0.0.1 --port 3000 "$@"
