# Builds the bundled knowledge base (cmake -P): the Debian annotation files (GO, genes,
# gene→PubMed) and data/curated, imported by haystack-kb into a temporary file that is renamed
# when complete, so a failed or interrupted build never leaves a partial knowledge base.
# Variables: KB_TOOL, DATA_DIR (org.Hs.eg.sqlite + GO.sqlite), CURATED_DIR, OUTPUT.
set(partial "${OUTPUT}.partial")
file(REMOVE "${partial}")
foreach(step "import-bioconductor;--data-dir;${DATA_DIR}" "import-curated;--dir;${CURATED_DIR}")
  execute_process(COMMAND "${KB_TOOL}" ${step} --kb "${partial}" RESULT_VARIABLE rc)
  if(rc)
    file(REMOVE "${partial}")
    message(FATAL_ERROR "haystack-kb ${step} failed (${rc})")
  endif()
endforeach()
file(RENAME "${partial}" "${OUTPUT}")
