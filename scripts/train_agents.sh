#!/usr/bin/env bash
# Train the two shipped agents with the project's own command, one after the other (each uses both cores).
# After a crash, run it again with RESUME=1 to continue from the latest checkpoints.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-2000000}
for env in AntBulletEnv-v0 Walker2DBulletEnv-v0; do
  out=agents/a2c-$env
  if [ "${RESUME:-0}" = 1 ] && [ -f "$out/checkpoints/latest" ]; then flag=--resume; else flag=--overwrite; fi
  .venv/bin/python -m utils.train --env "$env" --timesteps "$STEPS" --seed 0 --out "$out" \
    --eval-every 50000 --eval-episodes 5 --checkpoint-every 100000 --no-progress $flag
done
