#!/usr/bin/env bash
# Usage: bash tools/dist_launch.sh SCRIPT GPUS [SCRIPT args...]
# What tools/dist_train.sh, dist_test.sh and dist_cache_teacher.sh share:
# SCRIPT under torchrun with --launcher pytorch, one process per GPU (per CPU
# rank on machines without GPUs). NNODES, NODE_RANK, PORT and MASTER_ADDR come
# from the environment.
SCRIPT=$1
GPUS=$2
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
    "$SCRIPT" \
    --launcher pytorch "${@:3}"
