#!/usr/bin/env bash
# Install mmcv 2.1.0 WITH compiled ops (mmcv.ops: nms, RoIAlign, ...) into the
# active Python environment: MMDetection needs them, and no prebuilt mmcv
# 2.1.0 wheel exists for current torch releases. Classification needs none
# of this (mmcv-lite, the `lite` extra, is enough).
#
# Usage, in the environment that will run detection:
#   pip install torch torchvision            # first: the ops compile against it
#   bash tools/install_mmcv_ops.sh [--cache-dir DIR] [--rebuild]
#   pip install -e ".[det]"                  # then MMDetection 3.3.0
#
# A wheel for this torch, Python and platform found in the cache
# (${MMCLS_KD_WHEEL_CACHE:-~/.cache/mmcls_kd/wheels}/torch-<torch version>/)
# installs in seconds. Otherwise mmcv's source package is downloaded, built
# into a wheel in the cache (about 20 minutes on 2 cores; MAX_JOBS, default
# 2, sets the parallel compile jobs) and installed. Building needs a C++
# compiler with C++20 (g++ >= 10); it adds wheel, ninja, psutil and numpy to
# the environment and uses setuptools<70 while it runs (pip warns that torch
# wants a newer one; the environment's own setuptools is put back after).
# mmcv-lite, if installed, is uninstalled first. See
# tools/install_mmcv_ops.py for the details.
set -euo pipefail

PYTHON=${PYTHON:-$(command -v python || command -v python3)}
exec "$PYTHON" "$(dirname "$0")/install_mmcv_ops.py" "$@"
