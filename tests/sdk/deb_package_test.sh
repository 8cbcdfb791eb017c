#!/bin/sh
# `cpack -G DEB` makes edgeinfer_<version>_<arch>.deb: its control file declares the Depends that
# cmake/Packaging.cmake lists, its payload is the install layout under /usr, apt resolves its
# dependencies on this system (apt-get install --simulate ./edgeinfer_*.deb, when apt-get is there),
# and the unpacked tree works as installed: the C99 consumer builds through the package's
# edgeinfer.pc and runs on the tiny CNN with the package's SoC profile.
#   deb_package_test.sh <build dir> <source dir> "<Depends>"
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) depends=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ei_deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tmp=$(cd "$tmp" && pwd -P)
fail() { echo "FAIL: $*"; exit 1; }
unset EDGEINFER_CONFIG_DIR EDGEINFER_PLUGIN_DIR || true

(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" > "$tmp/cpack.log" 2>&1) \
  || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/out/edgeinfer_*.deb)
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
got=$(dpkg-deb -f "$deb" Depends)
[ "$got" = "$depends" ] || fail "Depends is '$got', expected '$depends'"
dpkg-deb -c "$deb" | awk '{print $NF}' > "$tmp/contents"
for f in ./usr/include/edgeinfer/edgeinfer.h ./usr/include/edgeinfer/edgeinfer.hpp ./usr/bin/edgeinfer \
         ./usr/share/edgeinfer/configs/orin-agx.yaml; do
  grep -qx "$f" "$tmp/contents" || fail "$f not in the package"
done
grep -q '^\./usr/lib/.*libedgeinfer\.so\.[0-9]*\.[0-9]*\.[0-9]*$' "$tmp/contents" || fail "no versioned library in the package"
grep -q '^\./usr/lib/.*edgeinfer/edgeinfer-config\.cmake$' "$tmp/contents" || fail "no CMake package in the package"
grep -q '^\./usr/lib/.*pkgconfig/edgeinfer\.pc$' "$tmp/contents" || fail "no edgeinfer.pc in the package"
if [ "$(grep -c "^\./usr/include/.*[^/]$" "$tmp/contents")" -ne 2 ]; then   # the two headers
  fail "the package installs other headers: $(grep '^\./usr/include/' "$tmp/contents" | tr '\n' ' ')"
fi
if command -v apt-get > /dev/null; then
  apt-get install --simulate --no-install-recommends "$deb" > "$tmp/apt.log" 2>&1 \
    || { cat "$tmp/apt.log"; fail "apt-get cannot install $(basename "$deb") here"; }
  echo "apt-get install --simulate ./$(basename "$deb"): ok"
fi

dpkg-deb -x "$deb" "$tmp/root"
root=$tmp/root/usr
pc=$(find "$root" -name edgeinfer.pc)
libdir=$(dirname "$(dirname "$pc")")
PKG_CONFIG_PATH=$(dirname "$pc") ${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
  "$src/tests/sdk/consumer/consumer.c" $(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs edgeinfer) \
  -Wl,-rpath,"$libdir" -lm -pthread -o "$tmp/consumer-c" || fail "the C99 consumer does not build against the package"
out=$("$tmp/consumer-c" "$build/models/tiny_cnn.onnx" orin-agx 2>&1) || { echo "$out"; fail "consumer exited $?"; }
echo "$out" | grep -q "profile: $root/share/edgeinfer/configs/orin-agx.yaml" || { echo "$out"; fail "the package's profile was not used"; }
echo "$out" | grep -q "^ok$" || { echo "$out"; fail "consumer did not finish"; }
"$root/bin/edgeinfer" --version
echo "deb package test: ok"
