#!/usr/bin/env bash
# Builds the Flash container image `localhost/flash:core` (or `:full`) with
# podman, with no container registry: the Debian 12 base image is made here with debootstrap
# (cached) and imported as `localhost/debian:12`.
#
#   bash deploy/container/build.sh                    # as root, from anywhere
#   FLASH_FLAVOUR=full bash deploy/container/build.sh # every language
#
# Needs the prebuilt binary target/release/flash (built by `cargo build
# --release` on the host: Debian 12's Rust is too old to build Flash inside
# the image). Settings (environment):
#   DEBIAN_MIRROR  where debootstrap and the image's apt fetch from
#                  [default: http://deb.debian.org/debian]
#   FLASH_BASE_TAR the cached base rootfs [default: /var/cache/flash-container/bookworm-base.tar]
#   FLASH_FLAVOUR  core (the core languages, as scripts/setup.sh installs by
#                  default) or full (every language: FLASH_SETUP_LANGUAGES=all)
#                  [default: core]
#   FLASH_IMAGE    the image to build [default: localhost/flash:$FLASH_FLAVOUR]
#   REBUILD_BASE=1 make the base rootfs again (e.g. for Debian point releases)
#   REDIS_IMAGE    also build this Redis image for compose.split.yaml
#                  [default: localhost/redis:7-bookworm; empty: skip]
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
base_tar=${FLASH_BASE_TAR:-/var/cache/flash-container/bookworm-base.tar}
base_image=localhost/debian:12
flavour=${FLASH_FLAVOUR:-core}
case "$flavour" in core | full) ;; *) echo "build.sh: FLASH_FLAVOUR is core or full, not '$flavour'" >&2; exit 2 ;; esac
image=${FLASH_IMAGE:-localhost/flash:$flavour}
say() { printf '[build.sh %(%T)T] %s\n' -1 "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "build.sh: run as root (debootstrap and rootful podman)" >&2; exit 1; }

# 1. Tools: Debian's podman 4.3 and debootstrap, only when missing.
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        uidmap fuse-overlayfs slirp4netns crun containernetworking-plugins
fi

# Host quirks of podman itself (runtime, rlimits), if any: see podman-env.sh.
# shellcheck source=deploy/container/podman-env.sh
. deploy/container/podman-env.sh

# Names between a compose file's containers (the split file's server and
# workers reach "redis" by name): netavark answers them with aardvark-dns; the
# CNI backend (Debian's podman installed without its recommends, as above)
# only with the dnsname plugin, without which they wait for Redis forever.
if [ "$(podman info --format '{{.Host.NetworkBackend}}')" = cni ] && [ ! -x /usr/lib/cni/dnsname ]; then
    say "installing the dnsname CNI plugin (container names in compose networks)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        golang-github-containernetworking-plugin-dnsname
fi

# 2. The binary (built outside the image).
if [ ! -x target/release/flash ]; then
    if command -v cargo >/dev/null; then
        say "target/release/flash is missing: cargo build --release --bin flash"
        cargo build --release --bin flash
    else
        echo "build.sh: target/release/flash is missing; build it with 'cargo build --release' first" >&2
        exit 1
    fi
fi

# 3. The base rootfs: debootstrap minbase (apt, dpkg, bash, coreutils), cached
#    as a tarball so later builds take no network for it.
if [ ! -s "$base_tar" ] || [ "${REBUILD_BASE:-0}" = 1 ]; then
    say "debootstrap bookworm (minbase) from $mirror"
    rootfs=$(mktemp -d /var/tmp/flash-rootfs.XXXXXX)
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
    # The image's own apt sources: the release, its updates and security.
    security=${mirror%/debian}/debian-security
    cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
    # Lean: no package lists, no downloaded .debs, no docs/man/locales in later installs.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
        "$rootfs"/usr/share/locale/*
    cat > "$rootfs/etc/dpkg/dpkg.cfg.d/01-lean" <<'DPKG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
    cat > "$rootfs/etc/apt/apt.conf.d/01-lean" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
APT
    : > "$rootfs/etc/hostname"
    mkdir -p "$(dirname "$base_tar")"
    tar --numeric-owner --xattrs -C "$rootfs" -cf "$base_tar.tmp" .
    mv "$base_tar.tmp" "$base_tar"
    rm -rf "$rootfs"
    trap - EXIT
    podman rmi -f "$base_image" >/dev/null 2>&1 || true
fi

# 4. Import it as localhost/debian:12 (again when the tarball is newer than the image).
if podman image exists "$base_image"; then
    created=$(date -d "$(podman image inspect -f '{{.Created}}' "$base_image" | cut -d' ' -f1,2)" +%s)
    [ "$(stat -c %Y "$base_tar")" -le "$created" ] || podman rmi -f "$base_image" >/dev/null
fi
if ! podman image exists "$base_image"; then
    say "importing $base_tar as $base_image"
    podman import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        "$base_tar" "$base_image" >/dev/null
fi

# 5. The Flash image. --format docker: the OCI image format has no HEALTHCHECK,
#    podman drops it there with a warning. The ignore file keeps the build
#    context (the repo root) down to the binary.
say "building $image ($flavour)"
t0=$(date +%s)
podman build --format docker \
    --build-arg FLASH_FLAVOUR="$flavour" \
    --build-arg FLASH_PACKAGES_SHA256="$(bash scripts/setup.sh --packages "${flavour/full/all}" | sha256sum | cut -d' ' -f1)" \
    --build-arg FLASH_BINARY_SHA256="$(sha256sum target/release/flash | cut -d' ' -f1)" \
    --ignorefile deploy/container/Containerfile.dockerignore \
    -f deploy/container/Containerfile -t "$image" "$repo"
say "done: $(podman image inspect -f '{{.Size}}' "$image" | numfmt --to=iec) $image in $(($(date +%s) - t0)) s"

# 6. Redis for split mode, from Debian's redis-server (no registry here).
redis_image=${REDIS_IMAGE-localhost/redis:7-bookworm}
if [ -n "$redis_image" ]; then
    say "building $redis_image"
    podman build --format docker --ignorefile deploy/container/Containerfile.dockerignore \
        -f deploy/container/Containerfile.redis -t "$redis_image" "$repo"
    say "done: $(podman image inspect -f '{{.Size}}' "$redis_image" | numfmt --to=iec) $redis_image"
fi
