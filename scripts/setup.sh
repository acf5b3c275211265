#!/usr/bin/env bash
# Installs what the book needs, and skips what is already there: running it
# twice changes nothing. Appendix A.2 of the book explains every item.
#
#   scripts/setup.sh --for serve   mdBook and its two preprocessors: enough to
#                                  build and serve the book (scripts/serve.sh)
#   scripts/setup.sh [--for test]  everything the listings and the tests need
#                                  as well (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

purpose="test"
case "${1:-}" in
"") ;;
--for)
    purpose=${2:-}
    [ "$purpose" = serve ] || [ "$purpose" = test ] || die "--for takes 'serve' or 'test', not '${2:-}'"
    ;;
*) die "unknown option '$1' (usage: scripts/setup.sh [--for serve|test])" ;;
esac

# --- Debian packages (the test command only) ---------------------------------------
# package        needed by
DEBIAN_PACKAGES=(
    chromium           # the browser test of the website (tests/browser)
    mpich libmpich-dev # chapter 4: MPI (mpiexec, the library rsmpi links)
    clang libclang-dev # chapter 4: bindgen, which rsmpi runs against mpi.h
    pocl-opencl-icd    # chapter 8: a real OpenCL device on the CPU
    ocl-icd-opencl-dev # chapter 8: libOpenCL, which the ocl crate links
    redis-server       # chapter 6: the broker of the task queues
    shellcheck         # the test command lints the book's shell scripts
)
[ "$purpose" = test ] || DEBIAN_PACKAGES=()

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$' ||
        missing+=("$package")
done
# A Python without the venv module (Debian's own python3) needs python3-venv.
if [ "$purpose" = test ]; then
    python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
fi

if ((${#missing[@]})); then
    command -v apt-get >/dev/null || die "missing ${missing[*]}, and apt-get is not available: install them by hand"
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        as_root=(sudo)
    else
        die "missing ${missing[*]}: run as root or with password-less sudo, or install them by hand"
    fi
    say "installing Debian packages: ${missing[*]}"
    "${as_root[@]}" apt-get update -qq || die "apt-get update failed (no network or no package mirror?)"
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
        "${missing[@]}" >/dev/null || die "could not install ${missing[*]} with apt-get"
elif ((${#DEBIAN_PACKAGES[@]})); then
    say "Debian packages present: ${DEBIAN_PACKAGES[*]}"
fi

# --- mdBook and its preprocessors, pinned ----------------------------------------
# tool            version  (the book is tested with exactly these)
CARGO_TOOLS=(
    "mdbook 0.5.4"
    "mdbook-quiz 0.5.0"
    "mdbook-mermaid 0.17.1"
)
command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
for entry in "${CARGO_TOOLS[@]}"; do
    read -r tool version <<<"$entry"
    if "$tool" --version 2>/dev/null | grep -qw "v\?$version"; then
        say "$tool $version present"
        continue
    fi
    say "installing $tool $version (cargo install --locked; a few minutes)"
    cargo install --quiet --locked "$tool" --version "$version" ||
        die "cargo install $tool $version failed (no network to crates.io?)"
done

if [ "$purpose" = serve ]; then
    say "ready to serve (the test command installs the rest: scripts/setup.sh --for test)"
    exit 0
fi

# --- Python packages, in a virtual environment under target/ ------------------------
venv=target/venv
requirements=scripts/requirements.txt
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$stamp"; then
    say "Python packages present ($venv)"
else
    say "installing Python packages into $venv: $(grep -v '^#' "$requirements" | tr '\n' ' ')"
    python3 -m venv "$venv" || die "python3 -m venv failed"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" ||
        die "pip install failed (no network to PyPI?)"
    cp "$requirements" "$stamp"
fi
say "ready"
