#!/usr/bin/env bash
# Installs the Debian 12 packages sweep_runner needs to build, test and plot.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libopenmpi-dev openmpi-bin
  libeigen3-dev libyaml-cpp-dev libsqlite3-dev libsqlitecpp-dev sqlite3 libssl-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libhdf5-dev hdf5-tools libcli11-dev nlohmann-json3-dev
  zlib1g-dev  # core/data: .gz IDX files
  libzip-dev  # model exec: .npz results (np.savez, np.savez_compressed)
  dataset-fashion-mnist  # model csdp: Fashion-MNIST (IDX, /usr/share/datasets/fashion-mnist)
  slurm-wlm munge  # tests/slurm start a single-node Slurm (slurmctld, slurmd, munged) of their own
  python3 python3-numpy python3-scipy python3-pandas python3-h5py python3-matplotlib python3-yaml
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
