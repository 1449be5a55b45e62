# OpenCV DNN (Debian libopencv-dnn-dev) as the imported target
# edgenas::opencv_dnn, for the device agent's ONNX runner. Debian ships
# OpenCV's CMake config only with libopencv-dev (all of OpenCV), so without
# it the headers and the two libraries are found directly.
find_package(OpenCV QUIET COMPONENTS core dnn)
add_library(edgenas::opencv_dnn INTERFACE IMPORTED)
if(OpenCV_FOUND)
  target_include_directories(edgenas::opencv_dnn INTERFACE ${OpenCV_INCLUDE_DIRS})
  target_link_libraries(edgenas::opencv_dnn INTERFACE opencv_dnn opencv_core)
else()
  find_path(EDGENAS_OPENCV_INCLUDE_DIR opencv2/dnn.hpp PATH_SUFFIXES opencv4)
  find_library(EDGENAS_OPENCV_DNN_LIBRARY opencv_dnn)
  find_library(EDGENAS_OPENCV_CORE_LIBRARY opencv_core)
  if(NOT EDGENAS_OPENCV_INCLUDE_DIR OR NOT EDGENAS_OPENCV_DNN_LIBRARY OR
     NOT EDGENAS_OPENCV_CORE_LIBRARY)
    message(FATAL_ERROR "OpenCV DNN not found: install libopencv-dnn-dev (scripts/install_deps.sh)")
  endif()
  target_include_directories(edgenas::opencv_dnn INTERFACE ${EDGENAS_OPENCV_INCLUDE_DIR})
  target_link_libraries(edgenas::opencv_dnn INTERFACE ${EDGENAS_OPENCV_DNN_LIBRARY}
                                                      ${EDGENAS_OPENCV_CORE_LIBRARY})
endif()
