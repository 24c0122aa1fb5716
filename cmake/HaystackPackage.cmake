# Installs libhaystack and exports it as a CMake package: find_package(haystack) gives
# haystack::haystack (every module) and haystack::<module> for narrower linking.
include(CMakePackageConfigHelpers)

get_property(haystack_modules GLOBAL PROPERTY HAYSTACK_MODULES)
add_library(haystack INTERFACE)
add_library(haystack::haystack ALIAS haystack)
target_link_libraries(haystack INTERFACE ${haystack_modules})

install(TARGETS haystack ${haystack_modules} haystack_rapidjson haystack_hdf5
        EXPORT haystackTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${HAYSTACK_INCLUDE_DIR}/haystack DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT haystackTargets NAMESPACE haystack:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/haystack)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/haystackConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/haystackConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/haystack)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/haystackConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/haystackConfig.cmake
              ${PROJECT_BINARY_DIR}/haystackConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/HaystackDependencies.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/haystack)
