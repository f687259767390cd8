#!/usr/bin/env bash
# Installs the real parts the tests and `agentops run` use. Idempotent: installs only what is missing,
# and says what it does. Called by `make deps` (and so by `make test` and `make run`).
set -euo pipefail

# (The trainer's libtorch comes from NuGet with TorchSharp; Debian's libtorch-dev is installed only by the torch bench,
# scripts/bench-torch-old.sh, for the engine it replaced.)
packages=(redis-server redis-tools runsc python3-grpcio python3-protobuf prometheus g++ make etcd-server xz-utils openssl)
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

# A real Kubernetes control plane for the operator's tests (scripts/k8s-assets.sh): etcd from Debian, kube-apiserver
# and kube-controller-manager v1.28.0 unpacked from ../shared/k8s into .k8s-assets/ (envtest's KUBEBUILDER_ASSETS layout).
bash "$(dirname "$0")/k8s-assets.sh"
