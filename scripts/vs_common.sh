# vs_common.sh: what scripts/bench_vs.sh (the engine) and scripts/bench_broker_vs.sh (the
# broker) share, sourced by both: strict mode, the checkout's root, the older commit REV and
# the rounds, and REV's source tree (git archive, no worktree) unpacked once into build-vs/.
#   after sourcing: ROOT, REV (the script's first argument, default ebdd933), ROUNDS
#   (LEDE_VS_ROUNDS, 7), SECS (LEDE_VS_SECONDS, 2), SHA (REV's short hash), BASE_SRC
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
REV=${1:-ebdd933}
ROUNDS=${LEDE_VS_ROUNDS:-7}
SECS=${LEDE_VS_SECONDS:-2}
SHA=$(git rev-parse --short "$REV^{commit}")
BASE_SRC=$ROOT/build-vs/src-$SHA
if [ ! -f "$BASE_SRC/CMakeLists.txt" ]; then
  mkdir -p "$BASE_SRC"
  git archive "$SHA" | tar -x -C "$BASE_SRC"
fi
