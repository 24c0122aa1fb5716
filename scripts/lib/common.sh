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

# Configures and builds into $1 (default build/). Extra arguments go to cmake.
build_haystack() {
  local build_dir="${1:-$HAYSTACK_ROOT/build}"
  shift || true
  log "building HAYSTACK in $build_dir"
  cmake -S "$HAYSTACK_ROOT" -B "$build_dir" -G Ninja "$@" >/dev/null
  cmake --build "$build_dir" --parallel "$(nproc)"
}
