#!/bin/bash

#BSUB -W 10:00
#BSUB -P A3123
#BSUB -J model
#BSUB -o /exp/model.out
#BSUB -e /exp/model.err
#BSUB -alloc_flags "nvme smt4"
#BSUB -nnodes 3
#BSUB -q batch
module load cuda

/usr/bin/jsrun --nrs=3 /usr/bin/python3 sim.py &

wait
