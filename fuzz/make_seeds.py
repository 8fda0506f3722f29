#!/usr/bin/python3
"""make_seeds.py - writes the fuzzers' seed corpora under tests/corpus/<target>/ (run once; the
output is committed). Small valid files of every shape the parsers accept, plus a few near-misses.
Standard library only, except JPEG/GIF/TIFF/WebP/ICO seeds which need Pillow (skipped without it).
Usage: fuzz/make_seeds.py [MNIST_DIR]"""
import gzip
import json
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "corpus")
MNIST = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data", "mnist")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- safetensors -------------------------------------------------------------------------
def safetensors(sizes, bias="per-neuron", meta=True, output_relu=False, scale=0.1):
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = {
            "format": "digitrec", "format_version": "1",
            "layers": ",".join(str(s) for s in sizes), "activation": "relu",
            "output_activation": "relu+softmax" if output_relu else "softmax",
            "bias": bias, "classes": ",".join(str(k) for k in range(sizes[-1])),
        }
    k = 0
    for l in range(len(sizes) - 1):
        n_in, n_out = sizes[l], sizes[l + 1]
        for name, shape in (("weight", [n_out, n_in]), ("bias", [1 if bias == "per-layer" else n_out])):
            count = shape[0] * (shape[1] if len(shape) > 1 else 1)
            vals = [((k + i) % 13 - 6) * scale / 6 for i in range(count)]
            k += count
            blob = struct.pack("<%df" % count, *vals)
            header["layers.%d.%s" % (l, name)] = {"dtype": "F32", "shape": shape,
                                                 "data_offsets": [off, off + len(blob)]}
            blobs.append(blob)
            off += len(blob)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def model_seeds():
    put("model", "tiny_4_2.safetensors", safetensors([4, 2]))
    put("model", "mlp_6_4_3.safetensors", safetensors([6, 4, 3]))
    put("model", "per_layer_relu_out.safetensors", safetensors([5, 3, 2], bias="per-layer", output_relu=True))
    put("model", "no_metadata.safetensors", safetensors([3, 2], meta=False))
    put("model", "deep_8_layers.safetensors", safetensors([3, 3, 3, 3, 3, 3, 3, 3, 2]))
    put("model", "softmax_784_10.safetensors", safetensors([784, 10], scale=0.01))
    good = safetensors([4, 2])
    put("model", "near_truncated.safetensors", good[:-3])
    put("model", "near_bad_json.safetensors", good.replace(b'"shape"', b'"shape!', 1))


# ---- IDX ---------------------------------------------------------------------------------
def idx_images(n, rows, cols, pix):
    return struct.pack(">IIII", 0x803, n, rows, cols) + bytes(pix)


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def idx_seeds():
    im = idx_images(3, 4, 5, [(i * 37) % 256 for i in range(60)])
    lb = idx_labels([0, 9, 3, 7, 1])
    put("idx", "images_3x4x5.idx3", im)
    put("idx", "labels_5.idx1", lb)
    put("idx", "images_3x4x5.idx3.gz", gzip.compress(im, mtime=0))
    put("idx", "labels_5.idx1.gz", gzip.compress(lb, mtime=0))
    put("idx", "two_members.idx1.gz", gzip.compress(lb[:6], mtime=0) + gzip.compress(lb[6:], mtime=0))
    put("idx", "zero_padded.idx1.gz", gzip.compress(lb, mtime=0) + b"\0" * 16)
    put("idx", "labels_256.idx1", idx_labels(list(range(256))))
    put("idx", "image_1x1.idx3", idx_images(1, 1, 1, [255]))
    path = os.path.join(MNIST, "t10k-images-idx3-ubyte")
    if os.path.exists(path):
        with open(path, "rb") as f:
            raw = f.read(16 + 2 * 784)
        mn = struct.pack(">IIII", 0x803, 2, 28, 28) + raw[16:]
        put("idx", "mnist_2.idx3", mn)
        put("idx", "mnist_2.idx3.gz", gzip.compress(mn, mtime=0))
    return


# ---- images ------------------------------------------------------------------------------
def digit(w, h):
    """A '7'-ish stroke: dark ink (0) on white paper (255), as rows of bytes."""
    rows = []
    for y in range(h):
        row = []
        for x in range(w):
            top = y < max(1, h // 5) and w // 5 <= x < w - w // 5
            diag = abs((w - w // 5 - 1 - x) - (y - h // 5) * 0.5) < max(1, w // 10) and y >= h // 5
            row.append(0 if (top or diag) else 255)
        rows.append(row)
    return rows


def png(w, h, rows, color_type=0, depth=8, palette=None, trns=None):
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    raw = bytearray()
    for row in rows:
        raw.append(0)
        for v in row:
            if isinstance(v, tuple):
                for c in v:
                    raw += struct.pack(">H", c) if depth == 16 else bytes([c])
            else:
                raw += struct.pack(">H", v) if depth == 16 else bytes([v])
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0))
    if palette:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")


def bmp24(w, h, rows):
    stride = (3 * w + 3) & ~3
    data = bytearray()
    for row in reversed(rows):
        line = bytearray()
        for v in row:
            line += bytes([v, v, v])
        data += line + b"\0" * (stride - len(line))
    head = struct.pack("<2sIHHI", b"BM", 54 + len(data), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(data), 2835, 2835, 0, 0)
    return head + info + bytes(data)


def pgm(w, h, rows, maxval=255, ascii_=False):
    if ascii_:
        body = "\n".join(" ".join(str(v * maxval // 255) for v in row) for row in rows)
        return ("P2\n# seed\n%d %d\n%d\n" % (w, h, maxval)).encode() + body.encode() + b"\n"
    if maxval > 255:
        body = b"".join(struct.pack(">H", v * maxval // 255) for row in rows for v in row)
    else:
        body = bytes(v * maxval // 255 for row in rows for v in row)
    return ("P5 %d %d %d\n" % (w, h, maxval)).encode() + body


def image_seeds():
    d = digit(28, 28)
    for target in ("image", "pgm"):
        put(target, "digit_p5.pgm", pgm(28, 28, d))
        put(target, "digit_p5_16bit.pgm", pgm(28, 28, d, maxval=65535))
        put(target, "digit_p2.pgm", pgm(28, 28, d, ascii_=True))
        put(target, "tiny_p5_maxval1.pgm", b"P5\n2 2\n1\n\x00\x01\x01\x00")
        put(target, "tiny_p2_comments.pgm", b"P2 # c\n3 # w\n1\n#m\n7\n0 3 7\n")
    put("image", "digit_gray.png", png(28, 28, d))
    put("image", "digit_gray16.png", png(28, 28, [[v * 257 for v in r] for r in d], depth=16))
    put("image", "digit_rgba.png", png(28, 28, [[(v, v, v, 255 - v) for v in r] for r in d], color_type=6))
    put("image", "digit_gray_alpha.png", png(20, 20, [[(0, 255 - v) for v in r] for r in digit(20, 20)], color_type=4))
    put("image", "digit_palette.png", png(16, 16, [[0 if v == 0 else 1 for v in r] for r in digit(16, 16)],
                                          color_type=3, palette=[(0, 0, 0), (255, 255, 255)], trns=b"\xff\x00"))
    put("image", "pixel_1x1.png", png(1, 1, [[0]]))
    put("image", "row_1x64.png", png(64, 1, [[(i * 4) % 256 for i in range(64)]]))
    put("image", "digit_24bit.bmp", bmp24(28, 28, d))
    # the reading issue's odd pictures: blank pages, strips, photo-like paper
    put("image", "white_64.png", png(64, 64, [[255] * 64 for _ in range(64)]))
    put("image", "black_64.png", png(64, 64, [[0] * 64 for _ in range(64)]))
    put("image", "strip_2000x4.png", png(2000, 4, [[0 if 900 <= x < 1100 and y in (1, 2) else 255 for x in range(2000)]
                                                    for y in range(4)]))
    put("image", "digit_gray16_alpha.png", png(20, 20, [[(v * 257, 65535 - v * 257) for v in r] for r in digit(20, 20)],
                                               color_type=4, depth=16))
    put("image", "photo_tinted_gradient.png",
        png(48, 40, [[(min(255, int((200 + x) * (0.7 + 0.3 * y / 40) * (0.25 if v == 0 else 1))),
                       min(255, int((190 + x) * (0.7 + 0.3 * y / 40) * (0.25 if v == 0 else 1))),
                       min(255, int((150 + x) * (0.7 + 0.3 * y / 40) * (0.3 if v == 0 else 1)))) for x, v in enumerate(r)]
                     for y, r in enumerate(digit(48, 40))], color_type=2))
    try:
        from PIL import Image
    except ImportError:
        print("make_seeds: no Pillow; JPEG/GIF/TIFF/WebP/ICO seeds skipped", file=sys.stderr)
        return
    import io
    im = Image.new("L", (28, 28))
    im.putdata([v for r in d for v in r])
    for name, fmt, mode, kw in (("digit.jpg", "JPEG", "L", {"quality": 50}),
                                ("digit_rgb.jpg", "JPEG", "RGB", {"quality": 50}),
                                ("digit_progressive.jpg", "JPEG", "RGB", {"quality": 50, "progressive": True}),
                                ("digit.gif", "GIF", "L", {}), ("digit.tif", "TIFF", "L", {}),
                                ("digit.webp", "WEBP", "RGB", {"quality": 50}), ("digit.ico", "ICO", "RGBA", {}),
                                ("digit_8bit.bmp", "BMP", "P", {}), ("digit.pcx", "PCX", "L", {}),
                                ("digit_cmyk.jpg", "JPEG", "CMYK", {"quality": 70})):
        b = io.BytesIO()
        try:
            im.convert(mode).save(b, fmt, **kw)
        except (KeyError, OSError, ValueError) as e:
            print("make_seeds: %s skipped (%s)" % (name, e), file=sys.stderr)
            continue
        put("image", name, b.getvalue())


# ---- preprocess (see fuzz_preprocess.c for the layout) -------------------------------------
def pre(w, h, thr, mode, pix):
    return struct.pack("<HHBB", (w - 1) % 16384, (h - 1) % 16384, thr, mode) + bytes(pix)


def preprocess_seeds():
    d = digit(28, 28)
    put("preprocess", "digit_28x28", pre(28, 28, 12, 0, [255 - v for r in d for v in r]))
    put("preprocess", "digit_140x70", pre(140, 70, 12, 0, [255 - v for r in digit(140, 70) for v in r]))
    put("preprocess", "pixel_1x1", pre(1, 1, 12, 0, [255]))
    put("preprocess", "line_1x10000", pre(1, 10000, 12, 0, [0] * 5000 + [255] * 10 + [0] * 4990))
    put("preprocess", "line_10000x1", pre(10000, 1, 12, 0, [0, 0, 0, 200]))
    put("preprocess", "specials", pre(30, 30, 12, 2, list(range(200, 256))))
    put("preprocess", "raw_floats", pre(9, 7, 12, 1, struct.pack("<4f", 0.5, float("nan"), 1e30, -0.0)))
    put("preprocess", "blank", pre(28, 28, 12, 0, []))
    put("preprocess", "nan_threshold", pre(28, 28, 253, 0, [255 - v for r in d for v in r]))


if __name__ == "__main__":
    model_seeds()
    idx_seeds()
    image_seeds()
    preprocess_seeds()
    for t in sorted(os.listdir(CORPUS)):
        print("%-10s %d seeds" % (t, len([f for f in os.listdir(os.path.join(CORPUS, t))
                                           if os.path.isfile(os.path.join(CORPUS, t, f))])))
