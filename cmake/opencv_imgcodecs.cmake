# OpenCV imgcodecs + imgproc (Debian libopencv-imgcodecs-dev,
# libopencv-imgproc-dev) as the imported target edgenas::opencv_imgcodecs,
# for the worker's image_folder dataset (decoding JPEG/PNG, resizing).
# Debian ships OpenCV's CMake config only with libopencv-dev, so without it
# the headers and libraries are found directly (as cmake/opencv_dnn.cmake).
find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs)
add_library(edgenas::opencv_imgcodecs INTERFACE IMPORTED)
if(OpenCV_FOUND)
  target_include_directories(edgenas::opencv_imgcodecs INTERFACE ${OpenCV_INCLUDE_DIRS})
  target_link_libraries(edgenas::opencv_imgcodecs INTERFACE opencv_imgcodecs opencv_imgproc
                                                            opencv_core)
else()
  find_path(EDGENAS_OPENCV_IMGCODECS_INCLUDE_DIR opencv2/imgcodecs.hpp PATH_SUFFIXES opencv4)
  find_library(EDGENAS_OPENCV_IMGCODECS_LIBRARY opencv_imgcodecs)
  find_library(EDGENAS_OPENCV_IMGPROC_LIBRARY opencv_imgproc)
  find_library(EDGENAS_OPENCV_CORE_LIBRARY opencv_core)
  if(NOT EDGENAS_OPENCV_IMGCODECS_INCLUDE_DIR OR NOT EDGENAS_OPENCV_IMGCODECS_LIBRARY OR
     NOT EDGENAS_OPENCV_IMGPROC_LIBRARY OR NOT EDGENAS_OPENCV_CORE_LIBRARY)
    message(FATAL_ERROR "OpenCV imgcodecs/imgproc not found: install libopencv-imgcodecs-dev "
                        "libopencv-imgproc-dev (scripts/install_deps.sh)")
  endif()
  target_include_directories(edgenas::opencv_imgcodecs
                             INTERFACE ${EDGENAS_OPENCV_IMGCODECS_INCLUDE_DIR})
  target_link_libraries(edgenas::opencv_imgcodecs INTERFACE ${EDGENAS_OPENCV_IMGCODECS_LIBRARY}
                        ${EDGENAS_OPENCV_IMGPROC_LIBRARY} ${EDGENAS_OPENCV_CORE_LIBRARY})
endif()
