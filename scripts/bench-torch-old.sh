#!/usr/bin/env bash
# Builds the trainer's tensor engine as it was before TorchSharp (libtorch 1.13 through our C shim, trainer/native)
# for `make bench BENCH=torch`, which runs it beside the TorchSharp engine in the same run. The old tree is the last
# commit that has trainer/native, unpacked with git archive into a temporary folder and built once per commit (its
# bench binary is reused while the folder is there). Needs Debian's libtorch-dev (1.13) and the OpenMP OpenBLAS, which
# only this bench uses, so they are installed here rather than by `make deps`. Prints the old AgentOps.Bench.dll.
set -euo pipefail
cd "$(dirname "$0")/.."
shim=trainer/native/agentops_torch.cpp
last=$(git rev-list -1 HEAD -- "$shim")
[ -n "$last" ] || { echo "bench-torch-old: no commit has $shim" >&2; exit 1; }
# The last commit touching the shim deleted it, unless it still exists at HEAD.
if git cat-file -e "HEAD:$shim" 2>/dev/null; then old=$(git rev-parse HEAD); else old=$(git rev-parse "$last^"); fi
dir="${TMPDIR:-/tmp}/agentops-old-torch-${old:0:12}"
dll="$dir/tests/AgentOps.Bench/bin/Release/net10.0/AgentOps.Bench.dll"
if [ -f "$dll" ]; then echo "$dll"; exit 0; fi

packages=(libtorch-dev libopenblas0-openmp g++ make)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench-torch-old: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# libtorch 1.13 silently falls back to reference BLAS (35x slower) unless the OpenMP OpenBLAS is the active alternative.
for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
  target=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-openmp | head -1 || true)
  if [ -n "$target" ] && [ "$(readlink -f /etc/alternatives/$alt)" != "$(readlink -f "$target")" ]; then
    $SUDO update-alternatives --set "$alt" "$target" >/dev/null
  fi
done

echo "bench-torch-old: building ${old:0:12} (the last commit with $shim) in $dir" >&2
rm -rf "$dir"
mkdir -p "$dir"
git archive "$old" | tar -x -C "$dir"
make --no-print-directory -s -C "$dir/trainer/native" >&2
dotnet build "$dir/tests/AgentOps.Bench/AgentOps.Bench.csproj" -c Release -nologo -clp:ErrorsOnly >&2
echo "$dll"
