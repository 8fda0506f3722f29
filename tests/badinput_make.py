#!/usr/bin/python3
"""badinput_make.py - writes every broken model, IDX folder and image that tests/test_badinput.sh
feeds the CLI, plus a manifest of the runs. Standard library only.
Usage: badinput_make.py OUTDIR GOOD_MODEL
Manifest lines (tab-separated): case name, expected exit code, expected stderr substring (for
exit 1) or "-", then the digitrec arguments. "@" in an argument is replaced by OUTDIR."""
import gzip
import json
import os
import shutil
import struct
import sys
import zlib

OUT, GOOD_MODEL = sys.argv[1], sys.argv[2]
manifest = []


def case(name, rc, expect, *args):
    manifest.append("\t".join([name, str(rc), expect] + list(args)))


def write(rel, data):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return "@/" + rel


# ==== models ================================================================================
def tensors(sizes, bias="per-neuron", value=0.05):
    """[(name, shape, floats)] of a dense net with the given sizes."""
    out = []
    for l in range(len(sizes) - 1):
        n_in, n_out = sizes[l], sizes[l + 1]
        out.append(("layers.%d.weight" % l, [n_out, n_in], [value * ((i % 7) - 3) for i in range(n_in * n_out)]))
        nb = 1 if bias == "per-layer" else n_out
        out.append(("layers.%d.bias" % l, [nb], [0.0] * nb))
    return out


def st(ts, meta=None, header_edit=None, raw_header=None, data_edit=None):
    """safetensors bytes; header_edit(dict) may change the header, data_edit(bytes) the data."""
    header, blobs, off = {}, [], 0
    if meta is not None:
        header["__metadata__"] = meta
    for name, shape, vals in ts:
        blob = struct.pack("<%df" % len(vals), *vals)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    if header_edit:
        header_edit(header)
    h = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    data = b"".join(blobs)
    if data_edit:
        data = data_edit(data)
    return struct.pack("<Q", len(h)) + h + data


META = {"format": "digitrec", "format_version": "1", "layers": "4,3,2", "activation": "relu",
        "output_activation": "softmax", "bias": "per-neuron", "classes": "0,1"}
T = tensors([4, 3, 2])
good_small = st(T, dict(META))
write("models/good_small.safetensors", good_small)


def model_case(name, expect, data, via="info"):
    path = write("models/%s.safetensors" % name, data)
    if via == "info":
        case("model: " + name, 1, expect, "info", path)
    elif via == "eval":
        case("model (eval): " + name, 1, expect, "eval", "--model", path, "--data", "@/data/good")
    else:
        case("model (predict): " + name, 1, expect, "predict", "--model", path, "@/img/ok_digit.pgm")


def edit(fn):
    def e(h):
        fn(h)
    return e


def meta_with(**kw):
    m = dict(META)
    m.update(kw)
    return m


model_case("empty file", "too short for a safetensors file", b"")
model_case("7 bytes", "too short for a safetensors file", b"\x10\0\0\0\0\0\0")
model_case("header length 0", "header length is 0", struct.pack("<Q", 0) + b"{}")
model_case("header length 2^63", "exceeds the 100000000-byte limit", struct.pack("<Q", 1 << 63) + b"{}")
model_case("header length past end", "truncated file?", struct.pack("<Q", 4096) + b'{"a":1}')
model_case("header not an object", "must start with '{'", st(T, raw_header=b'["layers.0.weight"]'))
model_case("UTF-8 BOM before JSON", "must start with '{'", st(T, raw_header=b'\xef\xbb\xbf{}'))
model_case("unterminated JSON", "not valid JSON", st(T, raw_header=b'{"layers.0.weight": {"dtype": "F32"'))
model_case("JSON nested 5000 deep", "not valid JSON", st(T, raw_header=b'{"a":' + b'[' * 5000 + b']' * 5000 + b'}'))
model_case("bytes after the JSON", "bytes after the JSON object", st(T, raw_header=b'{} xx'))
model_case("dtype F16", "dtype F16 not supported", st(T, META, edit(lambda h: h["layers.0.weight"].update(dtype="F16"))))
model_case("dtype I32", "dtype I32 not supported", st(T, META, edit(lambda h: h["layers.1.bias"].update(dtype="I32"))))
model_case("dtype not a string", "dtype is not a string", st(T, META, edit(lambda h: h["layers.0.bias"].update(dtype=32))))
model_case("missing dtype", 'missing field "dtype"', st(T, META, edit(lambda h: h["layers.0.weight"].pop("dtype"))))
model_case("missing data_offsets", 'missing field "data_offsets"', st(T, META, edit(lambda h: h["layers.0.weight"].pop("data_offsets"))))
model_case("unexpected field", 'unexpected field "quant"', st(T, META, edit(lambda h: h["layers.0.weight"].update(quant=1))))
model_case("entry not an object", "entry is not a JSON object", st(T, META, edit(lambda h: h.update({"layers.0.bias": [1, 2]}))))
model_case("shape not an array", "shape is not an array", st(T, META, edit(lambda h: h["layers.0.weight"].update(shape="3x4"))))
model_case("weight of rank 3", "rank 3, expected 2", st(T, META, edit(lambda h: h["layers.0.weight"].update(shape=[3, 2, 2]))))
model_case("bias of rank 2", "rank 2, expected 1", st(T, META, edit(lambda h: h["layers.0.bias"].update(shape=[3, 1]))))
model_case("negative dimension", "is negative", st(T, META, edit(lambda h: h["layers.0.weight"].update(shape=[-3, -4]))))
model_case("fractional dimension", "is not an integer", st(T, META, edit(lambda h: h["layers.0.weight"].update(shape=[3, 4.5]))))
model_case("dimension product overflows", "overflow", st(T, META, edit(lambda h: h["layers.0.weight"].update(shape=[2**40, 2**40]))))
model_case("2^63 elements (bytes overflow)", "shape too large", st(T, META, edit(lambda h: h["layers.0.weight"].update(shape=[2**53, 2**10]))))
model_case("dimension above 2^53", "too large", st(T, META, edit(lambda h: h["layers.0.weight"].update(shape=[2**60, 1]))))
model_case("zero width", "width outside 1..65536", st([("layers.0.weight", [0, 4], []), ("layers.0.bias", [0], [])]))
model_case("width above 65536", "width outside 1..65536",
           st([("layers.0.weight", [65537, 1], [0.0] * 65537), ("layers.0.bias", [1], [0.0])], None))
model_case("data_offsets of three", "not an array of two integers", st(T, META, edit(lambda h: h["layers.0.bias"].update(data_offsets=[0, 4, 8]))))
model_case("data_offsets strings", "expected a non-negative integer", st(T, META, edit(lambda h: h["layers.0.bias"].update(data_offsets=["0", "12"]))))
model_case("offsets begin after end", "begin after end", st(T, META, edit(lambda h: h["layers.0.bias"].update(data_offsets=[60, 48]))))
model_case("offsets past the data", "beyond the", st(T, META, edit(lambda h: h["layers.1.bias"].update(data_offsets=[88, 10**9]))))
model_case("offsets disagree with shape", "do not match shape", st(T, META, edit(lambda h: h["layers.0.weight"].update(shape=[3, 3]))))
model_case("overlapping tensors", "overlap in the data", st(T, META, edit(lambda h: h["layers.0.bias"].update(data_offsets=[44, 56]))))
model_case("hole between tensors", "are not covered by any tensor",
           st(T, META, edit(lambda h: [h[k].update(data_offsets=[h[k]["data_offsets"][0] + 4, h[k]["data_offsets"][1] + 4])
                                         for k in ("layers.1.weight", "layers.1.bias")]), data_edit=lambda d: d[:60] + b"\0" * 4 + d[60:]))
model_case("trailing data bytes", "trailing bytes after the last tensor", st(T, META, data_edit=lambda d: d + b"\0" * 8))
model_case("data cut short", "beyond the", st(T, META, data_edit=lambda d: d[:-4]))
model_case("missing bias", "missing tensor layers.0.bias",
           st([t for t in T if t[0] != "layers.0.bias"], None, data_edit=None))
model_case("layer 0 absent", "layer 0 missing", st([("layers.1.weight", [2, 3], [0.0] * 6), ("layers.1.bias", [2], [0.0] * 2)]))
model_case("layers do not connect", "takes 5 inputs but layers.0.weight gives 3 outputs",
           st([T[0], T[1], ("layers.1.weight", [2, 5], [0.0] * 10), T[3]], meta_with(layers="4,3,2")))
model_case("9 layers", "more than 8 layers", st(tensors([2] * 10)))
model_case("unknown tensor name", 'unknown tensor "fc1.weight"', st(T + [("fc1.weight", [1], [0.0])], META))
model_case("tensor name with a newline", 'unknown tensor "layer?s"', st(T + [("layer\ns", [1], [0.0])], META))
model_case("layer index with leading zero", 'unknown tensor "layers.01.bias"', st(T + [("layers.01.bias", [1], [0.0])], META))
good_header = good_small[8:8 + struct.unpack("<Q", good_small[:8])[0]].rstrip()
model_case("duplicate tensor key", "duplicate tensor layers.0.bias",
           st(T, raw_header=good_header[:-1] + b',"layers.0.bias":{"dtype":"F32","shape":[3],"data_offsets":[48,60]}}'))
model_case("bias shape wrong", "expected [3] (per-neuron) or [1] (per-layer)",
           st([T[0], ("layers.0.bias", [2], [0.0] * 2), T[2], T[3]]))
model_case("bias modes mixed", "mix per-neuron and per-layer",
           st([T[0], T[1], T[2], ("layers.1.bias", [1], [0.0])]))
model_case("NaN weight", "holds NaN at index 5", st(T, META, data_edit=lambda d: d[:20] + struct.pack("<f", float("nan")) + d[24:]))
model_case("Inf bias", "holds Inf at index 1", st(T, META, data_edit=lambda d: d[:52] + struct.pack("<f", float("-inf")) + d[56:]))
model_case("no tensors at all", "no tensors", st([], META))
model_case("__metadata__ an array", "__metadata__ is not a JSON object", st(T, ["a"]))
model_case("metadata value a number", 'value of "epochs" is not a string', st(T, meta_with(epochs=5)))
model_case("metadata value null", 'value of "lr" is not a string', st(T, meta_with(lr=None)))
model_case("metadata key too long", "longer than 47 bytes", st(T, meta_with(**{"k" * 60: "v"})))
model_case("metadata value too long", "longer than 511 bytes", st(T, meta_with(note="x" * 600)))
model_case("metadata 40 entries", "more than 32 entries", st(T, meta_with(**{"k%d" % i: "v" for i in range(40)})))
model_case("metadata layers disagree", 'metadata layers "784,10" disagree', st(T, meta_with(layers="784,10")))
model_case("metadata classes miscounted", "name 3 classes but the output layer has 2", st(T, meta_with(classes="a,b,c")))
model_case("unknown activation", 'unknown activation "tanh"', st(T, meta_with(activation="tanh")))
model_case("unknown output activation", 'unknown output_activation "sigmoid"', st(T, meta_with(output_activation="sigmoid")))
model_case("unknown bias mode", 'unknown bias mode "none"', st(T, meta_with(bias="none")))
model_case("metadata bias disagrees", 'metadata bias "per-layer" disagrees', st(T, meta_with(bias="per-layer")))
model_case("format_version 2", 'format_version "2" not supported', st(T, meta_with(format_version="2")))
model_case("eval: NaN weight", "holds NaN", st(T, META, data_edit=lambda d: struct.pack("<f", float("nan")) + d[4:]), via="eval")
model_case("eval: lying header length", "truncated file?", struct.pack("<Q", 1 << 20) + good_small[8:], via="eval")
model_case("predict: layers do not connect", "takes 5 inputs",
           st([T[0], T[1], ("layers.1.weight", [2, 5], [0.0] * 10), T[3]]), via="predict")

# Layer stacks: the arch metadata names the layers and every tensor must fit it.
CNN_ARCH = "conv2k3-relu-pool-fc10"   # 1x28x28 -> 2x28x28 -> 2x14x14 -> 392 -> 10
CNN_META = {"format": "digitrec", "format_version": "1", "arch": CNN_ARCH, "activation": "relu",
            "output_activation": "softmax", "bias": "per-neuron", "classes": ",".join(map(str, range(10)))}


def cnn_tensors(w0=(2, 1, 3, 3), drop=(), extra=()):
    n0 = 1
    for d in w0:
        n0 *= d
    ts = [("layers.0.weight", list(w0), [0.01 * ((i % 5) - 2) for i in range(n0)]), ("layers.0.bias", [2], [0.0, 0.1]),
          ("layers.1.weight", [10, 392], [0.001 * ((i % 9) - 4) for i in range(3920)]), ("layers.1.bias", [10], [0.0] * 10)]
    return [x for x in ts if x[0] not in drop] + list(extra)


def cnn_meta(**kw):
    m = dict(CNN_META)
    m.update(kw)
    return {k: v for k, v in m.items() if v is not None}


good_cnn = st(cnn_tensors(), cnn_meta())
case("model: a small CNN loads", 0, "-", "info", write("models/good_cnn.safetensors", good_cnn))
model_case("arch: unknown token", 'token 4 "dropout": unknown layer', st(cnn_tensors(), cnn_meta(arch="conv2k3-relu-pool-dropout-fc10")))
model_case("arch: kernel 9", "kernel size 9 outside 3..7", st(cnn_tensors(), cnn_meta(arch="conv2k9-relu-pool-fc10")))
model_case("arch: conv weight shape mismatch", "layers.0.weight: shape [2, 1, 5, 5], the arch gives [2, 1, 3, 3]",
           st(cnn_tensors(w0=(2, 1, 5, 5)), cnn_meta()))
model_case("arch: conv weight of rank 2", "rank 2, expected 4", st(cnn_tensors(w0=(2, 9)), cnn_meta()))
model_case("arch: missing tensor", "missing tensor layers.1.bias", st(cnn_tensors(drop=("layers.1.bias",)), cnn_meta()))
model_case("arch: extra tensor", "extra tensor layers.2.weight: the arch has 2 layers with parameters",
           st(cnn_tensors(extra=[("layers.2.weight", [1, 1], [0.0])]), cnn_meta()))
model_case("arch: conv output below 1x1", "input 3x3 is smaller than the 5x5 kernel",
           st(cnn_tensors(), cnn_meta(arch="conv2k5p0-pool-pool-pool-conv2k5p0-fc10")))
model_case("arch: 4096 channels", "4096 channels outside 1..1024", st(cnn_tensors(), cnn_meta(arch="conv4096k3-relu-pool-fc10")))
model_case("arch: 1024 channels at 28x28", "has more than 524288 values",
           st(cnn_tensors(), cnn_meta(arch="conv1024k3-relu-pool-fc10")))
model_case("arch: empty", "arch: empty", st(cnn_tensors(), cnn_meta(arch="")))
model_case("arch: not a string", 'value of "arch" is not a string', st(cnn_tensors(), cnn_meta(arch=5)))
model_case("arch: ReLU on the logits", 'output_activation "relu+softmax" with an arch',
           st(cnn_tensors(), cnn_meta(output_activation="relu+softmax")))
model_case("arch: beside dense layers", "both layers (a dense network) and an arch",
           st(cnn_tensors(), cnn_meta(layers="784,10")))
model_case("arch: classes miscounted", "name 3 classes but the arch has 10 outputs", st(cnn_tensors(), cnn_meta(classes="a,b,c")))
model_case("arch: dense arch disagrees", 'metadata arch "784-5-2" disagrees with the tensors',
           st(T, dict(META, arch="784-5-2")))
model_case("eval: CNN with a NaN", "layers.1.weight holds NaN",
           st(cnn_tensors(), cnn_meta(), data_edit=lambda d: d[:80] + struct.pack("<f", float("nan")) + d[84:]), via="eval")
model_case("predict: CNN missing a weight", "missing tensor layers.0.weight",
           st(cnn_tensors(drop=("layers.0.weight",)), cnn_meta()), via="predict")
case("model: a small CNN evaluates", 0, "-", "eval", "--model", "@/models/good_cnn.safetensors", "--data", "@/data/good")
case("model: a small CNN predicts", 0, "-", "predict", "--model", "@/models/good_cnn.safetensors", "@/img/ok_digit.pgm")

# A model of another input size is a valid file but cannot read a 28x28 image.
case("model: predict with a 4-input model", 1, "takes 4 inputs, not a 28x28 image",
     "predict", "--model", "@/models/good_small.safetensors", "@/img/ok_digit.pgm")
case("model: path is a folder", 1, "models", "info", "@/models")
case("model: no such file", 1, "No such file or directory", "info", "@/models/none.safetensors")
# Every truncation of a good file (listed for the shell to loop over: 'truncations' mode).
for cut in range(len(good_small)):
    write("models/trunc/%04d.safetensors" % cut, good_small[:cut])
manifest.append("\t".join(["model: truncated at every byte (%d cuts)" % len(good_small), "T", "-", "info", "@/models/trunc"]))

# ==== IDX folders ===========================================================================
def idx3(n, rows, cols, pix=None, magic=0x803):
    if pix is None:
        pix = bytes((i * 7) % 256 for i in range(n * rows * cols))
    return struct.pack(">IIII", magic, n, rows, cols) + pix


def idx1(labels, n=None, magic=0x801):
    return struct.pack(">II", magic, len(labels) if n is None else n) + bytes(labels)


GOOD = {
    "train-images-idx3-ubyte": idx3(64, 28, 28),
    "train-labels-idx1-ubyte": idx1([i % 10 for i in range(64)]),
    "t10k-images-idx3-ubyte": idx3(20, 28, 28),
    "t10k-labels-idx1-ubyte": idx1([i % 10 for i in range(20)]),
}


def data_dir(name, replace=None, drop=(), extra=None):
    d = os.path.join(OUT, "data", name)
    os.makedirs(d, exist_ok=True)
    files = dict(GOOD)
    files.update(replace or {})
    for k in drop:
        files.pop(k, None)
    files.update(extra or {})
    for k, v in files.items():
        if v is not None:
            with open(os.path.join(d, k), "wb") as f:
                f.write(v)
    return "@/data/" + name


TRAIN = ["--arch", "softmax", "--epochs", "1", "--max-iters", "2", "--quiet"]
data_dir("good")
case("idx: good small folder trains", 0, "-", "train", "--data", "@/data/good", *TRAIN)


def idx_case(name, expect, replace=None, drop=(), extra=None, via="train"):
    d = data_dir(name.replace(" ", "_").replace("/", "_"), replace, drop, extra)
    if via == "train":
        case("idx: " + name, 1, expect, "train", "--data", d, *TRAIN)
    else:
        case("idx (eval): " + name, 1, expect, "eval", "--model", GOOD_MODEL, "--data", d)


TI, TL, VI, VL = "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
case("idx: no such folder", 1, "digitrec data fetch", "train", "--data", "@/data/nowhere", *TRAIN)
write("data/a_file", b"x")
case("idx: folder is a file", 1, "is not a folder", "train", "--data", "@/data/a_file", *TRAIN)
os.makedirs(os.path.join(OUT, "data", "empty"), exist_ok=True)
case("idx: empty folder", 1, "no MNIST files in", "train", "--data", "@/data/empty", *TRAIN)
idx_case("missing train labels", "missing train-labels-idx1-ubyte", drop=[TL])
idx_case("images file empty", "buffer too short for header (0 bytes", {TI: b""})
idx_case("images header cut", "buffer too short for header (10 bytes", {TI: GOOD[TI][:10]})
idx_case("label file as images", "(a label file)", {TI: GOOD[TL]})
idx_case("images as labels", "(an image file)", {TL: GOOD[TI]})
idx_case("random magic", "wrong magic 0x12345678", {TI: idx3(64, 28, 28, magic=0x12345678)})
idx_case("magic of idx3 floats", "wrong magic 0x00000d03", {TI: idx3(64, 28, 28, magic=0xd03)})
idx_case("zero images", "zero dimension (n=0", {TI: idx3(0, 28, 28)})
idx_case("zero rows", "zero dimension (n=64, rows=0", {TI: idx3(64, 0, 28)})
idx_case("zero labels", "zero dimension (n=0)", {TL: idx1([])})
idx_case("rows 100000", "absurd dimensions", {TI: struct.pack(">IIII", 0x803, 64, 100000, 28) + b"\0" * 64})
idx_case("n 2^32-1", "absurd dimensions", {TI: struct.pack(">IIII", 0x803, 0xFFFFFFFF, 28, 28)})
idx_case("labels n 2^32-1", "absurd dimension (n=4294967295)", {TL: struct.pack(">II", 0x801, 0xFFFFFFFF)})
idx_case("n*rows*cols past 4 GiB", "truncated: header declares", {TI: struct.pack(">IIII", 0x803, 0x7FFFFFFF, 4096, 4096)})
idx_case("images declare more than present", "truncated: header declares 50192 bytes, got 49408",
         {TI: struct.pack(">IIII", 0x803, 64, 28, 28) + GOOD[TI][16:-784]})
idx_case("images with trailing bytes", "5 trailing bytes", {TI: GOOD[TI] + b"\0" * 5})
idx_case("labels cut short", "truncated: header declares 72 bytes, got 70", {TL: GOOD[TL][:-2]})
idx_case("label 10", "label 10 at index 3 is out of range", {TL: idx1([1, 2, 3, 10] + [0] * 60)})
idx_case("label 255", "label 255 at index 63", {TL: idx1([0] * 63 + [255])})
idx_case("counts differ", "has 64 images but", {TL: idx1([0] * 63)})
idx_case("gzip cut short", "gzip: truncated data", drop=[TI], extra={TI + ".gz": gzip.compress(GOOD[TI], mtime=0)[:200]})
gz = bytearray(gzip.compress(GOOD[TI], mtime=0))
gz[-8] ^= 0xFF  # CRC32 of the member
idx_case("gzip bad CRC", "gzip: corrupt data (incorrect data check)", drop=[TI], extra={TI + ".gz": bytes(gz)})
gz = bytearray(gzip.compress(GOOD[TI], mtime=0))
gz[12:20] = b"\xff" * 8
idx_case("gzip corrupt deflate", "gzip: corrupt data", drop=[TI], extra={TI + ".gz": bytes(gz)})
idx_case("gzip trailing garbage", "trailing garbage after the compressed data", drop=[TI],
         extra={TI + ".gz": gzip.compress(GOOD[TI], mtime=0) + b"junk"})
idx_case("gzip header only", "gzip: truncated data", drop=[TI], extra={TI + ".gz": b"\x1f\x8b\x08\0\0\0\0\0\0\xff"})
idx_case("gzip holding garbage", "wrong magic", drop=[TI], extra={TI + ".gz": gzip.compress(b"hello world" * 10, mtime=0)})
idx_case("train 28x28, test 20x20", "train images are 28x28 but test images are 20x20", {VI: idx3(20, 20, 20)})
idx_case("images file is a folder", "missing train-images-idx3-ubyte", drop=[TI])
os.makedirs(os.path.join(OUT, "data", "images_file_is_a_folder", TI), exist_ok=True)
idx_case("classes.txt with 11 names", "more than 10 class names", extra={"classes.txt": b"\n".join(b"c%d" % i for i in range(11))})
idx_case("classes.txt blank", "no class names", extra={"classes.txt": b"\n  \n\n"})
# A comma inside a name used to save a model listing 11 classes for 10 outputs, which no loader reads.
idx_case("classes.txt name with a comma", "class name 2 contains a comma",
         extra={"classes.txt": b"zero\none, uno\n" + b"\n".join(b"c%d" % i for i in range(2, 10))})
idx_case("test labels out of range", "label 12 at index 0", {VL: idx1([12] + [0] * 19)}, via="eval")
idx_case("test images missing", "missing t10k-images-idx3-ubyte", drop=[VI], via="eval")
idx_case("test images truncated", "truncated", {VI: GOOD[VI][:-1]}, via="eval")
# Valid but unusual: every image 1x1 trains a 1-input network; a 2-member gzip reads as one file.
data_dir("one_pixel", {TI: idx3(64, 1, 1), VI: idx3(20, 1, 1)})
case("idx: 1x1 images train a 1-input net", 0, "-", "train", "--data", "@/data/one_pixel", "--layers", "1,10",
     "--epochs", "1", "--quiet")
data_dir("two_members", drop=[TI], extra={TI + ".gz": gzip.compress(GOOD[TI][:1000], mtime=0) + gzip.compress(GOOD[TI][1000:], mtime=0)})
case("idx: 2-member gzip trains", 0, "-", "train", "--data", "@/data/two_members", *TRAIN)
# Every truncation of the label file ('truncations' mode: the folder's train labels is cut).
lab = GOOD[TL]
for cut in range(len(lab)):
    data_dir("trunc/%04d" % cut, {TL: lab[:cut]})
manifest.append("\t".join(["idx: labels truncated at every byte (%d cuts)" % len(lab), "T", "-", "train-dirs", "@/data/trunc"]))


# ==== images ================================================================================
def png_chunk(tag, data, crc=None):
    c = zlib.crc32(tag + data) if crc is None else crc
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", c)


def png(w, h, rows, color_type=0, depth=8, extra_chunks=b"", ihdr=None, idat=None, interlace=0):
    raw = b"".join(b"\0" + r for r in rows)
    ihdr = ihdr if ihdr is not None else struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra_chunks +
            png_chunk(b"IDAT", zlib.compress(raw, 9) if idat is None else idat) + png_chunk(b"IEND", b""))


def digit_rows(w, h, ink=0, paper=255, bpp=1):
    rows = []
    for y in range(h):
        r = bytearray()
        for x in range(w):
            on = (h // 5 <= y < h - h // 5) and abs(x - w // 2) <= max(0, w // 10)
            r += bytes([ink if on else paper]) * bpp
        rows.append(bytes(r))
    return rows


def img_case(name, expect, data, ext="png"):
    path = write("img/%s.%s" % (name.replace(" ", "_").replace("/", "_"), ext), data)
    case("image: " + name, 1, expect, "predict", "--model", GOOD_MODEL, path)


def img_ok(name, data, ext="png"):
    path = write("img/ok_%s.%s" % (name.replace(" ", "_"), ext), data)
    case("image ok: " + name, 0, "-", "predict", "--model", GOOD_MODEL, path)


def pgm5(w, h, pix, maxval=255, head=None):
    return (head if head is not None else b"P5\n%d %d\n%d\n" % (w, h, maxval)) + pix


good_png = png(28, 28, digit_rows(28, 28))
good_jpeg_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "image", "digit.jpg")
write("img/ok_digit.pgm", pgm5(28, 28, b"".join(digit_rows(28, 28, ink=255, paper=0))))
img_case("empty file", "not a PNG, JPEG, BMP or PGM image", b"")
img_case("text file", "not a PNG, JPEG, BMP or PGM image", b"this is not a picture\n", "txt")
img_case("SVG", "not a PNG, JPEG, BMP or PGM image", b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>', "svg")
img_case("GIF", "not a PNG, JPEG, BMP or PGM image", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "gif")
img_case("colour PPM (P6)", "not a PNG, JPEG, BMP or PGM image", b"P6\n1 1\n255\n\0\0\0", "ppm")
img_case("PNG signature only", "not a readable PNG image", good_png[:8])
img_case("PNG cut in IHDR", "not a readable PNG image", good_png[:20])
img_case("PNG cut in IDAT", "not a readable PNG image", good_png[:60])
img_case("PNG without IEND", "cut off after", good_png[:-12])
with open(os.path.join(os.path.dirname(good_jpeg_path), "regressions", "png_trns_length_past_end_hang.png"), "rb") as f:
    img_case("PNG tRNS longer than the file (hung libpng)", "chunk tRNS at byte 51 claims 32770 bytes, only 45 remain", f.read())
img_case("PNG chunk length 2^31", "claims 2147483648 bytes", good_png[:33] + struct.pack(">I", 2**31) + b"tEXt" + good_png[41:])
img_case("PNG IHDR CRC wrong", "chunk IHDR at byte 8 has a bad CRC",
         good_png[:8] + png_chunk(b"IHDR", good_png[16:29], crc=0xDEADBEEF) + good_png[33:])
img_case("PNG width 0", "not a readable PNG image", png(0, 28, [], ihdr=struct.pack(">IIBBBBB", 0, 28, 8, 0, 0, 0, 0)))
img_case("PNG 2^31 wide", "image is 2147483648x1; sizes from 1x1 to 16 megapixels", png(1, 1, [b"\0"], ihdr=struct.pack(">IIBBBBB", 2**31, 1, 8, 0, 0, 0, 0)))
img_case("PNG declares 100000x100000", "image is 100000x100000; sizes from 1x1 to 16 megapixels",
         png(1, 1, [b"\0"], ihdr=struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)))
img_case("PNG bit depth 3", "not a readable PNG image", png(1, 1, [b"\0"], ihdr=struct.pack(">IIBBBBB", 1, 1, 3, 0, 0, 0, 0)))
img_case("PNG colour type 5", "not a readable PNG image", png(1, 1, [b"\0"], ihdr=struct.pack(">IIBBBBB", 1, 1, 8, 5, 0, 0, 0)))
img_case("PNG corrupt zlib", "not a readable PNG image", png(28, 28, [], idat=b"\x78\x9c\xff\xff\xff\xff" + b"\0" * 20))
img_case("PNG too little pixel data", "not a readable PNG image", png(28, 28, [], idat=zlib.compress(b"\0" * 29 * 5)))
img_case("PNG bad filter byte", "not a readable PNG image",
         png(4, 4, [], idat=zlib.compress(b"".join(b"\x09" + b"\0" * 4 for _ in range(4)))))
img_case("PNG palette index without PLTE", "not a readable PNG image", png(4, 4, [b"\0" * 4] * 4, color_type=3))
big = 5000
img_case("PNG 5000x5000 (25 megapixels)", "sizes from 1x1 to 16 megapixels are accepted",
         png(big, big, [], idat=zlib.compress(b"".join(b"\0" + b"\xff" * big for _ in range(big)), 9)))
img_case("PNG 1x20000000", "image is 1x20000000; sizes from", png(1, 20000000, [], idat=zlib.compress(b"\0\xff" * 20000000, 9)))
with open(good_jpeg_path, "rb") as f:
    good_jpeg = f.read()
img_case("JPEG marker only", "not a readable JPEG image", b"\xff\xd8\xff", "jpg")
img_case("JPEG cut in half", "not a readable JPEG image", good_jpeg[: len(good_jpeg) // 4], "jpg")
sof = good_jpeg.find(b"\xff\xc0")
img_case("JPEG declares 30000x30000", "image is 30000x30000; sizes from",
         good_jpeg[:sof + 5] + struct.pack(">HH", 30000, 30000) + good_jpeg[sof + 9:], "jpg")
img_case("JPEG declares 65535x65535", "image is 65535x65535; sizes from",
         good_jpeg[:sof + 5] + struct.pack(">HH", 65535, 65535) + good_jpeg[sof + 9:], "jpg")
with open(os.path.join(os.path.dirname(good_jpeg_path), "regressions", "jpeg_stray_bytes_before_sof_30000x30000.jpg"), "rb") as f:
    img_case("JPEG stray bytes, then 30000x30000", "image is 30000x30000; sizes from", f.read(), "jpg")
for name, want in (("jpeg_huffman_table_over_256_codes.jpg", "defines 1320 codes (at most 256)"),
                   ("jpeg_huffman_table_past_its_segment.jpg", "defines 1860 codes (at most 256)"),
                   ("jpeg_scan_with_undefined_huffman_table.jpg", "uses a Huffman table never defined")):
    with open(os.path.join(os.path.dirname(good_jpeg_path), "regressions", name), "rb") as f:
        img_case("JPEG " + name[5:-4].replace("_", " ") + " (stb_image overflow)", want, f.read(), "jpg")
img_case("JPEG with zeroed SOF size", "not a readable JPEG image",
         good_jpeg.replace(b"\xff\xc0\x00\x0b\x08\x00\x1c\x00\x1c", b"\xff\xc0\x00\x0b\x08\x00\x00\x00\x00"), "jpg")


def bmp(w, h, bpp=24, pix=None, size_field=None):
    stride = ((w * bpp // 8) + 3) & ~3 if w > 0 else 0
    if pix is None:
        pix = b"\xff" * (stride * abs(h))
    head = struct.pack("<2sIHHI", b"BM", 54 + len(pix) if size_field is None else size_field, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, bpp, 0, len(pix), 2835, 2835, 0, 0)
    return head + info + pix


img_case("BMP header only", "not a readable BMP image", bmp(28, 28)[:30], "bmp")
img_case("BMP pixels cut", "not a readable BMP image", bmp(28, 28)[:200], "bmp")
img_case("BMP width 0", "not a readable BMP image", bmp(0, 28, pix=b""), "bmp")
img_case("BMP 2^30 x 2^30", "image is 1073741824x1073741824; sizes from", bmp(1 << 30, 1 << 30, pix=b"\0" * 16), "bmp")
img_case("BMP 5000 x -5000 (top-down)", "image is 5000x5000; sizes from", bmp(5000, -5000, pix=b"\0" * 16), "bmp")
img_case("BMP 7 bits per pixel", "not a readable BMP image", bmp(4, 4, bpp=7, pix=b"\0" * 16), "bmp")
img_case("PGM magic only", "PGM: truncated: missing width", b"P5", "pgm")
img_case("PGM zero width", "PGM: zero size 0x28", pgm5(0, 28, b""), "pgm")
img_case("PGM width 70000", "PGM: width too large (max 65535)", b"P5\n70000 1\n255\n", "pgm")
img_case("PGM 65535x65535", "PGM: image 65535x65535 is too large", b"P5\n65535 65535\n255\n\0", "pgm")
img_case("PGM maxval 0", "PGM: maxval 0", pgm5(2, 2, b"\0" * 4, maxval=0), "pgm")
img_case("PGM maxval 70000", "PGM: maxval too large", b"P5 2 2 70000\n" + b"\0" * 8, "pgm")
img_case("PGM pixels cut", "PGM: truncated pixel data: need 784 bytes, got 700", pgm5(28, 28, b"\0" * 700), "pgm")
img_case("PGM 16-bit pixels cut", "need 1568 bytes, got 784", pgm5(28, 28, b"\0" * 784, maxval=65535), "pgm")
img_case("PGM 16-bit sample above maxval", "PGM: sample 1 is 1001, above maxval 1000",
         pgm5(2, 1, struct.pack(">HH", 5, 1001), maxval=1000), "pgm")
img_case("PGM size '28x28'", "unexpected byte 0x78 after the number", b"P5\n28x28\n255\n" + b"\0" * 784, "pgm")
img_case("PGM negative width", "bad width: expected a number, found byte 0x2d", b"P5\n-28 28\n255\n", "pgm")
img_case("P2 garbage sample", "bad sample: expected a number", b"P2\n2 2\n255\n0 1 x 3\n", "pgm")
img_case("P2 too few samples", "PGM: truncated pixel data", b"P2\n3 3\n255\n0 1 2 3 4\n", "pgm")
img_case("P2 sample above maxval", "PGM: sample 2 is 300, above maxval 255", b"P2\n2 2\n255\n0 1 300 3\n", "pgm")
case("image: no such file", 1, "No such file or directory", "predict", "--model", GOOD_MODEL, "@/img/none.png")
case("image: path is a folder", 1, "img", "predict", "--model", GOOD_MODEL, "@/img")
# Valid pictures of unusual shape or encoding: exit 0, nothing on stderr.
img_ok("pixel 1x1 PNG", png(1, 1, [b"\0"]))
img_ok("line 1x10000 PGM", pgm5(1, 10000, b"\xff" * 4000 + b"\0" * 2000 + b"\xff" * 4000), "pgm")
img_ok("line 10000x1 PGM", pgm5(10000, 1, b"\xff" * 4000 + b"\0" * 2000 + b"\xff" * 4000), "pgm")
img_ok("16-bit PGM", pgm5(28, 28, b"".join(struct.pack(">H", 257 * b) for r in digit_rows(28, 28) for b in r), maxval=65535), "pgm")
img_ok("P2 with comments", b"P2 # c\n3 # w\n1\n#m\n7\n0 3 7\n", "pgm")
img_ok("PNG with alpha", png(28, 28, [bytes(v for p in r for v in (0, 0, 0, 255 - p)) for r in digit_rows(28, 28)], color_type=6))
img_ok("PNG grey+alpha", png(28, 28, [bytes(v for p in r for v in (p, 255)) for r in digit_rows(28, 28)], color_type=4))
img_ok("PNG 16-bit grey", png(28, 28, [bytes(v for p in r for v in (p, p)) for r in digit_rows(28, 28)], depth=16))
img_ok("PNG palette + tRNS", png(4, 4, [b"\0\1\1\0"] * 4, color_type=3,
                                   extra_chunks=png_chunk(b"PLTE", b"\0\0\0\xff\xff\xff") + png_chunk(b"tRNS", b"\xff\x00")))
img_ok("PNG 1-bit", png(8, 2, [b"\x0f", b"\xf0"], depth=1))
img_ok("PNG with a bad tEXt CRC", png(28, 28, digit_rows(28, 28), extra_chunks=png_chunk(b"tEXt", b"a\0b", crc=1)))
img_ok("PNG 4000x4000 (16 megapixels)", png(4000, 4000, [], idat=zlib.compress(b"".join(b"\0" + b"\xff" * 4000 for _ in range(4000)), 9)))
img_ok("BMP 24-bit", bmp(28, 28), "bmp")
img_ok("BMP top-down", bmp(28, -28), "bmp")
img_ok("JPEG", good_jpeg, "jpg")
# The reading issue's odd pictures: each reads, or says "no digit", with nothing on stderr.
def img_read(name, want, data, ext="png"):
    path = write("img/read_%s.%s" % (name.replace(" ", "_"), ext), data)
    case("image reads: " + name, 0, want, "predict", "--model", GOOD_MODEL, path)


img_read("all white PNG", "no digit (blank)", png(64, 64, [b"\xff" * 64] * 64))
img_read("all black PNG", "no digit (blank)", png(64, 64, [b"\0" * 64] * 64))
img_read("mid grey PNG", "no digit (blank)", png(64, 48, [b"\x80" * 64] * 48))
img_read("1x1 white PNG", "no digit (blank)", png(1, 1, [b"\xff"]))
img_read("1x1 black PNG", "no digit (blank)", png(1, 1, [b"\0"]))
img_read("all white JPEG-sized PGM", "no digit (blank)", pgm5(640, 480, b"\xee" * (640 * 480)), "pgm")
strip = bytearray(b"\xff" * 100000)
for y in range(3, 7):
    for x in range(4000, 6000):
        strip[y * 10000 + x] = 0
img_read("10000x10 strip with a dash", "not digit-shaped", pgm5(10000, 10, bytes(strip)), "pgm")
img_read("10000x10 white strip", "no digit (blank)", pgm5(10000, 10, b"\xff" * 100000), "pgm")
img_read("10x10000 strip with a bar", "-", pgm5(10, 10000, bytes(b"\xff" * 40000 + (b"\xff\xff\xff\0\0\0\0\xff\xff\xff" * 2000) + b"\xff" * 40000)), "pgm")
img_read("16-bit PNG digit", "-", png(28, 28, [bytes(v for p in r for v in (p, 0)) for r in digit_rows(28, 28)], depth=16))
img_read("grey+alpha PNG digit", "-", png(28, 28, [bytes(v for p in r for v in (0, 255 - p)) for r in digit_rows(28, 28)], color_type=4))
img_read("palette PNG digit", "-", png(28, 28, [bytes(0 if p == 0 else 1 for p in r) for r in digit_rows(28, 28)], color_type=3,
                                      extra_chunks=png_chunk(b"PLTE", b"\x20\x20\x40\xf0\xe8\xd0")))
with open(os.path.join(os.path.dirname(good_jpeg_path), "digit_cmyk.jpg"), "rb") as f:
    img_read("CMYK JPEG digit", "-", f.read(), "jpg")
case("image reads: all white, JSON state", 0, '"state":"blank"', "predict", "--json", "--model", GOOD_MODEL,
     "@/img/read_all_white_PNG.png")

with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
    f.write("\n".join(manifest) + "\n")
print(len(manifest))
