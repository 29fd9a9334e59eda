#!/usr/bin/env bash
# Compiler wrapper used only while building mmcv from source.
# mmcv 2.1.0's setup.py forces -std=c++14/17, but torch 2.14 headers need C++20:
# rewrite the standard flag and hand everything else to the real compiler unchanged.
real="${CREVDET_REAL_CXX:-g++}"
args=()
for a in "$@"; do
  case "$a" in
    -std=c++14|-std=c++17|-std=gnu++14|-std=gnu++17) args+=("-std=c++20") ;;
    *) args+=("$a") ;;
  esac
done
exec "$real" "${args[@]}"
