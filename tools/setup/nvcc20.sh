#!/usr/bin/env bash
# nvcc wrapper used only while building mmcv's CUDA ops from source (PYTORCH_NVCC points here).
# mmcv 2.1.0's setup.py passes nvcc -std=c++14/17, but torch 2.14 headers need C++20 (see
# cxx20.sh for the host compiler): rewrite the standard flag, pass everything else unchanged.
real="${CREVDET_REAL_NVCC:-nvcc}"
args=()
for a in "$@"; do
  case "$a" in
    -std=c++14|-std=c++17) args+=("-std=c++20") ;;
    *) args+=("$a") ;;
  esac
done
exec "$real" "${args[@]}"
