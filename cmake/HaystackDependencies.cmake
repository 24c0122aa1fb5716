# Every dependency is a Debian 12 package (scripts/packages/*.txt); nothing is fetched.
#
# haystack_package_arguments(<package> <out-var>): how find_package finds one of them. The
# build and the installed package (haystackConfig.cmake, which finds only the packages of the
# modules a consumer asks for) share this table.
function(haystack_package_arguments package out_var)
  set(config_packages absl fmt spdlog RapidJSON CLI11 gRPC mstch)
  if(package IN_LIST config_packages)
    set(${out_var} ${package} CONFIG PARENT_SCOPE)
  elseif(package STREQUAL "HDF5")
    set(${out_var} HDF5 COMPONENTS C PARENT_SCOPE)
  elseif(package STREQUAL "Boost")
    # Boost.Math (header-only) for the scoring module's distributions.
    set(${out_var} Boost 1.74 PARENT_SCOPE)
  else()
    set(${out_var} ${package} PARENT_SCOPE)
  endif()
endfunction()

# The package that provides an imported target, by its namespace ("" for targets that are not
# imported from a package: haystack's own modules and its wrapper targets).
function(haystack_package_of_target target out_var)
  set(namespaces absl fmt spdlog Threads SQLite PostgreSQL CURL OpenSSL protobuf gRPC mstch Boost)
  set(packages absl fmt spdlog Threads SQLite3 PostgreSQL CURL OpenSSL Protobuf gRPC mstch Boost)
  set(${out_var} "" PARENT_SCOPE)
  if(target MATCHES "^([A-Za-z0-9_]+)::")
    list(FIND namespaces "${CMAKE_MATCH_1}" index)
    if(index GREATER_EQUAL 0)
      list(GET packages ${index} package)
      set(${out_var} ${package} PARENT_SCOPE)
    endif()
  endif()
endfunction()
