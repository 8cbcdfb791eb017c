#!/bin/sh
# Installs the build into a temporary prefix and uses it as an application would:
#   1. the layout: public headers only (include/edgeinfer/edgeinfer.h, edgeinfer.hpp), the versioned
#      libedgeinfer.so with its links, plugins in <libdir>/edgeinfer, SoC profiles in
#      share/edgeinfer/configs, the CLI, the CMake package and edgeinfer.pc, no static library;
#   2. the .deb's declared Depends are exactly the packages of the DT_NEEDED libraries of the installed
#      binaries (looked up with dpkg -S; CUDA's own libraries, which no Debian package provides, are
#      allowed for the CUDA plugin only);
#   3. an out-of-tree project (tests/sdk/consumer) configured with find_package(edgeinfer CONFIG):
#      a C++ and a C99 program; the C99 program again through pkg-config and the C compiler alone;
#      the robotics example (apps/examples) built on its own against the prefix;
#   4. all of them run on the zoo's tiny CNN, and find the SoC profile in the prefix (not the source tree).
#   install_test.sh <build dir> <source dir> "<Depends of the .deb>"
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) depends=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ei_install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tmp=$(cd "$tmp" && pwd -P)
prefix=$tmp/prefix
fail() { echo "FAIL: $*"; exit 1; }
unset EDGEINFER_CONFIG_DIR EDGEINFER_PLUGIN_DIR || true

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }

# 1. Layout.
headers=$(cd "$prefix/include" && find . -type f | sort | tr '\n' ' ')
[ "$headers" = "./edgeinfer/edgeinfer.h ./edgeinfer/edgeinfer.hpp " ] || fail "installed headers are: $headers"
real=$(find "$prefix" -name 'libedgeinfer.so.*.*.*' -type f)
[ -n "$real" ] || fail "no libedgeinfer.so.X.Y.Z installed"
libdir=$(dirname "$real")
version=${real##*/libedgeinfer.so.}
soname=$(objdump -p "$real" | awk '$1 == "SONAME" {print $2}')
[ -L "$libdir/$soname" ] && [ -L "$libdir/libedgeinfer.so" ] || fail "links $soname / libedgeinfer.so missing in $libdir"
echo "library: $real (SONAME $soname)"
for plugin in libedgeinfer_cuda.so libedgeinfer_imageio.so; do
  if [ -n "$(find "$build" -name "$plugin" -not -path '*/_CPack_Packages/*' | head -1)" ]; then
    [ -f "$libdir/edgeinfer/$plugin" ] || fail "$plugin built but not installed in $libdir/edgeinfer"
    echo "plugin: $libdir/edgeinfer/$plugin"
  fi
done
[ -f "$prefix/share/edgeinfer/configs/orin-agx.yaml" ] || fail "SoC profiles not in share/edgeinfer/configs"
[ -x "$prefix/bin/edgeinfer" ] || fail "CLI not in bin/"
[ -f "$libdir/cmake/edgeinfer/edgeinfer-config.cmake" ] && [ -f "$libdir/cmake/edgeinfer/edgeinfer-config-version.cmake" ] \
  || fail "CMake package missing"
[ -f "$libdir/pkgconfig/edgeinfer.pc" ] || fail "edgeinfer.pc missing"
[ -z "$(find "$prefix" -name '*.a')" ] || fail "static libraries installed: $(find "$prefix" -name '*.a')"
"$prefix/bin/edgeinfer" --version > /dev/null || fail "installed CLI does not run"

# 2. Declared Debian dependencies are exactly what the binaries need.
used=""
for elf in "$prefix/bin/edgeinfer" "$real" "$libdir"/edgeinfer/*.so; do
  [ -f "$elf" ] || continue
  for needed in $(objdump -p "$elf" | awk '$1 == "NEEDED" {print $2}'); do
    case "$(basename "$elf"):$needed" in
      libedgeinfer_cuda.so:libcu*) continue ;;   # CUDA runtime, cuBLAS, cuDNN: NVIDIA's installer, documented
    esac
    path=$(ldd "$elf" | awk -v n="$needed" '$1 == n {print $3} $1 ~ ("/" n "$") {print $1}' | head -1)   # ld-linux: "/lib64/ld-linux... (addr)"
    [ -n "$path" ] && [ "$path" != "not" ] || fail "$(basename "$elf"): $needed not found by ldd"
    pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || true
    [ -n "$pkg" ] || pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1) || true
    if [ -z "$pkg" ]; then
      fail "$(basename "$elf"): $needed ($path) belongs to no Debian package"
    fi
    echo ", $depends," | grep -q ", $pkg[ ,(]" || fail "$(basename "$elf") needs $needed from $pkg, which the .deb does not declare ($depends)"
    used="$used $pkg "
  done
done
for pkg in $(echo "$depends" | tr ',' ' '); do   # and nothing declared that no binary needs
  case "$used" in *" $pkg "*) ;; *) fail "the .deb declares $pkg, which no installed binary needs" ;; esac
done
echo "Depends: $depends (exactly the packages of the DT_NEEDED libraries)"

# 3. Out-of-tree builds.
cmake -S "$src/tests/sdk/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  > "$tmp/consumer.log" 2>&1 && cmake --build "$tmp/consumer" >> "$tmp/consumer.log" 2>&1 \
  || { cat "$tmp/consumer.log"; fail "the find_package consumer does not build"; }
export PKG_CONFIG_PATH="$libdir/pkgconfig"
pc_version=$(pkg-config --modversion edgeinfer)
[ "$pc_version" = "$version" ] || fail "edgeinfer.pc says version $pc_version, the library is $version"
${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L "$src/tests/sdk/consumer/consumer.c" \
  $(pkg-config --cflags --libs edgeinfer) -Wl,-rpath,"$libdir" -lm -pthread -o "$tmp/consumer-c-pkgconfig" \
  || fail "the C99 consumer does not build with pkg-config"
cmake -S "$src/apps/examples" -B "$tmp/examples" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  > "$tmp/examples.log" 2>&1 && cmake --build "$tmp/examples" >> "$tmp/examples.log" 2>&1 \
  || { cat "$tmp/examples.log"; fail "the robotics example does not build against the installed package"; }
for exe in "$tmp/consumer/edgeinfer-consumer-c" "$tmp/consumer/edgeinfer-consumer-cpp" "$tmp/consumer-c-pkgconfig" \
           "$tmp/examples/edgeinfer-robotics-example"; do
  lib=$(ldd "$exe" | awk '$1 ~ /^libedgeinfer.so/ {print $3}')
  [ "$(readlink -f "$lib")" = "$(readlink -f "$real")" ] || fail "$(basename "$exe") loads libedgeinfer from '$lib', not the prefix"
done
echo "built: consumer (C++ and C99 via find_package), C99 via pkg-config, robotics example"

# 4. Run them on the tiny CNN, from a folder outside both trees.
model=$build/models/tiny_cnn.onnx
[ -f "$model" ] || fail "zoo model missing: $model"
profile="$prefix/share/edgeinfer/configs/orin-agx.yaml"
cd "$tmp"
for exe in consumer/edgeinfer-consumer-c consumer-c-pkgconfig consumer/edgeinfer-consumer-cpp; do
  out=$("./$exe" "$model" orin-agx 2>&1) || { echo "$out"; fail "$exe exited $?"; }
  echo "$out" | grep -q "^ok$" || { echo "$out"; fail "$exe did not finish"; }
  echo "$out" | grep -q "profile: $profile" || { echo "$out"; fail "$exe did not read the installed profile $profile"; }
done
echo "$out"
out=$(./examples/edgeinfer-robotics-example --model "$model" --fps 20 --seconds 1 2>&1) || { echo "$out"; fail "robotics example exited $?"; }
echo "$out" | grep -q "order: ok" && echo "$out" | grep -q "\[clock: target\]" || { echo "$out"; fail "robotics example output"; }
echo "$out" | tail -3
echo "install test: ok ($prefix)"
