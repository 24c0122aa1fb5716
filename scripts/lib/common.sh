# Shared helpers for scripts/setup, scripts/test and scripts/demo. Source, don't run.
set -euo pipefail

HAYSTACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export HAYSTACK_ROOT

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the packages listed in the given files (one per line, # comments) that are not yet
# installed. Idempotent: a machine that has everything makes no apt calls at all.
install_packages() {
  local missing=() pkg
  for pkg in $(sed -e 's/#.*//' "$@" | tr -s ' \n' '\n' | sort -u); do
    [ -n "$pkg" ] || continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all $(sed -e 's/#.*//' "$@" | grep -c . || true) required Debian packages are installed"
    return 0
  fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get -o DPkg::Lock::Timeout=900 update -qq
  as_root apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Configures and builds: build_haystack BUILD_DIR [TARGET...] [-- CMAKE_ARGS...]. Without
# targets everything is built. Every script builds with the same flags (warnings are errors,
# line-table debug info), so the test build reuses what the demo build compiled; caller
# arguments come last and win.
build_haystack() {
  local build_dir="$1" targets=() target_args=()
  shift
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do targets+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  for t in "${targets[@]}"; do target_args+=(--target "$t"); done
  log "building HAYSTACK in $build_dir${targets[*]:+ (${targets[*]})}"
  # -g1 (line tables) keeps backtraces with file:line and costs a third less compile time
  # than full -g; configure with -DCMAKE_BUILD_TYPE=Debug to inspect variables.
  cmake -S "$HAYSTACK_ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    -DHAYSTACK_WERROR=ON "$@" >/dev/null
  cmake --build "$build_dir" --parallel "$(nproc)" "${target_args[@]}"
}
