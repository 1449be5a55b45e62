# edgenas_library(NAME SRCS ... DEPS ...): a static library rooted at the repo.
function(edgenas_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# edgenas_test(NAME SRCS ... DEPS ...): a GoogleTest binary registered with CTest.
function(edgenas_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT EDGENAS_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "EDGENAS_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared\\;EDGENAS_BIN_DIR=${PROJECT_BINARY_DIR}/bin\\;EDGENAS_LOG_LEVEL=warning"
               LABELS "${ARG_LABELS}")
endfunction()

set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
