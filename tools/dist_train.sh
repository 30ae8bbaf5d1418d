#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [train.py args...]
# One process per GPU (per CPU rank on machines without GPUs) via torchrun.
CONFIG=$1
GPUS=$2
if [ -z "$CONFIG" ] || ! [[ "$GPUS" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bash tools/dist_train.sh CONFIG GPUS [train.py args...]" >&2
    echo "  GPUS: the number of processes on this node (one per GPU, or CPU ranks)," >&2
    echo "  e.g. bash tools/dist_train.sh configs/nkd/CONFIG.py 8 --amp" >&2
    exit 2
fi
exec bash "$(dirname "$0")/dist_launch.sh" "$(dirname "$0")/train.py" "$GPUS" \
    "$CONFIG" "${@:3}"
