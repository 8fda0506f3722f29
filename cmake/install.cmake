# install.cmake - `cmake --install` rules (the binary, share/digitrec with the shipped models,
# the fetch script and optionally the bundled fonts, desktop entry, icons, AppStream metadata,
# man page, bash completion, copyright and changelog) and the Debian package (`cpack -G DEB`).
# Included once from CMakeLists.txt; builds nothing of the program itself.
#
# The program finds share/digitrec from its own location (<exe dir>/../share/digitrec, see
# src/session/places.h), so bin/ and share/ must stay siblings under one prefix: they are
# written here as literals, not as GNUInstallDirs variables someone could set apart.
#
# A package build:
#   cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DDIGITREC_NATIVE=OFF -DDIGITREC_PACKAGE=ON
#   cmake --build build-deb -j2 && (cd build-deb && cpack -G DEB)

option(DIGITREC_PACKAGE "Build for a distribution package: portable, hardened, stripped, system fonts" OFF)
if(DIGITREC_PACKAGE)
  set(_fonts_default OFF)
else()
  set(_fonts_default ON)
endif()
option(DIGITREC_INSTALL_FONTS "Install the bundled DejaVu fonts as the fallback of fontconfig" ${_fonts_default})

# What a package says about the project. The licence is the project's to choose: until it is
# set, the package states that none was chosen rather than inventing one.
set(DIGITREC_LICENSE "LicenseRef-unspecified" CACHE STRING "SPDX identifier of the project's licence")
# debian/copyright's licence text: every line starts with a space, an empty line is " .".
set(DIGITREC_LICENSE_TEXT " The digitrec developers have not chosen a licence for this program yet.\n No rights beyond those copyright law grants are given until they do.")
set(DIGITREC_HOMEPAGE "https://github.com/digitrec/digitrec" CACHE STRING "Project home page")
set(DIGITREC_SCREENSHOTS "https://raw.githubusercontent.com/digitrec/digitrec/main/docs" CACHE STRING
    "Where the README's window pictures are published (AppStream screenshots)")
set(DIGITREC_MAINTAINER "The digitrec developers <digitrec@example.org>" CACHE STRING
    "Package maintainer, Name <address>")
set(DIGITREC_RELEASE_DATE "2026-12-01" CACHE STRING "Date of this release, YYYY-MM-DD")
set(DIGITREC_RELEASE_DATE_RFC2822 "Tue, 01 Dec 2026 00:00:00 +0000")

if(DIGITREC_PACKAGE)
  if(DIGITREC_NATIVE)
    message(FATAL_ERROR "DIGITREC_PACKAGE needs -DDIGITREC_NATIVE=OFF: a package must run on every x86-64 CPU, "
                        "not only on one like the build machine's")
  endif()
  # Debian's hardening (what dpkg-buildflags gives a package): fortified libc calls, stack
  # protector, format checks, read-only relocations bound at start-up.
  foreach(t digitrec digitrec_core digitrec_app digitrec_session digitrec_worker)
    if(TARGET ${t})
      target_compile_options(${t} PRIVATE -fstack-protector-strong -Wformat -Werror=format-security)
      target_compile_definitions(${t} PRIVATE _FORTIFY_SOURCE=2)
    endif()
  endforeach()
  target_link_options(digitrec PRIVATE -Wl,-z,relro -Wl,-z,now)
endif()

set(_pkg ${CMAKE_SOURCE_DIR}/packaging)
set(_app_id io.github.digitrec.digitrec)
set(_gen ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${_gen})
configure_file(${_pkg}/${_app_id}.metainfo.xml.in ${_gen}/${_app_id}.metainfo.xml @ONLY)
configure_file(${_pkg}/debian/copyright.in ${_gen}/copyright @ONLY)
configure_file(${_pkg}/debian/changelog.in ${_gen}/changelog @ONLY)

# Compressed man page and changelog, without timestamps (-n) so builds are reproducible.
find_program(GZIP_PROGRAM gzip)
if(GZIP_PROGRAM)
  add_custom_command(OUTPUT ${_gen}/digitrec.1.gz
                     COMMAND ${GZIP_PROGRAM} -9nc ${_pkg}/digitrec.1 > ${_gen}/digitrec.1.gz
                     DEPENDS ${_pkg}/digitrec.1 VERBATIM)
  add_custom_command(OUTPUT ${_gen}/changelog.gz
                     COMMAND ${GZIP_PROGRAM} -9nc ${_gen}/changelog > ${_gen}/changelog.gz
                     DEPENDS ${_gen}/changelog VERBATIM)
  add_custom_target(digitrec_docs ALL DEPENDS ${_gen}/digitrec.1.gz ${_gen}/changelog.gz)
  set(_man ${_gen}/digitrec.1.gz)
  set(_changelog ${_gen}/changelog.gz)
else()
  set(_man ${_pkg}/digitrec.1)
  set(_changelog ${_gen}/changelog)
endif()

install(TARGETS digitrec RUNTIME DESTINATION bin)
file(GLOB _models CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/models/*.safetensors)
install(FILES ${_models} DESTINATION share/digitrec/models)
# `digitrec data fetch` runs it with bash; it stays executable to be run by hand too
install(PROGRAMS ${CMAKE_SOURCE_DIR}/scripts/fetch_mnist.sh DESTINATION share/digitrec)
if(DIGITREC_INSTALL_FONTS)
  file(GLOB _fonts ${CMAKE_SOURCE_DIR}/assets/fonts/*.ttf)
  install(FILES ${_fonts} ${CMAKE_SOURCE_DIR}/assets/fonts/LICENSE DESTINATION share/digitrec/assets/fonts)
endif()
install(FILES ${_pkg}/${_app_id}.desktop DESTINATION share/applications)
install(DIRECTORY ${_pkg}/icons/hicolor/ DESTINATION share/icons/hicolor)
install(FILES ${_pkg}/icons/${_app_id}.svg DESTINATION share/icons/hicolor/scalable/apps)
install(FILES ${_gen}/${_app_id}.metainfo.xml DESTINATION share/metainfo)
install(FILES ${_man} DESTINATION share/man/man1)
install(FILES ${_pkg}/digitrec.bash DESTINATION share/bash-completion/completions RENAME digitrec)
install(FILES ${_gen}/copyright ${_changelog} DESTINATION share/doc/digitrec)

# The Debian package. Depends come from dpkg-shlibdeps on the binary, plus the fonts when none
# are bundled; Recommends what `data fetch` uses first (curl over https), Suggests the rest.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME digitrec)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The digitrec developers")
set(CPACK_PACKAGE_CONTACT ${DIGITREC_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "draw a digit and watch a neural network learn to read it")
# the extended description, wrapped for dpkg (lines under 80 characters)
set(CPACK_PACKAGE_DESCRIPTION "digitrec is a desktop program: draw a digit with the mouse and a neural
network, training live in a worker thread, reads it. The window shows the
loss and accuracy curves, the weights, a confusion matrix and saliency maps
as the network learns. It starts with a shipped recogniser; `digitrec data
fetch` downloads MNIST for training. A command line trains, evaluates and
reads digits from image files; models are safetensors files.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${DIGITREC_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${DIGITREC_HOMEPAGE})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
if(NOT DIGITREC_INSTALL_FONTS)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core")
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "curl, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "npm, dataset-fashion-mnist")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
