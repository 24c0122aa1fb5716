# The build's dependencies (cmake/HaystackDependencies.cmake says how each is found).
include(HaystackDependencies)
foreach(package Threads absl fmt spdlog RapidJSON CLI11 SQLite3 PostgreSQL CURL OpenSSL HDF5
                Protobuf gRPC mstch Boost)
  haystack_package_arguments(${package} arguments)
  find_package(${arguments} REQUIRED)
endforeach()

# RapidJSON's Debian config exports only include directories, FindHDF5 only variables: wrap
# them in targets, installed with the modules that use them (their paths are Debian's).
add_library(haystack_rapidjson INTERFACE)
target_include_directories(haystack_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
# std::string support in rapidjson::Value.
target_compile_definitions(haystack_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

add_library(haystack_hdf5 INTERFACE)
target_include_directories(haystack_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
target_link_libraries(haystack_hdf5 INTERFACE ${HDF5_C_LIBRARIES})
target_compile_definitions(haystack_hdf5 INTERFACE ${HDF5_C_DEFINITIONS} H5_USE_110_API)
