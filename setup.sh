#!/bin/sh
# setup.sh - install what mlscan needs (Debian 12 packages), build it, run an example scan.
#   ./setup.sh              everything: packages, build, a 4-rank example scan of shell3d (method mls)
#   ./setup.sh --no-example packages and build only
# Needs root or sudo for apt-get, and only when a package is missing.
set -eu
cd "$(dirname "$0")"
example=yes
[ "${1:-}" = "--no-example" ] && example=no

packages="gcc make autoconf automake libtool autoconf-archive pkg-config \
libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools libdnnl-dev libyaml-dev libmatheval-dev check \
python3-h5py python3-numpy python3-yaml python3-matplotlib python3-pandas clang"
missing=
for p in $packages; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
        echo "setup: installing Debian packages:$missing"
        if [ "$(id -u)" = 0 ]; then
                sudo=
        elif command -v sudo > /dev/null; then
                sudo=sudo
        else
                echo "setup: not root and no sudo: as root, run: apt-get install$missing" >&2
                exit 1
        fi
        $sudo apt-get update -q
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 \
                --no-install-recommends $missing
fi

[ -x configure ] && [ configure -nt configure.ac ] && [ configure -nt Makefile.am ] || autoreconf -fi
[ -f Makefile ] && [ config.status -nt configure ] || ./configure
make -j"$(nproc)"

[ "$example" = yes ] || exit 0
# Open MPI refuses root without these; yield_when_idle keeps oversubscribed ranks from spinning.
if [ "$(id -u)" = 0 ]; then
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p example-output
out=example-output/shell3d.h5
echo "+ mpiexec -n 4 ./mlscan share/examples/shell3d_mls.yaml --output $out --force"
mpiexec -n 4 ./mlscan share/examples/shell3d_mls.yaml --output "$out" --force
echo
echo "setup: the example scan wrote $(pwd)/$out"
echo "setup: look inside with:  h5ls -r $out   or   h5dump -a /points/rows $out"
echo "setup: run the tests with: make check"
