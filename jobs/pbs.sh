#!/bin/bash
# PBS/Torque: qsub -v CARD=run.yaml jobs/pbs.sh   (edit the #PBS lines for your cluster)
#PBS -N mlscan
#PBS -l select=2:ncpus=32:mpiprocs=32
#PBS -l walltime=12:00:00
#PBS -j oe
cd "${PBS_O_WORKDIR:-.}"
export OMPI_MCA_mpi_yield_when_idle=1
mpiexec mlscan "${CARD:?usage: qsub -v CARD=run.yaml jobs/pbs.sh}"
