#!/usr/bin/env bash
# Everything the GPU issue measures, in one device call (device time is short): run from the
# repository root on the GPU machine with .gpu/ carried (bench/gpu/publish.sh makes it).
#   bench/gpu/h100.sh info ptxas tests bench cudabench levels profile train   (any subset; run in this order)
# Each step has its own time limit, so one that hangs or fails leaves the others' results.
# The profile step times one warm-up by count alone (--warmup-time 0): ncu profiles every launch.
# Logs go to $OUT (the device tool's folder) or /tmp/gpurnn-out.
set -uo pipefail
OUT=${OUT:-/tmp/gpurnn-out}; mkdir -p "$OUT"
steps=" ${*:-info tests bench profile train} "
want() { [[ "$steps" == *" $1 "* ]]; }
W=/tmp/gpurnn; rm -rf $W; mkdir -p $W; tar -C $W -xJf .gpu/gpurnn.tar.xz || exit 1
CLI=$W/pub/cli/gpurnn; TESTS=$W/pub/tests/GpuRnn.Tests; BENCH=$W/pub/bench/GpuRnn.Bench
export DOTNET_CLI_TELEMETRY_OPTOUT=1 PYTHONUNBUFFERED=1 PATH=$PATH:/usr/local/cuda/bin
say() { echo "=== $* (t=${SECONDS}s)"; }

if want info; then
  say info
  { nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,power.limit --format=csv
    date -u; $CLI devices; timeout 120 python3 bench/gpu/limits.py; } 2>&1 | tee $OUT/info.log
fi

if want ptxas && [ -d .gpu/ptx ]; then
  say ptxas
  # Registers, spills and shared memory of the hot kernels (PTX from GpuKernelCompilationTests, GPURNN_DUMP_PTX).
  for f in .gpu/ptx/RecurrentStep.Forward_LstmForwardCell.ptx .gpu/ptx/RecurrentStep.Backward_LstmBackwardCell.ptx \
           .gpu/ptx/Gemm.Tiled.ptx .gpu/ptx/RecurrentStep.Forward_GruResetAfterCell.ptx .gpu/ptx/PersistentRnn.Forward_LstmForwardCell.ptx; do
    echo "$(basename $f): $(ptxas -arch=sm_90 -v -o /dev/null $f 2>&1 | grep -E 'registers|spill' | tr '\n' ' ')"
  done 2>&1 | tee $OUT/ptxas.log
fi

if want tests; then
  say tests
  # cpu beside cuda: the cross-backend tests compare the two; ilgpu-cpu is what CI already runs.
  GPURNN_TEST_BACKENDS=cpu,cuda timeout 240 $TESTS -maxThreads 16 -noColor \
    > $OUT/tests.log 2>&1; echo "tests exit $?"
  grep -E "^\s*\[FAIL\]|Total:|Failed:|Skipped:|error" $OUT/tests.log | head -60
  tail -5 $OUT/tests.log
fi

if want bench; then
  say bench
  (cd $W && $CLI bench --backend cuda --configs lstm-med,lstm-512-b1 --reps 5 --json $OUT/cli-bench.json) 2>&1 | tail -12
  timeout 300 $BENCH compare --backend cuda,cpu --configs lstm-small,lstm-med,gru-med,lstm-b1,lstm-1024-b64,lstm-512-b1 \
    --peers cudnn,cudnn-tf32 --sgemm 0 --reps 11 --warmup 3 --json $OUT/bench.json 2>&1 | tee $OUT/bench.log | tail -40
fi

if want cudabench; then
  say cudabench
  # GpuRnn's cuda backend alone (no peers): a quick before/after of a kernel change within one call's budget.
  (cd $W && timeout 120 $CLI bench --backend cuda --configs lstm-small,lstm-med,gru-med,lstm-1024-b64 --reps 11) 2>&1 \
    | grep -E "^│ (lstm|gru)" | tee -a $OUT/bench.log
fi

if want levels; then
  say levels
  for level in O1 O2; do
    (cd $W && GPURNN_ILGPU_OPTIMIZATION=$level timeout 120 $CLI bench --backend cuda --configs lstm-med,lstm-1024-b64,lstm-small --reps 5) 2>&1 \
      | grep -E "^│ (lstm|gru)" | sed "s/^/$level /"
  done 2>&1 | tee -a $OUT/bench.log
fi

if want profile; then
  say profile
  NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
  for cfg in ${PROFILE_CONFIGS:-lstm-med gru-med lstm-1024-b64 lstm-512-b1}; do
    timeout 90 $NCU --clock-control none --metrics gpu__time_duration.sum --csv --print-units base \
      $CLI bench --backend cuda --configs $cfg --reps 1 --warmup 1 --warmup-time 0 > $W/ncu-$cfg.csv 2> $W/ncu-$cfg.err
    echo "ncu $cfg exit $?"; tail -3 $W/ncu-$cfg.err
    python3 bench/gpu/ncu_summary.py $W/ncu-$cfg.csv
  done 2>&1 | tee $OUT/profile.log
fi

if want train; then
  say train
  T=.gpu/tinyshakespeare.txt
  big="--cell lstm --hidden 512 --layers 2 --embedding 64 --batch 64 --seq 100 --clip 5 --lr 0.002"
  {
    echo "## gpurnn train (built-in corpus, defaults) --backend cuda"
    timeout 100 $CLI train --backend cuda --out $W/runs/builtin-cuda/model.safetensors
    echo "## gpurnn train (built-in corpus, defaults, 300 steps) --backend cpu"
    timeout 60 $CLI train --backend cpu --steps 300 --out $W/runs/builtin-cpu/model.safetensors
    echo "## pytorch charlm.py (defaults) on tinyshakespeare, cuDNN"
    timeout 60 python3 bench/pytorch/charlm.py --data $T --device cuda --steps 2500
    echo "## gpurnn train tinyshakespeare $big --steps 300 --backend cuda"
    timeout 120 $CLI train --backend cuda --data $T $big --steps 300 --eval-every 0 --out $W/runs/ts-cuda/model.safetensors
    echo "## gpurnn train tinyshakespeare $big --steps 10 --backend cpu"
    timeout 60 $CLI train --backend cpu --data $T $big --steps 10 --eval-every 0 --out $W/runs/ts-cpu/model.safetensors
    echo "## pytorch charlm.py $big --steps 300, cuDNN"
    timeout 90 python3 bench/pytorch/charlm.py --data $T --device cuda $big --steps 300
  } > $OUT/train.log 2>&1
  grep -E "^## |chars/s|validation|arithmetic check" $OUT/train.log | grep -v "^step "
fi

say done
