# Installs the built tree into a temporary prefix, then, as a user of the installed package
# would:
#   1. builds a consumer of the whole library (find_package(haystack), haystack::haystack);
#   2. builds a consumer of one module (find_package(haystack COMPONENTS scoring),
#      haystack::scoring) and checks that it finds and links nothing scoring does not use;
#   3. runs the installed haystack-orchestrator on the demo query with no configuration, from
#      an empty directory: the bundled knowledge base and demo atlas come from the prefix.
# Variables: BUILD_DIR, SOURCE_DIR (the consumer project), WORK_DIR.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

foreach(module all scoring)
  set(build ${WORK_DIR}/consumer-${module})
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${build} -G Ninja -DCMAKE_PREFIX_PATH=${prefix}
      -DCONSUMER_MODULE=${module})
  run(${CMAKE_COMMAND} --build ${build})
  run(${build}/consumer)
  if(NOT out MATCHES "^ok")
    message(FATAL_ERROR "the ${module} consumer failed: ${out}")
  endif()
endforeach()

# The scoring consumer found only scoring's packages and links only scoring, knowledge, core.
file(READ ${WORK_DIR}/consumer-scoring/CMakeCache.txt cache)
foreach(package gRPC Protobuf PostgreSQL CURL OpenSSL HDF5 mstch CLI11)
  if(cache MATCHES "(^|\n)${package}[A-Za-z_]*:")
    message(FATAL_ERROR "the scoring consumer found ${package}, which scoring does not use")
  endif()
endforeach()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-scoring -- -t commands consumer)
string(REGEX MATCH "[^\n]*-o consumer [^\n]*" link_line "${out}")
if(NOT link_line)
  message(FATAL_ERROR "no link command for the scoring consumer in:\n${out}")
endif()
foreach(library haystack_scoring haystack_knowledge haystack_core)
  if(NOT link_line MATCHES "lib${library}\\.a")
    message(FATAL_ERROR "the scoring consumer does not link ${library}: ${link_line}")
  endif()
endforeach()
foreach(library haystack_atlas haystack_store haystack_inference haystack_output haystack_http
                haystack_proto grpc hdf5 curl pq)
  if(link_line MATCHES "lib${library}[._]")
    message(FATAL_ERROR "the scoring consumer links ${library}, which scoring does not use: "
                        "${link_line}")
  endif()
endforeach()

# The installed programs run the demo query with their bundled data and no settings.
set(run_dir ${WORK_DIR}/demo)
file(MAKE_DIRECTORY ${run_dir})
run(${CMAKE_COMMAND} -E env --unset=HAYSTACK_CONFIG --unset=HAYSTACK_DATABASE_URL
    --unset=HAYSTACK_ATLAS_PATH --unset=HAYSTACK_KNOWLEDGE_BASE --unset=HAYSTACK_ARTIFACT_ROOT
    HAYSTACK_LOG_FORMAT=text
    ${prefix}/bin/haystack-orchestrator run
    --query "How would CD14+ monocytes respond to IFN-gamma?" --email demo@example.org
    WORKING_DIRECTORY ${run_dir})
if(NOT out MATCHES "completed")
  message(FATAL_ERROR "the installed orchestrator did not complete the demo query:\n${out}")
endif()
file(GLOB outputs ${run_dir}/haystack-results/runs/*/output.h5ad)
if(NOT outputs)
  message(FATAL_ERROR "the installed orchestrator wrote no output.h5ad under ${run_dir}")
endif()
