# sbatch $DIR/results/slurm/arith.array-0.sh
#!/bin/bash
# sweep_runner submit: sweep 'arith', array mode: shards 0..2 of 7 (array 1 of 3, MaxArraySize 3).
# Each task runs its shard without MPI into its own database next to the index; a merge job
# folds them in afterwards.
#SBATCH --job-name=sr-arith
#SBATCH --time=00:30:00
#SBATCH --array=0-2%2
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --signal=B:TERM@120
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=$DIR/results/slurm/arith-%A_%a.out
set -u
cd $DIR || exit 2
shard=$(( 0 + SLURM_ARRAY_TASK_ID ))

# Slurm signals this shell 120 s before the time limit (--signal=B:TERM@120),
# and so does a preemption: pass it on to the run, whose in-flight jobs checkpoint and stop
# (exit code 3), then requeue to continue with a fresh time limit.
stopped=0
trap 'stopped=1; kill -TERM "$pid" 2>/dev/null' TERM
$BIN run $DIR/arith.yaml --db $DIR/results/index.db --out $DIR/results --set length=8 --grid seed=11,12 --shard "$shard/7" -j "${SLURM_CPUS_PER_TASK:-1}" &
pid=$!
wait "$pid"; code=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done
echo "sweep_runner: exit code $code (restart ${SLURM_RESTART_COUNT:-0})"
if { [ "$code" -eq 3 ] || { [ "$stopped" -eq 1 ] && [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; }; } &&
   [ "${SLURM_RESTART_COUNT:-0}" -lt 3 ]; then
    echo "sweep_runner: requeueing ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} to continue"
    scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
fi
exit "$code"

# sbatch --dependency=afterany:<arith.array-0.sh> $DIR/results/slurm/arith.array-1.sh
#!/bin/bash
# sweep_runner submit: sweep 'arith', array mode: shards 3..5 of 7 (array 2 of 3, MaxArraySize 3).
# Each task runs its shard without MPI into its own database next to the index; a merge job
# folds them in afterwards.
#SBATCH --job-name=sr-arith
#SBATCH --time=00:30:00
#SBATCH --array=0-2%2
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --signal=B:TERM@120
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=$DIR/results/slurm/arith-%A_%a.out
set -u
cd $DIR || exit 2
shard=$(( 3 + SLURM_ARRAY_TASK_ID ))

# Slurm signals this shell 120 s before the time limit (--signal=B:TERM@120),
# and so does a preemption: pass it on to the run, whose in-flight jobs checkpoint and stop
# (exit code 3), then requeue to continue with a fresh time limit.
stopped=0
trap 'stopped=1; kill -TERM "$pid" 2>/dev/null' TERM
$BIN run $DIR/arith.yaml --db $DIR/results/index.db --out $DIR/results --set length=8 --grid seed=11,12 --shard "$shard/7" -j "${SLURM_CPUS_PER_TASK:-1}" &
pid=$!
wait "$pid"; code=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done
echo "sweep_runner: exit code $code (restart ${SLURM_RESTART_COUNT:-0})"
if { [ "$code" -eq 3 ] || { [ "$stopped" -eq 1 ] && [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; }; } &&
   [ "${SLURM_RESTART_COUNT:-0}" -lt 3 ]; then
    echo "sweep_runner: requeueing ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} to continue"
    scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
fi
exit "$code"

# sbatch --dependency=afterany:<arith.array-1.sh> $DIR/results/slurm/arith.array-2.sh
#!/bin/bash
# sweep_runner submit: sweep 'arith', array mode: shards 6..6 of 7 (array 3 of 3, MaxArraySize 3).
# Each task runs its shard without MPI into its own database next to the index; a merge job
# folds them in afterwards.
#SBATCH --job-name=sr-arith
#SBATCH --time=00:30:00
#SBATCH --array=0-0%2
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --signal=B:TERM@120
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=$DIR/results/slurm/arith-%A_%a.out
set -u
cd $DIR || exit 2
shard=$(( 6 + SLURM_ARRAY_TASK_ID ))

# Slurm signals this shell 120 s before the time limit (--signal=B:TERM@120),
# and so does a preemption: pass it on to the run, whose in-flight jobs checkpoint and stop
# (exit code 3), then requeue to continue with a fresh time limit.
stopped=0
trap 'stopped=1; kill -TERM "$pid" 2>/dev/null' TERM
$BIN run $DIR/arith.yaml --db $DIR/results/index.db --out $DIR/results --set length=8 --grid seed=11,12 --shard "$shard/7" -j "${SLURM_CPUS_PER_TASK:-1}" &
pid=$!
wait "$pid"; code=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done
echo "sweep_runner: exit code $code (restart ${SLURM_RESTART_COUNT:-0})"
if { [ "$code" -eq 3 ] || { [ "$stopped" -eq 1 ] && [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; }; } &&
   [ "${SLURM_RESTART_COUNT:-0}" -lt 3 ]; then
    echo "sweep_runner: requeueing ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} to continue"
    scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
fi
exit "$code"

# sbatch --dependency=afterany:<arith.array-0.sh>:<arith.array-1.sh>:<arith.array-2.sh> $DIR/results/slurm/arith.merge.sh
#!/bin/bash
# sweep_runner submit: sweep 'arith', merge: folds the 7 shard databases into the index
# once every array task has ended (sbatch --dependency=afterany:...).
#SBATCH --job-name=sr-arith-merge
#SBATCH --time=00:30:00
#SBATCH --ntasks=1
#SBATCH --output=$DIR/results/slurm/arith-merge-%j.out
set -u
cd $DIR || exit 2
exec $BIN merge $DIR/arith.yaml --db $DIR/results/index.db --out $DIR/results --set length=8 --grid seed=11,12

