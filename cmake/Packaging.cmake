# The Debian package: `cpack -G DEB` in the build dir gives edgeinfer_<version>_<arch>.deb with
# everything `cmake --install` lays out (sdk/CMakeLists.txt), under /usr.
#
# Dependencies are declared, not computed by dpkg-shlibdeps (the CUDA plugin's libraries come from
# NVIDIA's installer, not from Debian packages, and dpkg-shlibdeps stops on them). They are the
# Debian 12 packages holding every DT_NEEDED library of the installed binaries except CUDA's;
# tests/sdk/install_test.sh checks this list against `objdump -p` and `dpkg -S` on the installed
# tree, so a new dependency cannot be forgotten.
set(EDGEINFER_DEB_DEPENDS "libc6, libstdc++6, libgcc-s1, libgomp1, libprotobuf32, libonnx1, libyaml-cpp0.7")
if(EDGEINFER_HAVE_DNNL)
  string(APPEND EDGEINFER_DEB_DEPENDS ", libdnnl2")
endif()
if(OpenCV_FOUND)   # the imageio plugin
  string(APPEND EDGEINFER_DEB_DEPENDS ", libopencv-core406, libopencv-imgproc406, libopencv-imgcodecs406")
endif()
set(CPACK_PACKAGE_NAME edgeinfer)
set(CPACK_PACKAGE_VENDOR "edgeinfer")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Inference runtime for edge SoCs (iGPU + DLA + CPU): library, C/C++ API, CLI, SoC profiles")
set(CPACK_PACKAGE_CONTACT "edgeinfer developers <edgeinfer@localhost>")
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${EDGEINFER_DEB_DEPENDS}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
if(EDGEINFER_HAVE_CUDA)
  set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}.\n The CUDA plugin (lib/edgeinfer/libedgeinfer_cuda.so) needs the CUDA runtime, cuBLAS and cuDNN\n from NVIDIA's packages (not declared); without them the GPU engine reports itself unavailable\n and computes on the CPU.")
endif()
include(CPack)
