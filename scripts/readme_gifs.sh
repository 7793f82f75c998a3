#!/usr/bin/env bash
# The README's GIFs: a short, light cut of each shipped agent's replay.mp4 (utils.walkers.video.to_gif).
set -euo pipefail
cd "$(dirname "$0")/.."
for agent in agents/a2c-*/; do
  .venv/bin/python -c "import sys; from utils.walkers.video import to_gif; print(to_gif(sys.argv[1] + 'replay.mp4', sys.argv[1] + 'walking.gif'))" "$agent"
done
