#!/usr/bin/env bash
# Re-evaluate the shipped agents with other seeds than their results.json (seed 0), to check it reproduces.
# Writes agents/<agent>/logs/reevaluation.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
for agent in agents/*/; do agent=${agent%/}
  { for seed in 1 2; do
      episodes=$([ "$seed" = 1 ] && echo 10 || echo 50)
      .venv/bin/python -m utils.evaluate "$agent" --episodes "$episodes" --seed "$seed" | sed -n 1p  # the summary line (sed reads on: no broken pipe)
    done; } > "$agent/logs/reevaluation.txt"
  cat "$agent/logs/reevaluation.txt"
done
