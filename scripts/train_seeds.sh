#!/usr/bin/env bash
# Train one robot's recipe with several training seeds at once, with the project's own command.
#   scripts/train_seeds.sh                                        # the biped: ENV=Walker2DBulletEnv-v0 RECIPE=zoo-low-alive SEEDS="0 1 2"
#   ENV=AntBulletEnv-v0 SEEDS="3 4 5" scripts/train_seeds.sh       # the spider's recipe (RECIPE=zoo), three seeds
#   RECIPE=reference FLAGS="--set alive_bonus=0.5 ..." STEPS=1000000 SEEDS="10 11" scripts/train_seeds.sh  # a candidate
# Runs land in runs/<name>/seed<S> (name: walker or spider), their output in runs/<name>-seed<S>.log; then
# scripts/select_agent.py chooses the seed to ship and reports every seed. After a crash, run it again with RESUME=1.
# The seeds run side by side, so each runs in one process: "zoo-low-alive" and "zoo" are the walker and spider recipes
# without the split environment (the same parameters and the same data: tests/test_training.py, tests/test_envs.py),
# which a machine busy with the other seeds would only slow.
set -euo pipefail
cd "$(dirname "$0")/.."
ENV=${ENV:-Walker2DBulletEnv-v0}
case "$ENV" in
  Walker2DBulletEnv-v0) name=walker; one_process=zoo-low-alive ;;
  AntBulletEnv-v0) name=spider; one_process=zoo ;;
  *) echo "error: ENV must be Walker2DBulletEnv-v0 or AntBulletEnv-v0, got $ENV" >&2; exit 2 ;;
esac
RECIPE=${RECIPE:-$one_process}
SEEDS=${SEEDS:-0 1 2}
STEPS=${STEPS:-2000000}
mkdir -p "runs/$name"
pids=()
for seed in $SEEDS; do
  out=runs/$name/seed$seed
  if [ "${RESUME:-0}" = 1 ] && [ -f "$out/checkpoints/latest" ]; then flag=--resume; else flag=--overwrite; fi
  .venv/bin/python -m utils.train --env "$ENV" --recipe "$RECIPE" --timesteps "$STEPS" --seed "$seed" \
    --out "$out" --eval-every 50000 --eval-episodes 5 --checkpoint-every 100000 --no-progress $flag ${FLAGS:-} \
    > "runs/$name-seed$seed.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
