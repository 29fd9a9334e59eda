#!/usr/bin/env bash
# Idempotent set-up of crevdet's project-local environment (.venv/ at the repository root).
#
#   bash tools/setup_env.sh            # create/refresh .venv, build mmcv with ops, install crevdet -e
#
# Environment knobs:
#   PYTHON=python3.11      interpreter used to create .venv (3.9-3.13)
#   CREVDET_CUDA=auto|1|0  build mmcv's CUDA ops: auto = when nvcc is found AND torch sees a GPU
#   MAX_JOBS=2             parallel compile jobs for mmcv
# A second run on a set-up machine checks a stamp + imports and returns in seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
LOG="$ROOT/work_dirs/setup_env.log"
PY_BIN="${PYTHON:-python3}"
mkdir -p "$ROOT/work_dirs"

say()  { printf '[setup] %s\n' "$*"; }
die()  { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# Runs a noisy step with its output in the log; on failure shows only the tail and where the rest is.
step() {
  local what="$1"; shift
  say "$what"
  if ! "$@" >>"$LOG" 2>&1; then
    printf '[setup] ERROR while: %s\n---- last 25 lines of %s ----\n' "$what" "$LOG" >&2
    tail -n 25 "$LOG" >&2
    die "'$what' failed; the full output is in $LOG"
  fi
}

# ---- 1. the machine ------------------------------------------------------------------------------
command -v "$PY_BIN" >/dev/null 2>&1 || die "no '$PY_BIN' on PATH; install Python 3.9-3.13 or set PYTHON=/path/to/python3"
PY_VER="$("$PY_BIN" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$PY_VER" in
  3.9|3.10|3.11|3.12|3.13) ;;
  *) die "Python $PY_VER found ('$PY_BIN'); torch 2.14.1 + mmcv 2.1.0 need Python 3.9-3.13 (3.11 is the tested one). Set PYTHON=..." ;;
esac

REQ_HASH="$(cat "$ROOT/requirements/"*.txt "$ROOT/setup.py" "$0" | sha256sum | cut -c1-16)"
STAMP="$VENV/.crevdet-setup-$REQ_HASH"
if [ -f "$STAMP" ] && "$VENV/bin/python" - <<'PYCHK' >/dev/null 2>&1
import torch, mmengine, mmcv, mmdet, crevdet
from mmcv.ops import nms  # the compiled extension is what breaks first
PYCHK
then
  say "environment is up to date ($VENV); nothing to do"
  exit 0
fi

command -v gcc >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 \
  || die "no C/C++ compiler: mmcv 2.1.0 must be compiled from source. Install gcc and g++ (Debian/Ubuntu: apt-get install build-essential)"
"$PY_BIN" -c 'import venv, ensurepip' >/dev/null 2>&1 \
  || die "'$PY_BIN' cannot create virtual environments (Debian/Ubuntu: apt-get install python${PY_VER}-venv)"
"$PY_BIN" -c 'import sysconfig, os, sys; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' \
  || die "Python headers (Python.h) are missing; they are needed to compile mmcv (Debian/Ubuntu: apt-get install python${PY_VER}-dev)"

: >"$LOG"
say "log of this run: $LOG"

# ---- 2. the virtual environment --------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  step "creating $VENV with $PY_BIN ($PY_VER)" "$PY_BIN" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
step "upgrading pip" "${PIP[@]}" install "pip>=23"

# ---- 3. torch first: mmcv's build imports it --------------------------------------------------------
step "installing torch (requirements/torch.txt)" "${PIP[@]}" install -r "$ROOT/requirements/torch.txt"
# after torch (which needs setuptools>=77): mmcv 2.1.0's setup.py imports pkg_resources, gone in 80
step "installing build tools" "${PIP[@]}" install "setuptools>=77,<80" wheel ninja

# ---- 4. mmcv from source, with ops ----------------------------------------------------------------
if "$VENV/bin/python" -c 'import mmcv, sys; from mmcv.ops import nms; sys.exit(mmcv.__version__ != "2.1.0")' >/dev/null 2>&1; then
  say "mmcv 2.1.0 with ops already installed"
else
  CUDA_MODE="${CREVDET_CUDA:-auto}"
  if [ "$CUDA_MODE" = auto ]; then
    if command -v nvcc >/dev/null 2>&1 && "$VENV/bin/python" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
      CUDA_MODE=1; else CUDA_MODE=0; fi
  fi
  export MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}"
  export CREVDET_REAL_CXX="$(command -v g++)"
  export CC="$ROOT/tools/setup/cxx20.sh" CXX="$ROOT/tools/setup/cxx20.sh"
  if [ "$CUDA_MODE" = 1 ]; then
    export FORCE_CUDA=1
    # nvcc gets mmcv's -std=c++17 too: the same rewrite to C++20 as for the host compiler
    export CREVDET_REAL_NVCC="$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")"
    export PYTORCH_NVCC="$ROOT/tools/setup/nvcc20.sh"
    say "CUDA found: building mmcv's CUDA ops too (FORCE_CUDA=1; set CREVDET_CUDA=0 to skip)"
  fi
  step "installing mmengine (needed by mmcv's build)" "${PIP[@]}" install "mmengine==0.10.7"
  say "compiling mmcv 2.1.0 with ops (first time ~8-10 min on 2 cores; pip caches the wheel afterwards)"
  step "building mmcv 2.1.0" "${PIP[@]}" install --no-build-isolation -r "$ROOT/requirements/mmcv.txt"
fi

# ---- 5. the rest and crevdet itself -----------------------------------------------------------------
step "installing runtime + test + docs requirements" "${PIP[@]}" install -r "$ROOT/requirements/runtime.txt" \
  -r "$ROOT/requirements/tests.txt" -r "$ROOT/requirements/docs.txt"  # docs: MkDocs, built by tests/test_docs.py
step "installing crevdet (editable)" "${PIP[@]}" install --no-build-isolation --no-deps -e "$ROOT"

"$VENV/bin/python" - <<'PYCHK' || die "the installed stack does not import; see $LOG"
import torch, mmengine, mmcv, mmdet, crevdet
from mmcv.ops import nms
print(f"[setup] torch {torch.__version__}  mmengine {mmengine.__version__}  mmcv {mmcv.__version__} (ops)  "
      f"mmdet {mmdet.__version__}  crevdet {crevdet.__version__}  cuda={torch.cuda.is_available()}")
PYCHK
rm -f "$VENV"/.crevdet-setup-*
touch "$STAMP"
say "done. Use $VENV/bin/python (or 'source .venv/bin/activate')."
