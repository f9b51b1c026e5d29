# Finds argtrace's two library dependencies and wraps each in an imported target:
#
#   argtrace_deps::zstd     libzstd
#   argtrace_deps::msgpack  msgpack-c (the C library)
#
# The build includes this file, and so does the installed argtraceConfig.cmake, so a project
# that uses an installed argtrace resolves the dependencies the same way argtrace's own build
# did. Each dependency is looked for in this order, the first hit wins:
#
#   zstd      pkg-config libzstd | CMake package zstd (zstd::libzstd_shared, _static)
#             | zstd.h + libzstd in the default search paths
#   msgpack   pkg-config msgpack-c (6.x) | pkg-config msgpack (4.x)
#             | CMake package msgpack-c (6.x: target msgpack-c)
#             | CMake package msgpack (4.x: target msgpackc)
#             | msgpack.h + libmsgpack-c or libmsgpackc in the default search paths
#
# (On Debian 12 find_package(msgpack) can pick the C++ package msgpackc-cxx, which has no C
# library target; the last step covers that.) CMAKE_PREFIX_PATH extends every search but
# pkg-config's. Set CMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON to skip pkg-config.
#
# Results: argtrace_deps_FOUND (both found), argtrace_deps_MESSAGE (what is missing),
# argtrace_deps_ZSTD_HOW / _MSGPACK_HOW (where each came from), and for cmake/argtrace.pc.in
# argtrace_deps_PC_REQUIRES (pkg-config modules used) and argtrace_deps_PC_LIBS (-l flags for
# the dependencies found another way).

if(TARGET argtrace_deps::zstd AND TARGET argtrace_deps::msgpack)
  set(argtrace_deps_FOUND TRUE)
  return()
endif()

set(argtrace_deps_PC_REQUIRES "")
set(argtrace_deps_PC_LIBS "")
set(_atr_zstd_tgt "")
set(_atr_zstd_how "")
set(_atr_msgpack_tgt "")
set(_atr_msgpack_how "")

find_package(PkgConfig QUIET)

# Each step does nothing once _atr_<dep>_tgt is set.
macro(_atr_try_pkgconfig dep module)
  if(NOT _atr_${dep}_tgt AND PKG_CONFIG_FOUND)
    pkg_check_modules(ATR_PC_${dep} QUIET IMPORTED_TARGET ${module})
    if(ATR_PC_${dep}_FOUND)
      set(_atr_${dep}_tgt PkgConfig::ATR_PC_${dep})
      set(_atr_${dep}_how "pkg-config ${module} ${ATR_PC_${dep}_VERSION}")
      list(APPEND argtrace_deps_PC_REQUIRES ${module})
    endif()
  endif()
endmacro()

macro(_atr_try_cmake_package dep package lib)
  if(NOT _atr_${dep}_tgt)
    find_package(${package} CONFIG QUIET)
    foreach(_atr_t ${ARGN})
      if(NOT _atr_${dep}_tgt AND TARGET ${_atr_t})
        set(_atr_${dep}_tgt ${_atr_t})
        set(_atr_${dep}_how "CMake package ${package} ${${package}_VERSION} (${_atr_t})")
        list(APPEND argtrace_deps_PC_LIBS -l${lib})
      endif()
    endforeach()
  endif()
endmacro()

macro(_atr_try_plain dep header)
  if(NOT _atr_${dep}_tgt)
    find_path(ATR_${dep}_INCLUDE_DIR ${header})
    find_library(ATR_${dep}_LIBRARY NAMES ${ARGN})
    if(ATR_${dep}_INCLUDE_DIR AND ATR_${dep}_LIBRARY)
      set(_atr_${dep}_tgt argtrace_deps::${dep}_library)
      add_library(${_atr_${dep}_tgt} UNKNOWN IMPORTED)
      set_target_properties(${_atr_${dep}_tgt} PROPERTIES
        IMPORTED_LOCATION "${ATR_${dep}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${ATR_${dep}_INCLUDE_DIR}")
      set(_atr_${dep}_how "library ${ATR_${dep}_LIBRARY}")
      get_filename_component(_atr_lib "${ATR_${dep}_LIBRARY}" NAME_WE)
      string(REGEX REPLACE "^lib" "" _atr_lib "${_atr_lib}")
      list(APPEND argtrace_deps_PC_LIBS -l${_atr_lib})
    endif()
  endif()
endmacro()

if(ATR_STATIC_DEPS)
  _atr_try_plain(zstd zstd.h libzstd.a)
  _atr_try_plain(msgpack msgpack.h libmsgpack-c.a libmsgpackc.a)
  foreach(_atr_dep zstd msgpack)
    if(_atr_${_atr_dep}_tgt AND NOT ATR_${_atr_dep}_LIBRARY MATCHES "\\.a$")
      message(FATAL_ERROR "argtrace: ATR_STATIC_DEPS=ON but ${_atr_dep} is "
        "${ATR_${_atr_dep}_LIBRARY} (a cached shared library): configure a fresh build dir")
    endif()
  endforeach()
endif()
_atr_try_pkgconfig(zstd libzstd)
_atr_try_cmake_package(zstd zstd zstd zstd::libzstd_shared zstd::libzstd zstd::libzstd_static)
_atr_try_plain(zstd zstd.h zstd)

_atr_try_pkgconfig(msgpack msgpack-c)
_atr_try_pkgconfig(msgpack msgpack)
_atr_try_cmake_package(msgpack msgpack-c msgpack-c msgpack-c msgpack-c-static)
_atr_try_cmake_package(msgpack msgpack msgpackc msgpackc msgpackc-static)
_atr_try_plain(msgpack msgpack.h msgpack-c msgpackc)

set(argtrace_deps_FOUND TRUE)
set(argtrace_deps_MESSAGE "")
if(ATR_STATIC_DEPS AND NOT (ATR_zstd_LIBRARY MATCHES "\\.a$" AND ATR_msgpack_LIBRARY MATCHES
    "\\.a$"))
  set(argtrace_deps_FOUND FALSE)
  string(APPEND argtrace_deps_MESSAGE " ATR_STATIC_DEPS=ON needs libzstd.a and libmsgpackc.a"
    " (Debian: libzstd-dev, libmsgpack-dev or libmsgpack-c-dev).")
endif()
foreach(_atr_dep zstd msgpack)
  if(_atr_${_atr_dep}_tgt)
    add_library(argtrace_deps::${_atr_dep} INTERFACE IMPORTED)
    set_target_properties(argtrace_deps::${_atr_dep} PROPERTIES
      INTERFACE_LINK_LIBRARIES ${_atr_${_atr_dep}_tgt})
  else()
    set(argtrace_deps_FOUND FALSE)
  endif()
endforeach()
if(NOT _atr_zstd_tgt)
  string(APPEND argtrace_deps_MESSAGE " zstd not found (Debian: apt-get install libzstd-dev).")
endif()
if(NOT _atr_msgpack_tgt)
  string(APPEND argtrace_deps_MESSAGE " msgpack-c not found (Debian: apt-get install"
    " libmsgpack-c-dev, or libmsgpack-dev on Debian 12 and older).")
endif()
set(argtrace_deps_ZSTD_HOW "${_atr_zstd_how}")
set(argtrace_deps_MSGPACK_HOW "${_atr_msgpack_how}")
