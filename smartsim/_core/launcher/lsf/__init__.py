"""IBM Spectrum LSF: bsub batch jobs, bjobs status, bkill."""
