#!/bin/bash -l

#$ -o /exp/sge_job.out
#$ -e /exp/sge_job.err
#$ -N sge_job
#$ -V
#$ -pe mpi 16
#$ -ac foo=bar
#$ -l h_rt=00:30:00
#$ -v OMP_NUM_THREADS=2
#$ -A acct
#$ -P p1

/usr/bin/mpirun --n 16 /usr/bin/python3 sim.py &

wait
