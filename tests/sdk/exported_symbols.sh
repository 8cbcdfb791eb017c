#!/bin/sh
# libedgeinfer.so exports the C API and nothing else: every defined dynamic symbol is ei_* (the
# version node EDGEINFER_0 aside), every function the header declares is exported, and the SONAME
# is libedgeinfer.so.MAJOR.MINOR. Decided and documented in sdk/edgeinfer.map: the C++ API is
# header-only over the C API, so no C++ symbol (no edgeinfer::, no std:: template copy, none of the
# linked-in protobuf/yaml-cpp/oneDNN) may leak.
#   exported_symbols.sh <libedgeinfer.so> <edgeinfer.h> <expected soname>
set -eu
lib=$1 header=$2 soname=$3
fail=0
syms=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
n=$(printf '%s\n' "$syms" | grep -c . || true)
leaked=$(printf '%s\n' "$syms" | grep -v -e '^ei_' -e '^EDGEINFER_0$' || true)
if [ -n "$leaked" ]; then
  echo "FAIL: symbols other than ei_* are exported ($(printf '%s\n' "$leaked" | wc -l) of $n):"
  printf '%s\n' "$leaked" | head -20
  fail=1
fi
declared=$(grep -v '^#' "$header" | grep -o 'EI_API[^(]*(' | sed 's/($//; s/.*[ *]//' | sort -u)
for f in $declared; do
  printf '%s\n' "$syms" | grep -qx "$f" || { echo "FAIL: $f is declared in $(basename "$header") but not exported"; fail=1; }
done
got=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
[ "$got" = "$soname" ] || { echo "FAIL: SONAME is '$got', expected '$soname'"; fail=1; }
echo "exported: $n symbols, $(printf '%s\n' "$declared" | wc -w) declared in the header; SONAME $got"
exit $fail
