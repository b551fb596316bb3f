#!/usr/bin/env bash
# Publishes the CLI, the test suite and the bench self-contained for linux-x64 (the GPU machine
# has NVIDIA's driver, CUDA and PyTorch but no .NET) and packs them into .gpu/gpurnn.tar.xz.
# Identical files of the three (the .NET runtime, ILGPU) are hard-linked first, so the archive
# holds each once and stays well under the 64 MiB a device call carries.
#   bench/gpu/publish.sh            then carry .gpu and run bench/gpu/h100.sh there
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .gpu/pub .gpu/gpurnn.tar.xz && mkdir -p .gpu/pub
common=(-c Release -r linux-x64 --self-contained -p:PublishTrimmed=false -p:PublishAot=false
        -p:InvariantGlobalization=true -p:SatelliteResourceLanguages=en -p:DebugType=none)
dotnet publish src/Rnn.Cli "${common[@]}" -o .gpu/pub/cli
dotnet publish tests/GpuRnn.Tests "${common[@]}" -o .gpu/pub/tests
dotnet publish bench/GpuRnn.Bench "${common[@]}" -o .gpu/pub/bench
# Every kernel's PTX, for ptxas's register and spill report on the GPU machine (h100.sh ptxas).
rm -rf .gpu/ptx && GPURNN_DUMP_PTX="$PWD/.gpu/ptx" .gpu/pub/tests/GpuRnn.Tests -class GpuRnn.Tests.Gpu.GpuKernelCompilationTests -noColor > /dev/null
# Windows and disassembler binaries that NuGet's runtime folders leave beside the linux-x64 ones.
rm -f .gpu/pub/*/onnxruntime.dll .gpu/pub/*/libcapstone.so
python3 - <<'PY'
import hashlib, os
seen = {}
for root, _, files in os.walk(".gpu/pub"):
    for name in sorted(files):
        path = os.path.join(root, name)
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if digest in seen:
            os.remove(path); os.link(seen[digest], path)
        else:
            seen[digest] = path
PY
tar -C .gpu -cf - pub | xz -T2 -6 > .gpu/gpurnn.tar.xz
rm -rf .gpu/pub
ls -l .gpu/gpurnn.tar.xz
