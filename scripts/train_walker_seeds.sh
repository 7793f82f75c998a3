#!/usr/bin/env bash
# Train the biped's recipe (utils/walkers/recipes.py: WALKER) with three training seeds, side by side, with the project's
# own command. Runs land in runs/walker/seed<S>; their logs are kept beside the shipped agent.
# After a crash, run it again with RESUME=1 to continue from the latest checkpoints.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-2000000}
# The three seeds run side by side, so each runs in one process: "zoo-low-alive" is the walker recipe without the
# split environment (the same parameters, checked in tests/test_training.py), which a busy machine would only slow.
RECIPE=${RECIPE:-zoo-low-alive}
for seed in 0 1 2; do
  out=runs/walker/seed$seed
  if [ "${RESUME:-0}" = 1 ] && [ -f "$out/checkpoints/latest" ]; then flag=--resume; else flag=--overwrite; fi
  .venv/bin/python -m utils.train --env Walker2DBulletEnv-v0 --recipe "$RECIPE" --timesteps "$STEPS" --seed "$seed" \
    --out "$out" --eval-every 50000 --eval-episodes 5 --checkpoint-every 100000 --no-progress $flag \
    > "runs/walker-seed$seed.log" 2>&1 &
done
wait
