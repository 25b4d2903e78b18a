#!/bin/sh
# Builds the Debian package of snap-export from a clean checkout, with dpkg-deb:
#
#   dist/debian/build-deb.sh [--binary FILE] [--output DIR]
#
# --binary   package this snap-export instead of building it with dist/build-release.sh
# --output   where the .deb goes (default: the repository's top directory)
#
# Prints the path of the .deb on its last line. What goes where, and why: docs/packaging.md.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
debian="$repo/dist/debian"
binary=""
output="$repo"
while [ $# -gt 0 ]; do
    case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    *) echo "build-deb.sh: unknown argument '$1'" >&2; exit 64 ;;
    esac
done

for tool in dpkg-deb dpkg-shlibdeps dpkg-parsechangelog gzip strip readelf; do
    command -v "$tool" >/dev/null || { echo "build-deb.sh: needs $tool (apt-get install dpkg-dev binutils)" >&2; exit 69; }
done

version=$(dpkg-parsechangelog -l "$debian/changelog" -S Version)
maintainer=$(dpkg-parsechangelog -l "$debian/changelog" -S Maintainer)
architecture=$(dpkg --print-architecture)
# Reproducible: every timestamp in the package is the changelog's.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$debian/changelog" -S Timestamp)
export SOURCE_DATE_EPOCH

if [ -z "$binary" ]; then
    binary="$("$repo/dist/build-release.sh" --product snap-export | tail -n 1)/snap-export"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/snap-export-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root="$stage/snap-export"
umask 022

# The binary, stripped as dh_strip strips an executable.
install -D -m 0755 "$binary" "$root/usr/bin/snap-export"
strip --remove-section=.comment --remove-section=.note "$root/usr/bin/snap-export"

# Made from the repository: the man page and the changelog gzipped, the completion from the binary itself.
install -d "$root/usr/share/man/man8" "$root/usr/share/doc/snap-export" "$root/usr/share/bash-completion/completions"
gzip -9n -c "$repo/dist/man/snap-export.8" >"$root/usr/share/man/man8/snap-export.8.gz"
gzip -9n -c "$debian/changelog" >"$root/usr/share/doc/snap-export/changelog.Debian.gz"
install -m 0644 "$debian/copyright" "$root/usr/share/doc/snap-export/copyright"
"$root/usr/bin/snap-export" completion bash >"$root/usr/share/bash-completion/completions/snap-export"

# Everything else dist/ ships, by the list in dist/debian/install.
grep -v '^[[:space:]]*\(#\|$\)' "$debian/install" | while read -r source destination mode; do
    [ -f "$repo/$source" ] || { echo "build-deb.sh: dist/debian/install names $source, which does not exist" >&2; exit 66; }
    install -D -m "${mode:-0644}" "$repo/$source" "$root/$destination/$(basename "$source")"
done

# Depends: what the binary links, as dpkg-shlibdeps computes it (it wants a debian/control to read).
mkdir -p "$stage/debian"
printf 'Source: snap-export\n\nPackage: snap-export\nArchitecture: any\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O -e"snap-export/usr/bin/snap-export" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 70; }
# A DT_RELR binary needs glibc >= 2.36 (the GLIBC_ABI_DT_RELR version the linker records); dpkg-shlibdeps
# only counts versions of symbols, so it says less when the binary uses no 2.36 symbol.
if readelf -V "$root/usr/bin/snap-export" | grep -q 'GLIBC_ABI_DT_RELR'; then
    libc=$(printf '%s\n' "$depends" | sed -n 's/.*libc6 (>= \([^)]*\)).*/\1/p')
    if [ -z "$libc" ] || dpkg --compare-versions "$libc" lt 2.36; then
        depends=$(printf '%s\n' "$depends" | sed 's/libc6 (>= [^)]*)/libc6 (>= 2.36)/; s/^libc6,/libc6 (>= 2.36),/')
    fi
fi

install -d "$root/DEBIAN"
for script in postinst prerm postrm; do install -m 0755 "$debian/$script" "$root/DEBIAN/$script"; done
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
# Whatever the list puts under /etc is configuration the admin may edit: a conffile (policy 10.7.2).
if [ -d "$root/etc" ]; then
    (cd "$root" && find etc -type f | LC_ALL=C sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"
    chmod 0644 "$root/DEBIAN/conffiles"
fi
installed_size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: snap-export
Version: $version
Architecture: $architecture
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Section: admin
Priority: optional
Description: atomic export of snapd's tools to snap mount namespaces
 snap-export keeps /var/lib/snapd/export for snapd: an immutable generation
 directory of symlinks per source of exported content (each snap revision
 and the host's packaged snapd), and one current link per exported name,
 switched atomically with renameat2, so that a snap running in its own mount
 namespace never finds snap-exec or snapctl missing while snapd or core is
 refreshed.
 .
 The package runs "snap-export refresh" whenever /snap/snapd or /snap/core
 changes (snap-export-refresh.path) and removes unused generations daily
 (snap-export-gc.timer).
CONTROL

# Owned by root whoever builds it; mtimes clamped to SOURCE_DATE_EPOCH by dpkg-deb.
find "$root" -newermt "@$SOURCE_DATE_EPOCH" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$output"
deb="$output/snap-export_${version}_${architecture}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
