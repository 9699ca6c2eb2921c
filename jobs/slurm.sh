#!/bin/bash
# SLURM: sbatch jobs/slurm.sh run.yaml   (edit the #SBATCH lines for your cluster)
#SBATCH --job-name=mlscan
#SBATCH --ntasks=64
#SBATCH --time=12:00:00
#SBATCH --output=mlscan-%j.log
export OMPI_MCA_mpi_yield_when_idle=1
srun mlscan "${1:?usage: sbatch jobs/slurm.sh CARD.yaml}"
