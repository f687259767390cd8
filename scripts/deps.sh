#!/usr/bin/env bash
# Installs the real parts the tests and `agentops run` use. Idempotent: installs only what is missing,
# and says what it does. Called by `make deps` (and so by `make test` and `make run`).
set -euo pipefail

packages=(redis-server redis-tools runsc python3-grpcio python3-protobuf prometheus libtorch-dev libopenblas0-openmp g++ make etcd-server xz-utils openssl)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all present (${packages[*]})"
else
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # prometheus pulls in a long list of recommends (node exporters, etc.) that we do not need.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libtorch silently falls back to reference BLAS (35x slower) unless the OpenMP OpenBLAS is the active
# alternative; make it so when both are installed.
for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
  target=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-openmp | head -1 || true)
  if [ -n "$target" ] && [ "$(readlink -f /etc/alternatives/$alt)" != "$(readlink -f "$target")" ]; then
    echo "deps: selecting $target for $alt"
    ${SUDO:-} update-alternatives --set "$alt" "$target" >/dev/null
  fi
done

# A real Kubernetes control plane for the operator's tests (scripts/k8s-assets.sh): etcd from Debian, kube-apiserver
# and kube-controller-manager v1.28.0 unpacked from ../shared/k8s into .k8s-assets/ (envtest's KUBEBUILDER_ASSETS layout).
bash "$(dirname "$0")/k8s-assets.sh"
