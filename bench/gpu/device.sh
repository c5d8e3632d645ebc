#!/usr/bin/env bash
# On the GPU machine, from the repository root with .gpu/ (bench/gpu/pack.sh) beside it: unpacks Node and
# Dawn, points the Vulkan loader at the NVIDIA driver when there is one, and runs the bench. Arguments go
# to bench/gpu/run.ts. Where the machine lacks a Vulkan loader, carry Debian's (libvulkan1 and friends,
# unpacked with dpkg -x) beforehand.
set -euo pipefail
unxz() { python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
[ -x /tmp/gpu-node ] || { unxz .gpu/node.xz /tmp/gpu-node && chmod +x /tmp/gpu-node; }
dawn=.gpu/node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || unxz "$dawn.xz" "$dawn"
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
exec /tmp/gpu-node .gpu/run.mjs --wasm-dir .gpu/wasm/ "$@"
