#!/usr/bin/env bash
# What each ingredient of the course recipe is worth on the spider (notebook 06): the recipe and five variants,
# each changing one thing, two seeds each, at a reduced budget, with the project's own command.
# Two lanes (one per core, one process each: `parallel=false`, the same data as the split pipeline) run seed 0 and
# seed 1 of every variant in turn. Runs land in runs/ablations/; their logs are copied to studies/spider-ablations/
# (committed), which notebook 06 plots. Run it again with RESUME=1 to continue after a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-400000}
declare -A VARIANTS=(
  [recipe]=""
  [no-vecnormalize]="--set norm_obs=false --set norm_reward=false"
  [no-gsde]="--set use_sde=false"
  [4x8]="--set n_envs=4 --set n_steps=8"
  [n_steps-16]="--set n_steps=16"
  [constant-lr]="--set lr_schedule=constant"
)
ORDER="recipe no-gsde no-vecnormalize 4x8 constant-lr n_steps-16"
lane() {
  local seed=$1
  for name in $ORDER; do
    out=runs/ablations/$name/seed$seed
    if [ "${RESUME:-0}" = 1 ] && [ -f "$out/checkpoints/latest" ]; then flag=--resume; else flag=--overwrite; fi
    if [ "${RESUME:-0}" = 1 ] && [ -f "studies/spider-ablations/$name/seed$seed/done" ]; then continue; fi
    # shellcheck disable=SC2086
    .venv/bin/python -m utils.train --env AntBulletEnv-v0 --recipe course --set parallel=false ${VARIANTS[$name]} \
      --timesteps "$STEPS" --seed "$seed" --out "$out" --eval-every 40000 --eval-episodes 5 \
      --checkpoint-every 100000 --no-package --no-progress $flag > "runs/ablations/$name-seed$seed.log" 2>&1
    mkdir -p "studies/spider-ablations/$name/seed$seed"
    cp "$out"/logs/* "studies/spider-ablations/$name/seed$seed/"
    touch "studies/spider-ablations/$name/seed$seed/done"
  done
}
mkdir -p runs/ablations
lane 0 & lane 1 &
wait
