#!/bin/sh
# Builds the self-contained release binaries: the Swift runtime (standard library, Dispatch,
# FoundationEssentials) linked statically, so snap-export needs only libc6, libstdc++6 and libgcc-s1 of the
# host, never a Swift toolchain. The one home of the release build flags; docs/packaging.md says why each.
#
#   dist/build-release.sh [SWIFT BUILD OPTIONS...]      e.g. --product snap-export
#
# Prints the directory of the binaries on its last line. The build directory is .build-static (or
# $SNAP_EXPORT_BUILD_DIR), apart from .build, so a debug build and this one never rebuild each other.
set -eu
cd "$(dirname "$0")/.."
scratch="${SNAP_EXPORT_BUILD_DIR:-.build-static}"
# --static-swift-stdlib   the Swift runtime inside the binary (no toolchain needed at run time)
# --disable-local-rpath   no RUNPATH $ORIGIN: nothing is loaded from next to the binary
# lld, -z pack-relative-relocs   DT_RELR: the ~37,000 relative relocations of a static Swift binary packed
#                         (peak RSS of a no-op refresh 9.6-9.9 MiB instead of 10.3-10.7; needs glibc >= 2.36)
# -disable-concrete-type-metadata-mangled-name-accessors   our code gets a generic type's metadata from its
#                         accessor, not by demangling its name at run time (the first demangling of each type
#                         looks up its conformances: ~0.4 ms of a no-op refresh of 3 ms)
set -- -c release --static-swift-stdlib --disable-local-rpath --scratch-path "$scratch" \
    -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs \
    -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors "$@"
swift build "$@" >&2
swift build "$@" --show-bin-path
