#!/bin/bash

#PBS -o /exp/db.out
#PBS -e /exp/db.err
#PBS -N db
#PBS -V
#PBS -l select=4:ncpus=36:host=nid001+host=nid002
#PBS -l walltime=02:00:00
#PBS -l place=scatter
#PBS -q workq
#PBS -A proj
cd $PBS_O_WORKDIR

/usr/bin/aprun --pes=4 /usr/bin/python3 sim.py &

wait
