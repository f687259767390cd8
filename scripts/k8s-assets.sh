#!/usr/bin/env bash
# Prepares a KUBEBUILDER_ASSETS folder (controller-runtime envtest's layout: etcd, kube-apiserver,
# kube-controller-manager side by side) at .k8s-assets/ in the checkout, from ../shared/k8s/*.xz (Kubernetes
# v1.28.0, see its README) and Debian's etcd. Idempotent: unpacks again only when the .xz is newer.
# The operator's tests find the folder through $KUBEBUILDER_ASSETS, else this one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/.k8s-assets"
# The shared folder sits beside the repository (../shared/k8s); a git worktree elsewhere finds it beside the main checkout.
src=${AGENTOPS_K8S_SOURCE:-}
if [ -z "$src" ]; then
  # A clone made from a local checkout (`git clone /work/main /tmp/ci-check`) finds it beside its origin.
  origin=$(cd "$root" && git config --get remote.origin.url 2>/dev/null || true)
  for candidate in "$root/../shared/k8s" "$(cd "$root" && git rev-parse --path-format=absolute --git-common-dir 2>/dev/null | xargs -r dirname)/../shared/k8s" \
                   "${origin:+$origin/../shared/k8s}"; do
    [ -n "$candidate" ] || continue
    if [ -f "$candidate/kube-apiserver.xz" ]; then src=$(cd "$candidate" && pwd); break; fi
  done
fi
if [ -z "$src" ]; then
  echo "deps: WARNING no ../shared/k8s/kube-apiserver.xz beside the checkout; the operator's tests against a real API server will FAIL" >&2
  echo "deps:         unless KUBEBUILDER_ASSETS names a folder holding etcd, kube-apiserver and kube-controller-manager" >&2
  exit 0
fi
mkdir -p "$out"
for bin in kube-apiserver kube-controller-manager; do
  if [ ! -x "$out/$bin" ] || [ "$src/$bin.xz" -nt "$out/$bin" ]; then
    echo "deps: unpacking $src/$bin.xz into $out/"
    xz -dc "$src/$bin.xz" > "$out/$bin.tmp"
    chmod +x "$out/$bin.tmp"
    mv "$out/$bin.tmp" "$out/$bin"
  fi
done
ln -sf "$(command -v etcd || echo /usr/bin/etcd)" "$out/etcd"
echo "deps: Kubernetes control plane in $out ($("$out/kube-apiserver" --version 2>/dev/null || echo '?'), etcd $(etcd --version 2>/dev/null | head -1 | awk '{print $3}'))"
