# `cmake --install` and CPack: the binary on PATH, the Python helpers importable, the shipped sweep
# files, tools and docs under share/. Paths follow Debian's layout so the .deb and a /usr/local
# install behave alike (Debian's python3 reads both .../lib/python3/dist-packages).
include(GNUInstallDirs)

install(TARGETS sweep_runner RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Modules plotting scripts and users' job scripts import (`import sweep_index`, `import sweep_job`).
install(FILES tools/sweep_index.py tools/sweep_job.py
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/python3/dist-packages)
# Everything else in tools/ is a script run by path; development-only scripts stay behind.
file(GLOB tool_scripts CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tools/*.py)
list(FILTER tool_scripts EXCLUDE REGEX "/(sweep_index|sweep_job)\\.py$")
install(PROGRAMS ${tool_scripts} DESTINATION ${CMAKE_INSTALL_DATADIR}/sweep_runner/tools)
install(DIRECTORY sweeps/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sweep_runner/sweeps)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME sweep-runner)
set(CPACK_PACKAGE_VENDOR "sweep_runner developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Parameter sweeps of spiking-neural-network simulations (threads, MPI, Slurm)")
set(CPACK_PACKAGE_CONTACT "sweep_runner developers <maintainers@users.noreply.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Library dependencies come from dpkg-shlibdeps (what the binary links); the Python helpers need
# these Debian packages, the plotting scripts more.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "openmpi-bin, python3, python3-pandas, python3-h5py")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-matplotlib, python3-yaml, python3-numpy")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "slurm-client")
include(CPack)
