#!/usr/bin/env bash
# Usage: bash tools/dist_cache_teacher.sh CONFIG GPUS --epochs E --out DIR [cache_teacher.py args...]
# One process per GPU (per CPU rank on machines without GPUs) via torchrun.
CONFIG=$1
GPUS=$2
if [ -z "$CONFIG" ] || ! [[ "$GPUS" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bash tools/dist_cache_teacher.sh CONFIG GPUS --epochs E --out DIR [args...]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/dist_launch.sh" "$(dirname "$0")/cache_teacher.py" "$GPUS" \
    "$CONFIG" "${@:3}"
