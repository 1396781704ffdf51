# sbatch $DIR/results/slurm/arith.mpi.sh
#!/bin/bash
# sweep_runner submit: sweep 'arith', MPI mode: 4 ranks (rank 0 coordinates and writes the index, ranks 1..3 run jobs).
#SBATCH --job-name=sr-arith
#SBATCH --ntasks=4
#SBATCH --signal=B:TERM@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=$DIR/results/slurm/arith-%j.out
#SBATCH --qos=debug
#SBATCH --constraint=ib
set -u
cd $DIR || exit 2

# Slurm signals this shell 300 s before the time limit (--signal=B:TERM@300),
# and so does a preemption: pass it on to the run, whose in-flight jobs checkpoint and stop
# (exit code 3), then requeue to continue with a fresh time limit.
stopped=0
trap 'stopped=1; kill -TERM "$pid" 2>/dev/null' TERM
srun --mpi=pmix $BIN run $DIR/arith.yaml --db $DIR/db/sweeps.db --out $DIR/results &
pid=$!
wait "$pid"; code=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done
echo "sweep_runner: exit code $code (restart ${SLURM_RESTART_COUNT:-0})"
if { [ "$code" -eq 3 ] || { [ "$stopped" -eq 1 ] && [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; }; } &&
   [ "${SLURM_RESTART_COUNT:-0}" -lt 10 ]; then
    echo "sweep_runner: requeueing $SLURM_JOB_ID to continue"
    scontrol requeue "$SLURM_JOB_ID"
fi
exit "$code"

