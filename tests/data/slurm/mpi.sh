# sbatch $DIR/results/slurm/arith.mpi.sh
#!/bin/bash
# sweep_runner submit: sweep 'arith', MPI mode: 8 ranks (rank 0 coordinates and writes the index, ranks 1..7 run jobs).
#SBATCH --job-name=sr-arith
#SBATCH --time=02:00:00
#SBATCH --partition=compute
#SBATCH --account=proj42
#SBATCH --mem=4G
#SBATCH --ntasks=8
#SBATCH --signal=B:TERM@120
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=$DIR/results/slurm/arith-%j.out
set -u
cd $DIR || exit 2

# Slurm signals this shell 120 s before the time limit (--signal=B:TERM@120),
# and so does a preemption: pass it on to the run, whose in-flight jobs checkpoint and stop
# (exit code 3), then requeue to continue with a fresh time limit.
stopped=0
trap 'stopped=1; kill -TERM "$pid" 2>/dev/null' TERM
mpirun -n "$SLURM_NTASKS" $BIN run $DIR/arith.yaml --db $DIR/results/index.db --out $DIR/results --retries 1 --timeout 600.0 &
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

