# LedePackaging.cmake: CPack settings: one Debian package "lede" with the binaries,
# liblede-client (+ header, pkg-config file), man pages, systemd units and example settings.
# Build it with a /usr prefix:
#   cmake -S . -B build-deb -G Ninja -DCMAKE_INSTALL_PREFIX=/usr && cmake --build build-deb
#   cd build-deb && cpack -G DEB
set(CPACK_PACKAGE_NAME lede)
set(CPACK_PACKAGE_VENDOR "lede")
set(CPACK_PACKAGE_CONTACT "lede maintainers <lede-maintainers@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "extractive news summarization as a ZeroMQ service (broker, workers, client library)")
set(CPACK_PACKAGE_DESCRIPTION
    "lede splits news articles into sentences, scores them by position, term weight and named-entity density, drops redundancy and returns a ranked lead summary. It runs as a broker and horizontally scaled workers over ZeroMQ; liblede-client is the C API a CMS links.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
# the package installs where this build was configured to install (use -DCMAKE_INSTALL_PREFIX=/usr)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build[^/]*/" "/\\\\.git/")
include(CPack)
