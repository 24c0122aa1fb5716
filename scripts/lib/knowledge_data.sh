# Where the Debian annotation SQLite files live and how to get them. Source, don't run.
#   org.Hs.eg.sqlite  from r-bioc-org.hs.eg.db 3.16.0 (NCBI Gene, GO annotations, gene2pubmed)
#   GO.sqlite         from r-bioc-go.db 3.16.0 (GO terms and graph, release 2022-07-01)

knowledge_packages=(r-bioc-org.hs.eg.db r-bioc-go.db)

# The cache directory (overridable with HAYSTACK_KNOWLEDGE_DATA).
knowledge_data_dir() {
  echo "${HAYSTACK_KNOWLEDGE_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/haystack/debian-data}"
}

# Finds $2 under $1/root (where dpkg -x unpacked the packages); empty if absent.
find_unpacked() {
  find "$1/root" -name "$2" -type f 2>/dev/null | head -n 1
}

# Downloads and unpacks the packages into $1 unless both SQLite files are already there, then
# links them as $1/org.Hs.eg.sqlite and $1/GO.sqlite and prints $1.
fetch_knowledge_data() {
  local dir="$1" deb
  mkdir -p "$dir"
  if [ -s "$dir/org.Hs.eg.sqlite" ] && [ -s "$dir/GO.sqlite" ]; then
    echo "$dir"
    return 0
  fi
  log "fetching ${knowledge_packages[*]} from the Debian mirror into $dir"
  (cd "$dir" && apt-get download -q "${knowledge_packages[@]}" >&2) ||
    die "apt-get download ${knowledge_packages[*]} failed (run apt-get update?)"
  for deb in "$dir"/*.deb; do
    dpkg -x "$deb" "$dir/root"
  done
  local org go
  org="$(find_unpacked "$dir" org.Hs.eg.sqlite)"
  go="$(find_unpacked "$dir" GO.sqlite)"
  [ -n "$org" ] && [ -n "$go" ] || die "the packages in $dir hold no org.Hs.eg.sqlite/GO.sqlite"
  ln -sf "$org" "$dir/org.Hs.eg.sqlite"
  ln -sf "$go" "$dir/GO.sqlite"
  rm -f "$dir"/*.deb
  echo "$dir"
}
