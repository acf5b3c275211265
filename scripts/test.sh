#!/usr/bin/env bash
# Runs every test of the book: formatting, lints, the listings, every block of
# every page (skeptic and mdbook test), the expansion proof, the loom model
# checks and the browser test.
# Installs what is missing first. Every step runs even after a failure; the last
# line sums them up and the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1

# Features whose system components this machine has; the rest are named, with why.
features=()
skipped=()
if command -v mpiexec >/dev/null && command -v mpicc >/dev/null; then
    features+=(mpi)
else
    skipped+=("mpi: no MPICH (mpiexec, mpicc)")
fi
if ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
    features+=(opencl)
else
    skipped+=("opencl: no OpenCL driver (no ICD in /etc/OpenCL/vendors)")
fi
if command -v redis-server >/dev/null; then
    features+=(distributed)
else
    skipped+=("distributed: no redis-server")
fi
if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so'; then
    features+=(cuda)
else
    skipped+=("cuda: no NVIDIA driver (libcuda.so): CUDA host code type-checked and kernels PTX-validated, not run")
fi
feature_list=$(IFS=,; echo "${features[*]}")
echo "test: features enabled: ${feature_list:-none}"
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

cargo_features=(--features "parallel-book/${feature_list//,/,parallel-book/}")
[ -n "$feature_list" ] || cargo_features=()

step format cargo fmt --all --check
step clippy cargo clippy --workspace --all-targets "${cargo_features[@]}" -- -D warnings
# The listing tests run the example binaries: build them first (a filtered
# `cargo test` does not always rebuild an edited example).
step examples cargo build --workspace --examples "${cargo_features[@]}"
# Chapter 8's CUDA kernels without a GPU: NVRTC compiles each to PTX, ptxas
# validates it for sm_70/80/90; the self-test proves broken kernels fail.
step kernels bash -c 'scripts/check-kernels && scripts/check-kernels --self-test'
# Chapter 8's CUDA host code, type-checked against cust (not linked: no driver).
step cuda-check scripts/ch08-cuda-check
step cargo-test cargo test --workspace "${cargo_features[@]}"
# Every interleaving of chapter 2's primitives (loom), in a build of its own.
step loom env RUSTFLAGS="--cfg cookbook_loom" CARGO_TARGET_DIR=target/loom \
    cargo test -p cookbook --release --test loom -- --nocapture
step mdbook-test mdbook test
step mdbook-build mdbook build
step browser target/venv/bin/python tests/browser/test_site.py target/book

printf '\n'
for name in "${failed[@]}"; do echo "test: failed step: $name"; done
for reason in "${skipped[@]}"; do echo "test: skipped: $reason"; done
echo "steps: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
