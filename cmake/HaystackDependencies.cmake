# Every dependency is a Debian 12 package (scripts/lib/packages.txt); nothing is fetched.
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(RapidJSON CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(mstch CONFIG REQUIRED)
# Boost.Math (header-only) for the scoring module's distributions; listed here because static
# libraries carry their private link dependencies into the installed package.
find_package(Boost 1.74 REQUIRED)

# RapidJSON's Debian config exports only include directories; wrap them in a target.
if(NOT TARGET haystack_rapidjson)
  add_library(haystack_rapidjson INTERFACE)
  target_include_directories(haystack_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
  # std::string support in rapidjson::Value and the SSE4.2 skip-whitespace path.
  target_compile_definitions(haystack_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
endif()

if(NOT TARGET haystack_hdf5)
  add_library(haystack_hdf5 INTERFACE)
  target_include_directories(haystack_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
  target_link_libraries(haystack_hdf5 INTERFACE ${HDF5_C_LIBRARIES})
  target_compile_definitions(haystack_hdf5 INTERFACE ${HDF5_C_DEFINITIONS} H5_USE_110_API)
endif()
