#!/bin/bash

#SBATCH --output=/exp/ens_0.out
#SBATCH --error=/exp/ens_0.err
#SBATCH --job-name=ens_0
#SBATCH --exclusive
#SBATCH --nodes=2
#SBATCH --time=01:00:00
#SBATCH --account=proj
#SBATCH --partition=debug
module load python
export OMP_NUM_THREADS=4

/usr/bin/srun --nodes=1 --export=ALL,A=1 /usr/bin/python3 sim.py --n 2 &

/usr/bin/srun --nodes=1 /bin/echo 'a b' &

wait
