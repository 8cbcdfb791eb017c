"""Seeded text renderer for the real-model accuracy suite (tools/real_models/).

Draws glyphs, text lines and text pages with the TrueType fonts Debian installs (fonts-dejavu-core,
fonts-liberation2, fonts-freefont-ttf) through Pillow (python3-pil). Every function takes a seed and
returns the same pixels for the same seed, font set and Pillow version; the ground truth (labels,
strings, boxes) comes from the renderer itself, so nothing is hand-labelled.

Limits: Latin letters and digits only; backgrounds are flat grey levels with Gaussian noise, not
photographs; fonts are whatever of the three packages is installed (the list is printed by
`render.py --fonts`).
"""
import glob
import os
import random
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation2",
             "/usr/share/fonts/truetype/liberation", "/usr/share/fonts/truetype/freefont"]
INSTALL_HINT = "apt-get install python3-pil fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf"

# Words for text lines: common English words, numbers and codes (every character is in PaddleOCR's
# ppocr_keys_v1 dictionary).
WORDS = ("the of and to in is for on with as by at from this that are be was or an it not we can all "
         "data model engine input output layer scale value time total price order number page line "
         "north south east west river street station market office hotel bank school garden park "
         "open close exit entry push pull stop slow left right car bus train ticket gate floor room "
         "monday friday april june october coffee water bread milk sugar salt paper metal glass wood").split()


def fonts():
    """Regular/bold/oblique TrueType fonts found in FONT_DIRS, sorted; math/symbol fonts excluded."""
    out = []
    for d in FONT_DIRS:
        for f in sorted(glob.glob(os.path.join(d, "*.ttf"))):
            base = os.path.basename(f)
            if "Math" in base or "ExtraLight" in base:
                continue
            out.append(f)
    return out


def require_fonts():
    fs = fonts()
    if not fs:
        raise SystemExit("render.py: no TrueType fonts in " + ", ".join(FONT_DIRS) + " (" + INSTALL_HINT + ")")
    return fs


def _noise(img, rng, sigma):
    a = np.asarray(img, dtype=np.float32)
    a = a + rng.normal(0.0, sigma, a.shape).astype(np.float32)
    return np.clip(a, 0, 255)


def glyph(ch, rng, size=32):
    """One character, centred with jitter, random font/size/rotation/contrast: uint8-range float [size, size]."""
    fs = require_fonts()
    font = ImageFont.truetype(fs[rng.integers(len(fs))], int(rng.integers(int(size * 0.55), int(size * 0.85))))
    bg = int(rng.integers(0, 90))
    fg = int(rng.integers(170, 256))
    if rng.random() < 0.5:
        bg, fg = 255 - bg, 255 - fg
    big = Image.new("L", (size * 2, size * 2), bg)
    d = ImageDraw.Draw(big)
    x0, y0, x1, y1 = d.textbbox((0, 0), ch, font=font)
    cx = size - (x0 + x1) / 2 + rng.uniform(-size * 0.12, size * 0.12)
    cy = size - (y0 + y1) / 2 + rng.uniform(-size * 0.12, size * 0.12)
    d.text((cx, cy), ch, fill=fg, font=font)
    big = big.rotate(float(rng.uniform(-12, 12)), resample=Image.BILINEAR, fillcolor=bg)
    img = big.crop((size // 2, size // 2, size // 2 + size, size // 2 + size))
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.0))))
    return _noise(img, rng, float(rng.uniform(0, 12)))


def glyph_set(classes, n, seed, size=32):
    """n glyphs of `classes` (a string), labels uniform: (float32 [n,1,size,size] in [-1,1], int64 labels)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, size, size), np.float32)
    y = rng.integers(0, len(classes), n).astype(np.int64)
    for i in range(n):
        x[i, 0] = glyph(classes[y[i]], rng, size) / 127.5 - 1.0
    return x, y


def random_text(rng, max_words=3):
    words = []
    for _ in range(int(rng.integers(1, max_words + 1))):
        r = rng.random()
        if r < 0.2:
            words.append(str(int(rng.integers(0, 100000))))
        else:
            w = WORDS[rng.integers(len(WORDS))]
            if rng.random() < 0.3:
                w = w.capitalize()
            elif rng.random() < 0.15:
                w = w.upper()
            words.append(w)
    return " ".join(words)


def text_line(text, rng, height=48, fonts_list=None):
    """A tight crop of one text line (RGB uint8, height `height`), dark text on light or the reverse."""
    fs = fonts_list or require_fonts()
    font = ImageFont.truetype(fs[rng.integers(len(fs))], int(height * rng.uniform(0.55, 0.75)))
    bg = int(rng.integers(170, 256))
    fg = int(rng.integers(0, 80))
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    x0, y0, x1, y1 = probe.textbbox((0, 0), text, font=font)
    pad = int(height * 0.15)
    w, h = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    img = Image.new("RGB", (w, h), (bg, bg, bg))
    tint = tuple(int(np.clip(fg + rng.integers(-20, 21), 0, 255)) for _ in range(3))
    ImageDraw.Draw(img).text((pad - x0, pad - y0), text, fill=tint, font=font)
    img = img.resize((max(8, int(round(w * height / h))), height), Image.BILINEAR)
    return _noise(img, rng, float(rng.uniform(0, 6))).astype(np.uint8)


def page(rng, width=320, height=320, max_lines=5):
    """A page with up to max_lines non-overlapping text lines: (RGB uint8 [h,w,3], boxes [(x0,y0,x1,y1)], texts)."""
    fs = require_fonts()
    bg = int(rng.integers(180, 256))
    img = Image.new("RGB", (width, height), (bg, bg, bg))
    d = ImageDraw.Draw(img)
    boxes, texts = [], []
    for _ in range(max_lines * 4):
        if len(boxes) >= max_lines:
            break
        text = random_text(rng, 2)
        font = ImageFont.truetype(fs[rng.integers(len(fs))], int(rng.integers(14, 30)))
        x0, y0, x1, y1 = d.textbbox((0, 0), text, font=font)
        w, h = x1 - x0, y1 - y0
        if w >= width - 8:
            continue
        px = int(rng.integers(4, width - w - 4))
        py = int(rng.integers(4, height - h - 4))
        box = (px, py, px + w, py + h)
        if any(not (box[2] + 6 < b[0] or b[2] + 6 < box[0] or box[3] + 6 < b[1] or b[3] + 6 < box[1]) for b in boxes):
            continue
        fg = int(rng.integers(0, 90))
        d.text((px - x0, py - y0), text, fill=(fg, fg, fg), font=font)
        boxes.append(box)
        texts.append(text)
    return _noise(img, rng, float(rng.uniform(0, 5))).astype(np.uint8), boxes, texts


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--fonts":
        print("\n".join(fonts()) or "no fonts (" + INSTALL_HINT + ")")
        sys.exit(0)
    # Preview: writes a few samples as PNG into the folder given (default ./render_preview).
    out = sys.argv[1] if len(sys.argv) > 1 else "render_preview"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(glyph("0123456789"[i], rng).astype(np.uint8)).save(os.path.join(out, f"glyph{i}.png"))
        Image.fromarray(text_line(random_text(rng), rng)).save(os.path.join(out, f"line{i}.png"))
    p, boxes, texts = page(rng)
    Image.fromarray(p).save(os.path.join(out, "page.png"))
    print(out, boxes, texts)
