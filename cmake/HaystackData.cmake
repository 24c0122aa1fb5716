# The bundled data files the programs fall back to when no atlas or knowledge base is configured
# (docs/configuration.md): built into <build>/data/ and installed into <prefix>/share/haystack/,
# where an installed haystack-orchestrator looks for them.
#
#   demo-atlas.h5ad   the synthetic demo atlas (haystack-atlas synth, seed 42; docs/atlas.md)
#   knowledge.sqlite  the knowledge base (haystack-kb) from Debian's r-bioc-org.hs.eg.db and
#                     r-bioc-go.db files in HAYSTACK_KNOWLEDGE_DATA_DIR plus data/curated
#                     (docs/knowledge.md); scripts/setup fetches those files and sets the path.
option(HAYSTACK_BUILD_DATA "Build the demo atlas and (with HAYSTACK_KNOWLEDGE_DATA_DIR) the knowledge base" ON)
set(HAYSTACK_KNOWLEDGE_DATA_DIR "" CACHE PATH
    "Directory holding org.Hs.eg.sqlite and GO.sqlite (scripts/fetch-knowledge-data)")

if(NOT HAYSTACK_BUILD_DATA)
  return()
endif()

set(data_dir ${PROJECT_BINARY_DIR}/data)
set(curated_dir ${PROJECT_SOURCE_DIR}/data/curated)
file(GLOB curated_files CONFIGURE_DEPENDS ${curated_dir}/*)
set(data_files ${data_dir}/demo-atlas.h5ad)

add_custom_command(
  OUTPUT ${data_dir}/demo-atlas.h5ad
  COMMAND ${CMAKE_COMMAND} -E make_directory ${data_dir}
  COMMAND ${CMAKE_COMMAND} -E rm -f ${data_dir}/demo-atlas.partial.h5ad
  COMMAND haystack-atlas synth --out ${data_dir}/demo-atlas.partial.h5ad --cells 10000 --seed 42
  COMMAND ${CMAKE_COMMAND} -E rename ${data_dir}/demo-atlas.partial.h5ad
          ${data_dir}/demo-atlas.h5ad
  DEPENDS haystack-atlas ${curated_files}
  COMMENT "Building the synthetic demo atlas (10,000 cells, seed 42)")

if(HAYSTACK_KNOWLEDGE_DATA_DIR)
  foreach(file org.Hs.eg.sqlite GO.sqlite)
    if(NOT EXISTS ${HAYSTACK_KNOWLEDGE_DATA_DIR}/${file})
      message(FATAL_ERROR "HAYSTACK_KNOWLEDGE_DATA_DIR=${HAYSTACK_KNOWLEDGE_DATA_DIR} has no ${file} "
                          "(scripts/fetch-knowledge-data fetches it)")
    endif()
  endforeach()
  add_custom_command(
    OUTPUT ${data_dir}/knowledge.sqlite
    COMMAND ${CMAKE_COMMAND} -E make_directory ${data_dir}
    COMMAND ${CMAKE_COMMAND} -DKB_TOOL=$<TARGET_FILE:haystack-kb>
            -DDATA_DIR=${HAYSTACK_KNOWLEDGE_DATA_DIR} -DCURATED_DIR=${curated_dir}
            -DOUTPUT=${data_dir}/knowledge.sqlite -P ${PROJECT_SOURCE_DIR}/cmake/BuildKnowledgeBase.cmake
    DEPENDS haystack-kb ${curated_files} ${PROJECT_SOURCE_DIR}/cmake/BuildKnowledgeBase.cmake
            ${HAYSTACK_KNOWLEDGE_DATA_DIR}/org.Hs.eg.sqlite ${HAYSTACK_KNOWLEDGE_DATA_DIR}/GO.sqlite
    COMMENT "Building the knowledge base from ${HAYSTACK_KNOWLEDGE_DATA_DIR} and data/curated")
  list(APPEND data_files ${data_dir}/knowledge.sqlite)
else()
  message(STATUS "HAYSTACK_KNOWLEDGE_DATA_DIR is not set: the knowledge base is neither built nor "
                 "installed (scripts/setup sets it)")
endif()

add_custom_target(haystack-data ALL DEPENDS ${data_files})
install(FILES ${data_files} DESTINATION ${CMAKE_INSTALL_DATADIR}/haystack)
