#!/usr/bin/env bash
# Usage: bash tools/dist_cache_teacher.sh CONFIG GPUS --epochs E --out DIR [cache_teacher.py args...]
# One process per GPU (per CPU rank on machines without GPUs) via torchrun.
CONFIG=$1
GPUS=$2
if [ -z "$CONFIG" ] || ! [[ "$GPUS" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bash tools/dist_cache_teacher.sh CONFIG GPUS --epochs E --out DIR [args...]" >&2
    exit 2
fi
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
python -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/cache_teacher.py" \
    "$CONFIG" \
    --launcher pytorch ${@:3}
