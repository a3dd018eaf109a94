"""Slurm: srun steps in an allocation, sbatch batch jobs, sacct/squeue status, scancel."""
