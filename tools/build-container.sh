#!/bin/sh
# build-container.sh [--debs DIR] [--test] [--tag NAME]
#
# Builds the container image of Containerfile (default tag
# localhost/libguestfsd:latest): a Debian 12 root from debootstrap
# (tools/debian-root.sh) imported with `podman import` as the base, then
# the packages of tools/build-debs.sh, guestfish and guestfs-tools
# installed with apt inside the build.
#
#   --debs DIR   use the .deb files of DIR instead of building them
#   --test       then make a small fake Debian guest image in a scratch
#                directory with guestfish in the container, and run
#                virt-inspector on it in the container
#   --tag NAME   the image's name
#
# podman runs here as `podman --runtime runc --cgroup-manager cgroupfs`
# with `--ulimit nofile=4096:4096 --ulimit nproc=4096:4096` (crun refuses
# a hybrid cgroup setup; the default rlimits exceed the hard limits);
# PODMAN_OPTS and RUN_OPTS replace those.  Needs root, podman and runc
# (installed with apt when missing).
set -eu
prog=build-container.sh
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null && exec sudo -- /bin/sh "$0" "$@"
    echo "$prog: needs root (debootstrap, podman)" >&2
    exit 1
fi
debs=
test=no
tag=localhost/libguestfsd:latest
while [ $# -gt 0 ]; do
    case "$1" in
    --debs) debs=$(readlink -f "$2"); shift 2 ;;
    --test) test=yes; shift ;;
    --tag) tag=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "$prog: unknown argument $1" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."

if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
    echo "$prog: installing podman and runc"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc >/dev/null
fi
podman_opts=${PODMAN_OPTS:---runtime runc --cgroup-manager cgroupfs}
run_opts=${RUN_OPTS:---ulimit nofile=4096:4096 --ulimit nproc=4096:4096}
t0=$(date +%s)
step() { echo "$prog: [$(($(date +%s) - t0)) s] $*"; }

tmp=$(mktemp -d /var/tmp/build-container.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
ctx=$tmp/context
mkdir -p "$ctx/debs"
if [ -z "$debs" ]; then
    step "building the packages"
    tools/build-debs.sh "$tmp/debs"
    debs=$tmp/debs
fi
cp "$debs"/libguestfsd0_*.deb "$debs"/libguestfsd-bin_*.deb "$ctx/debs/"
cp Containerfile "$ctx/"
tools/debian-root.sh --sources >"$ctx/debian.sources"

base_tar=$(tools/debian-root.sh)
step "podman import $base_tar"
# shellcheck disable=SC2086
podman $podman_opts import --change 'CMD ["/bin/bash"]' "$base_tar" localhost/libguestfsd-base:bookworm >/dev/null
step "podman build $tag"
# shellcheck disable=SC2086
podman $podman_opts build --network host $run_opts --build-arg BASE=localhost/libguestfsd-base:bookworm \
    -t "$tag" -f "$ctx/Containerfile" "$ctx"
step "built $tag ($(podman $podman_opts image inspect --format '{{.Size}}' "$tag" | awk '{printf "%d MB", $1 / 1e6}'))"

[ "$test" = yes ] || exit 0
# A fake Debian guest, made with guestfish in the container, then
# virt-inspector in the container, as a user would run them.
img=$tmp/images
mkdir -p "$img"
run() {
    # shellcheck disable=SC2086
    podman $podman_opts run --rm -i --privileged --network none $run_opts \
        -v /dev:/dev -v "$img":/images "$tag" "$@"
}
step "guestfish in the container: a fake Debian guest in disk.img"
run guestfish -N /images/disk.img=fs:ext4:64M -m /dev/sda1 <<'FISH'
mkdir-p /etc
mkdir-p /bin
mkdir-p /var/lib/dpkg
write /etc/os-release "ID=debian\nVERSION_ID=\"12\"\nNAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
write /etc/debian_version "12.5\n"
write /etc/hostname "container-guest\n"
write /etc/fstab "/dev/sda1 / ext4 defaults 0 1\n"
upload /bin/ls /bin/ls
chmod 0755 /bin/ls
write /var/lib/dpkg/status "Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.10-3\nDescription: hello\n\n"
FISH
step "virt-inspector in the container"
run virt-inspector -a /images/disk.img >"$tmp/inspect.xml"
cat "$tmp/inspect.xml"
if grep -q "<hostname>container-guest</hostname>" "$tmp/inspect.xml" &&
    grep -q "<distro>debian</distro>" "$tmp/inspect.xml"; then
    echo "$prog: PASS: virt-inspector in the container found the guest"
else
    echo "$prog: FAIL: virt-inspector in the container"
    exit 1
fi
