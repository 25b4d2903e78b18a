#!/usr/bin/env bash
# Fetches the Debian/Ubuntu `snapd` package and unpacks it into fixtures/snapd (git-ignored), for the tests
# that need real snapd tools (Tests/SnapdExportTests). Idempotent: does nothing when the tree is already there.
# Usage: .ci/fetch-snapd.sh [DESTINATION]   (default: <repository>/fixtures/snapd)
set -euo pipefail
cd "$(dirname "$0")/.."
destination="${1:-$PWD/fixtures/snapd}"
if [ -f "$destination/usr/lib/snapd/info" ]; then
    exit 0
fi
for tool in apt-get dpkg-deb; do
    command -v "$tool" >/dev/null 2>&1 || { echo "fetch-snapd: $tool is not installed" >&2; exit 2; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
(cd "$work" && apt-get download -qq snapd >/dev/null)
package="$(ls "$work"/snapd_*.deb 2>/dev/null | head -n 1)"
[ -n "$package" ] || { echo "fetch-snapd: apt-get download snapd produced no package" >&2; exit 1; }
mkdir -p "$work/tree"
dpkg-deb -x "$package" "$work/tree"
[ -f "$work/tree/usr/lib/snapd/info" ] || { echo "fetch-snapd: $package has no usr/lib/snapd/info" >&2; exit 1; }
mkdir -p "$(dirname "$destination")"
rm -rf "$destination.partial"
mv "$work/tree" "$destination.partial"
rm -rf "$destination"
mv "$destination.partial" "$destination"
echo "fetch-snapd: unpacked $(basename "$package") into $destination"
