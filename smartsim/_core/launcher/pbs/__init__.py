"""PBS Professional (and PALS): qsub batch jobs, qstat status, qdel."""
