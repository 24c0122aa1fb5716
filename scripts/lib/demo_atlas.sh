# The bundled demo atlas: a synthetic, seeded atlas built by haystack-atlas (docs/atlas.md).
# Source, don't run.

# Builds $1/data/demo-atlas.h5ad (build dir $1) unless it is newer than the tool and the curated
# tables; written to a temporary name and renamed, so it is never partial.
build_demo_atlas() {
  local build_dir="$1" atlas tool tmp
  atlas="$build_dir/data/demo-atlas.h5ad"
  tool="$build_dir/apps/haystack-atlas/haystack-atlas"
  if [ -s "$atlas" ] && [ -z "$(find "$tool" "$HAYSTACK_ROOT"/data/curated -newer "$atlas" 2>/dev/null)" ]; then
    log "demo atlas $atlas is up to date"
    return 0
  fi
  mkdir -p "$build_dir/data"
  tmp="$build_dir/data/demo-atlas.partial.h5ad"
  rm -f "$tmp"
  log "building the demo atlas $atlas (synthetic, 10,000 cells, seed 42)"
  "$tool" synth --out "$tmp" --cells 10000 --seed 42 >&2
  mv "$tmp" "$atlas"
}
