# Helpers that give every module, app and test the same warnings, sanitizers and layout.

set(HAYSTACK_INCLUDE_DIR "${PROJECT_SOURCE_DIR}/libhaystack/include")

function(haystack_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wimplicit-fallthrough
                                           -Wno-missing-field-initializers)
  if(HAYSTACK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(HAYSTACK_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${HAYSTACK_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=${HAYSTACK_SANITIZE})
  endif()
endfunction()

# haystack_add_module(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Defines the static library haystack_<name>, exported as haystack::<name>.
function(haystack_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target haystack_${name})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(haystack::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME haystack_${name})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${HAYSTACK_INCLUDE_DIR}>
                                              $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  target_compile_features(${target} PUBLIC cxx_std_20)
  haystack_set_warnings(${target})
  set_property(GLOBAL APPEND PROPERTY HAYSTACK_MODULES ${target})
endfunction()

# haystack_add_executable(<name> SOURCES ... DEPS ...)
function(haystack_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  haystack_set_warnings(${name})
endfunction()
