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
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch ${@:3}
