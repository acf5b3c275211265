#!/usr/bin/env bash
# Runs every test of the book: formatting, lints, every listing built as a
# reader's own project and run, every block of every page (skeptic and mdbook
# test), the expansion proof, the loom model checks, the kernels and the
# browser test. Installs what is missing first. Every step runs even after a
# failure; the last lines say what failed, what was skipped and why, and the
# exit status is non-zero if any step failed. The whole run's time is the
# last line.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
scripts/setup.sh --for test || exit 1

# Features whose system components this machine has; the rest are named, with why.
features=()
skipped=()
skip_projects=()
check_projects=()
if command -v mpiexec >/dev/null && command -v mpicc >/dev/null; then
    features+=(mpi)
else
    skipped+=("mpi: no MPICH (mpiexec, mpicc)")
    skip_projects+=(--skip mpi)
fi
if ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
    features+=(opencl)
else
    skipped+=("opencl: no OpenCL driver (no ICD in /etc/OpenCL/vendors)")
    skip_projects+=(--skip opencl)
fi
if command -v redis-server >/dev/null; then
    features+=(distributed)
else
    skipped+=("distributed: no redis-server")
    skip_projects+=(--skip distributed)
fi
# cust's build script wants a CUDA library folder even to type-check; without a
# CUDA installation, the runtime wheel's stands in (scripts/cuda-env).
# shellcheck source=scripts/cuda-env
source scripts/cuda-env
lint_features=("${features[@]}")
if [ -n "${CUDA_LIBRARY_PATH:-}" ] || [ -d /usr/local/cuda ] || [ -d /opt/cuda ]; then
    lint_features+=(cuda)
else
    skipped+=("cuda lint: no CUDA library folder (no CUDA installation, no runtime wheel in target/venv)")
fi
if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so'; then
    features+=(cuda)
else
    skipped+=("cuda: no NVIDIA driver (libcuda.so): CUDA host code type-checked and linted, kernels PTX-validated for sm_70/80/90, nothing run")
    check_projects+=(--check cuda)
fi
joined() { local IFS=,; echo "$*"; }
echo "test: features enabled: $(joined "${features[@]}")"
for reason in "${skipped[@]}"; do echo "test: skipped: $reason"; done

passed=()
failed=()
step() {
    local name=$1
    shift
    printf '\n=== %s: %s\n' "$name" "$*"
    local start=$SECONDS
    if "$@"; then
        passed+=("$name")
        printf '=== %s: ok (%ds)\n' "$name" $((SECONDS - start))
    else
        failed+=("$name")
        printf '=== %s: FAILED (%ds)\n' "$name" $((SECONDS - start))
    fi
}
# Runs a step in the background, its output and its status kept under
# target/test-logs/ until `report` shows them.
logs=target/test-logs
rm -rf "$logs"
mkdir -p "$logs"
background() {
    local name=$1
    shift
    printf '%s\n' "$*" >"$logs/$name.command"
    (
        start=$SECONDS
        "$@" >"$logs/$name.log" 2>&1
        echo "$? $((SECONDS - start))" >"$logs/$name.status"
    ) &
}
report() {
    local name=$1 status seconds
    printf '\n=== %s: %s\n' "$name" "$(cat "$logs/$name.command")"
    cat "$logs/$name.log"
    read -r status seconds <"$logs/$name.status"
    if [ "$status" -eq 0 ]; then
        passed+=("$name")
        printf '=== %s: ok (%ds, side by side with the others)\n' "$name" "$seconds"
    else
        failed+=("$name")
        printf '=== %s: FAILED (%ds, side by side with the others)\n' "$name" "$seconds"
    fi
}

# `--features cookbook/mpi --features cookbook/opencl ...`, or nothing.
with_features() { for feature in "$@"; do printf -- '--features cookbook/%s ' "$feature"; done; }

step format cargo fmt --all --check
# Every target of the workspace, the listings under each feature included;
# CUDA's too: type-checking needs no driver.
# shellcheck disable=SC2046
step clippy cargo clippy --workspace --all-targets $(with_features "${lint_features[@]}") -- -D warnings
step shellcheck shellcheck -x scripts/*.sh scripts/cuda-env scripts/mdbook-test scripts/capture-output \
    scripts/celery-throughput scripts/mpi-scaling scripts/skeptic-rustc .ci/run
# Chapter 8's CUDA kernels without a GPU: NVRTC compiles each to PTX, ptxas
# validates it for sm_70/80/90; the self-test proves broken kernels fail.
step kernels bash -c 'scripts/check-kernels && scripts/check-kernels --self-test'
# Every listing as a reader's own project (src/main.rs = the page's code, the
# page's [dependencies]), in the book's target folder: the binaries the tests run.
step listings scripts/listing-projects "${skip_projects[@]}" "${check_projects[@]}"

# The rest only runs what is built, and much of it waits (on Redis, on
# sleeping listings, on the browser): three streams side by side keep both
# cores busy. Each stream's output is shown whole when all have finished.
# cargo-test: the listings run and compared with their pages, loom, the
# stress tests, the expansion proof and skeptic on every block of every page.
# `--tests` leaves out the cookbook's examples: the tests run the listing
# projects built above, and clippy has checked the examples. cargo-nextest,
# where installed, runs the tests of all test binaries side by side
# (.config/nextest.toml runs the MPI ones one at a time); cargo test is the
# same tests, one binary after the other.
if cargo nextest --version >/dev/null 2>&1; then
    # shellcheck disable=SC2046
    background cargo-test cargo nextest run --workspace --tests --no-fail-fast $(with_features "${features[@]}")
else
    # shellcheck disable=SC2046
    background cargo-test cargo test --workspace --tests --no-fail-fast $(with_features "${features[@]}")
fi
background mdbook-test scripts/mdbook-test
background site bash -c 'mdbook build && target/venv/bin/python tests/browser/test_site.py target/book'
wait
for name in cargo-test mdbook-test site; do report "$name"; done

printf '\n'
for name in "${failed[@]}"; do echo "test: failed step: $name"; done
for reason in "${skipped[@]}"; do echo "test: skipped: $reason"; done
echo "steps: ${#passed[@]} passed, ${#failed[@]} failed, in ${SECONDS}s"
[ ${#failed[@]} -eq 0 ]
