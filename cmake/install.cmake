# `cmake --install` and CPack: the binary on PATH, the Python helpers importable, the shipped sweep
# files, tools and docs under share/ (component runtime, package sweep-runner); the libraries,
# headers and CMake package config for a lab's own models (component development, package
# sweep-runner-dev). Paths follow Debian's layout so the .deb and a /usr/local install behave alike
# (Debian's python3 reads both .../lib/python3/dist-packages).

install(TARGETS sweep_runner RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

# Modules plotting scripts and users' job scripts import (`import sweep_index`, `import sweep_job`).
install(FILES tools/sweep_index.py tools/sweep_job.py
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/python3/dist-packages COMPONENT runtime)
# Everything else in tools/ is a script run by path; development-only scripts stay behind.
file(GLOB tool_scripts CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tools/*.py)
list(FILTER tool_scripts EXCLUDE REGEX "/(sweep_index|sweep_job)\\.py$")
install(PROGRAMS ${tool_scripts} DESTINATION ${CMAKE_INSTALL_DATADIR}/sweep_runner/tools COMPONENT runtime)
install(DIRECTORY sweeps/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sweep_runner/sweeps COMPONENT runtime)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

# find_package(sweep_runner): static libraries as sweep_runner::<name> (sr_cli -> sweep_runner::cli),
# the headers of the model interface and of the machinery models share (optimizers, data readers,
# generators), and the command line (cli/cli.hpp). Models keep their headers to themselves.
set(sr_libraries sr_core sr_symbolic sr_optim sr_data sr_model_testing sr_models sr_db sr_worker sr_scheduler
    sr_slurm sr_cli)
foreach(model ${SWEEP_RUNNER_MODELS})
  list(APPEND sr_libraries sr_model_${model})
endforeach()
foreach(library ${sr_libraries})
  string(REGEX REPLACE "^sr_" "" export_name ${library})
  set_target_properties(${library} PROPERTIES EXPORT_NAME ${export_name})
endforeach()
set(sr_include_dir ${CMAKE_INSTALL_INCLUDEDIR}/sweep_runner)
install(TARGETS ${sr_libraries} EXPORT sweep_runner_targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}/sweep_runner COMPONENT development)
install(DIRECTORY core/ DESTINATION ${sr_include_dir}/core COMPONENT development
        FILES_MATCHING PATTERN "*.hpp" PATTERN "models" EXCLUDE)
install(FILES cli/cli.hpp DESTINATION ${sr_include_dir}/cli COMPONENT development)
set(sr_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/sweep_runner)
install(EXPORT sweep_runner_targets NAMESPACE sweep_runner:: DESTINATION ${sr_cmake_dir}
        FILE sweep_runner-targets.cmake COMPONENT development)
include(CMakePackageConfigHelpers)
list(FIND SWEEP_RUNNER_MODELS exec SR_CONFIG_NEEDS_LIBZIP)
list(FIND SWEEP_RUNNER_MODELS csdp SR_CONFIG_NEEDS_OPENMP)
configure_package_config_file(cmake/sweep_runner-config.cmake.in ${CMAKE_BINARY_DIR}/sweep_runner-config.cmake
                              INSTALL_DESTINATION ${sr_cmake_dir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/sweep_runner-config-version.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/sweep_runner-config.cmake ${CMAKE_BINARY_DIR}/sweep_runner-config-version.cmake
        DESTINATION ${sr_cmake_dir} COMPONENT development)

set(CPACK_PACKAGE_NAME sweep-runner)
set(CPACK_PACKAGE_VENDOR "sweep_runner developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Parameter sweeps of spiking-neural-network simulations (threads, MPI, Slurm)")
set(CPACK_PACKAGE_CONTACT "sweep_runner developers <maintainers@users.noreply.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime development)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME sweep-runner)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME sweep-runner-dev)
set(CPACK_COMPONENT_DEVELOPMENT_DESCRIPTION
    "Libraries, headers and CMake config to build a program with one's own models (find_package(sweep_runner))")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Library dependencies come from dpkg-shlibdeps (what the binary links); the Python helpers need
# these Debian packages, the plotting scripts more.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "openmpi-bin, python3, python3-pandas, python3-h5py")
# The static libraries' link dependencies, as the config file finds them.
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
    "sweep-runner (= ${PROJECT_VERSION}), g++, cmake, pkg-config, libeigen3-dev, nlohmann-json3-dev, libyaml-cpp-dev, \
libsqlite3-dev, libsqlitecpp-dev, libssl-dev, libfmt-dev, libspdlog-dev, libcli11-dev, libhdf5-dev, zlib1g-dev, libzip-dev, libopenmpi-dev")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS "python3-matplotlib, python3-yaml, python3-numpy")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "slurm-client")
include(CPack)
