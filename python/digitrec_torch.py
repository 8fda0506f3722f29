"""digitrec_torch - digitrec's model files as torch.nn.Sequential, both ways.

Needs torch and numpy only (plus the standard library).

    import digitrec_torch as dt
    model, meta = dt.load("models/mlp.safetensors", with_meta=True)
    scores = model(x)            # x: (N, 1, 28, 28) float32 in [0, 1], ink = 1, background = 0
    probs = scores.softmax(1)    # scores are the values before softmax
    dt.save(model, "copy.safetensors", classes=None, meta={"dataset": "mnist"})

load(path) returns a torch.nn.Sequential for every file digitrec writes:
  * dense networks (softmax regression 784-10, the MLP 784-128-64-10, any 784-...-K):
    Flatten, then Linear layers with ReLU between them;
  * the notes' literal variant (metadata bias = per-layer, output_activation = relu+softmax):
    each layer's single bias value is repeated over its outputs (a plain nn.Linear), and a
    ReLU follows the last Linear, before the softmax;
  * convolutional networks (metadata arch, e.g. conv16k5-relu-pool-conv32k5-relu-pool-fc10):
    Conv2d, ReLU, MaxPool2d(2, 2), Flatten and Linear in the order the string gives.
The module is in eval mode, float32, on the CPU. Every tensor's shape is checked against the
network it describes; a bad file raises ValueError with a one-line reason.

save(module, path, classes=None, meta=None) writes a digitrec model from an nn.Sequential of
Conv2d, MaxPool2d, ReLU, Flatten and Linear (nested Sequentials are flattened). It raises
ValueError naming the first module or setting digitrec cannot hold: other module types,
dilated, grouped or non-square convolutions, stride other than 1 or 2, padding outside 0..K-1
or not zero-padding, kernels outside 3..7, pools other than 2x2 stride 2 without padding or
ceil_mode, a Flatten not over dims 1..-1, shapes that do not chain from a 1x28x28 input, or a
network that does not end in Linear (a ReLU may follow the last Linear of a dense network only:
the literal variant). A Linear or Conv2d without bias is written with zero biases. classes is
a list of class names (default "0".."K-1"); meta adds string metadata (training details).
The file is written atomically (a temporary file in the same folder, then a rename).

File format (safetensors): tensors layers.{j}.weight / layers.{j}.bias, F32, where j counts the
layers with parameters in order; Conv2d weights [out, in, kh, kw], Linear weights [out, in] with
inputs in torch.flatten(x, 1) order; metadata strings format=digitrec, format_version=1,
classes, input, and either layers ("784,128,64,10", dense) or arch (the canonical grammar string).

Architecture grammar (tokens joined by '-', input 1x28x28): conv<C>k<K>[s<S>][p<P>] (stride 1
or 2, default 1; padding default K//2), relu, pool (MaxPool 2x2/2), flatten (implied before the
first fc), fc<N>; or the dense shorthand 784-128-64-10 with ReLU between. arch_string(module)
gives a module's canonical string.
"""
import json
import os
import re
import struct
import tempfile

import numpy as np
import torch
from torch import nn

__all__ = ["load", "save", "parse_arch", "build_arch", "arch_string"]

FORMAT_VERSION = "1"
INPUT_DESC = "784 floats: 28x28 row-major, pixel/255 in [0,1], ink=1 background=0 (MNIST)"
IN_C, IN_H, IN_W = 1, 28, 28
MAX_CHANNELS = 1024
MAX_FC = 65536


# ---- the grammar ----

def parse_arch(s):
    """Layer specs of a grammar string: a list of tuples ("conv", C, K, S, P), ("relu",),
    ("pool",), ("flatten",), ("fc", N), with the shapes checked as digitrec checks them."""
    s = s.strip()
    presets = {"softmax": "784-10", "mlp": "784-128-64-10",
               "cnn": "conv16k5p0-relu-pool-conv32k5p0-relu-pool-fc64-relu-fc10"}
    s = presets.get(s, s)
    if not s:
        raise ValueError("arch: empty")
    specs = []
    if s[0].isdigit():
        sep = "," if "," in s else "-"
        sizes = s.split(sep)
        if not all(t.isdigit() for t in sizes) or len(sizes) < 2:
            raise ValueError(f"arch {s!r}: the dense form takes sizes only, like 784-128-10")
        if int(sizes[0]) != IN_C * IN_H * IN_W:
            raise ValueError(f"arch {s!r}: the first size is the input, 784")
        specs.append(("flatten",))
        for i, t in enumerate(sizes[1:]):
            if i:
                specs.append(("relu",))
            specs.append(("fc", int(t)))
    else:
        for i, t in enumerate(s.split("-"), 1):
            m = re.fullmatch(r"conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?", t)
            if m:
                k = int(m[2])
                specs.append(("conv", int(m[1]), k, int(m[3]) if m[3] else 1,
                              int(m[4]) if m[4] is not None else k // 2))
            elif t in ("relu", "pool", "flatten"):
                specs.append((t,))
            elif re.fullmatch(r"fc\d+", t):
                specs.append(("fc", int(t[2:])))
            else:
                raise ValueError(f"arch {s!r}: token {i} {t!r}: unknown layer")
    _shapes(specs, s)
    return specs


def _shapes(specs, what):
    """Checks a spec list as digitrec's parser does; returns the (C, H, W) after each layer."""
    c, h, w, flat, out = IN_C, IN_H, IN_W, False, []
    for i, sp in enumerate(specs, 1):
        kind = sp[0]
        where = f"arch {what!r}: layer {i} {kind}"
        if kind == "conv":
            _, co, k, st, p = sp
            if flat:
                raise ValueError(f"{where}: a conv cannot follow flatten or fc")
            if not 1 <= co <= MAX_CHANNELS:
                raise ValueError(f"{where}: {co} channels outside 1..{MAX_CHANNELS}")
            if not 3 <= k <= 7:
                raise ValueError(f"{where}: kernel size {k} outside 3..7")
            if st not in (1, 2):
                raise ValueError(f"{where}: stride {st} (only 1 or 2)")
            if not 0 <= p <= k - 1:
                raise ValueError(f"{where}: padding {p} outside 0..{k - 1}")
            if h + 2 * p < k or w + 2 * p < k:
                raise ValueError(f"{where}: input {h}x{w} is smaller than the kernel")
            c, h, w = co, (h + 2 * p - k) // st + 1, (w + 2 * p - k) // st + 1
        elif kind == "relu":
            if i == 1 or specs[i - 2][0] == "relu":
                raise ValueError(f"{where}: a relu needs a conv, pool or fc before it, once")
        elif kind == "pool":
            if flat:
                raise ValueError(f"{where}: a pool cannot follow flatten or fc")
            if h < 2 or w < 2:
                raise ValueError(f"{where}: input {h}x{w} is too small to pool 2x2")
            h, w = h // 2, w // 2
        elif kind == "flatten":
            if flat:
                raise ValueError(f"{where}: already flat")
            c, h, w, flat = c * h * w, 1, 1, True
        elif kind == "fc":
            if not 1 <= sp[1] <= MAX_FC:
                raise ValueError(f"{where}: width {sp[1]} outside 1..{MAX_FC}")
            if not flat:
                c, h, w, flat = c * h * w, 1, 1, True
            c = sp[1]
        out.append((c, h, w))
    if not specs or specs[-1][0] != "fc":
        raise ValueError(f"arch {what!r}: the last layer must be fc<N>")
    return out


def _is_dense(specs):
    body = [sp for sp in specs if sp[0] != "flatten"]
    if specs[0][0] != "flatten" and any(sp[0] == "flatten" for sp in specs):
        return False
    if any(sp[0] in ("conv", "pool") for sp in body):
        return False
    return all(sp[0] == ("fc" if i % 2 == 0 else "relu") for i, sp in enumerate(body))


def _canonical(specs):
    if _is_dense(specs):
        return "-".join(["784"] + [str(sp[1]) for sp in specs if sp[0] == "fc"])
    toks = []
    for i, sp in enumerate(specs):
        if sp[0] == "flatten" and i + 1 < len(specs) and specs[i + 1][0] != "fc":
            toks.append("flatten")  # implied only before an fc
        elif sp[0] == "conv":
            _, co, k, st, p = sp
            toks.append(f"conv{co}k{k}" + (f"s{st}" if st != 1 else "") + (f"p{p}" if p != k // 2 else ""))
        elif sp[0] == "fc":
            toks.append(f"fc{sp[1]}")
        elif sp[0] != "flatten":
            toks.append(sp[0])
    return "-".join(toks)


def build_arch(s):
    """A freshly initialised nn.Sequential (torch's default init) for a grammar string."""
    specs = parse_arch(s)
    shapes = _shapes(specs, s)
    mods, c, flat = [], IN_C, False
    prev = [(IN_C, IN_H, IN_W)] + shapes[:-1]
    for sp, (oc, _, _), (pc, ph, pw) in zip(specs, shapes, prev):
        if sp[0] == "conv":
            mods.append(nn.Conv2d(c, sp[1], sp[2], stride=sp[3], padding=sp[4]))
        elif sp[0] == "relu":
            mods.append(nn.ReLU())
        elif sp[0] == "pool":
            mods.append(nn.MaxPool2d(2, 2))
        elif sp[0] == "flatten":
            mods.append(nn.Flatten())
            flat = True
        elif sp[0] == "fc":
            if not flat:
                mods.append(nn.Flatten())
                flat = True
            mods.append(nn.Linear(pc * ph * pw, sp[1]))
        c = oc
    return nn.Sequential(*mods)


# ---- modules -> specs ----

def _pair(v, what, name):
    if isinstance(v, int):
        return v
    if isinstance(v, (tuple, list)) and len(v) == 2 and v[0] == v[1]:
        return int(v[0])
    raise ValueError(f"{name}: {what} {v!r} is not square")


def _flat_modules(module):
    if not isinstance(module, nn.Sequential):
        raise ValueError(f"save: expected an nn.Sequential, got {type(module).__name__}")
    out = []
    for name, m in module.named_children():
        if isinstance(m, nn.Sequential):
            out.extend((f"{name}.{n}", mm) for n, mm in _flat_modules(m))
        else:
            out.append((name, m))
    return out


def _module_specs(module):
    """[(spec, module or None)] for a Sequential, or ValueError naming what cannot be written;
    also whether a ReLU follows the last Linear (the literal variant)."""
    specs, params, trailing_relu = [], [], False
    mods = _flat_modules(module)
    for idx, (name, m) in enumerate(mods):
        label = f"module {name} ({type(m).__name__})"
        if isinstance(m, nn.Conv2d):
            k = _pair(m.kernel_size, "kernel", label)
            st = _pair(m.stride, "stride", label)
            if isinstance(m.padding, str):
                if m.padding == "valid":
                    p = 0
                elif m.padding == "same" and st == 1 and k % 2 == 1:
                    p = k // 2
                else:
                    raise ValueError(f"{label}: padding {m.padding!r} not supported")
            else:
                p = _pair(m.padding, "padding", label)
            if _pair(m.dilation, "dilation", label) != 1:
                raise ValueError(f"{label}: dilation {m.dilation} (only 1)")
            if m.groups != 1:
                raise ValueError(f"{label}: groups {m.groups} (only 1)")
            if m.padding_mode != "zeros":
                raise ValueError(f"{label}: padding_mode {m.padding_mode!r} (only zeros)")
            if not 3 <= k <= 7:
                raise ValueError(f"{label}: kernel size {k} outside 3..7")
            if st not in (1, 2):
                raise ValueError(f"{label}: stride {st} (only 1 or 2)")
            if not 0 <= p <= k - 1:
                raise ValueError(f"{label}: padding {p} outside 0..{k - 1}")
            specs.append(("conv", m.out_channels, k, st, p))
            params.append((len(specs) - 1, m))
        elif isinstance(m, nn.MaxPool2d):
            k = _pair(m.kernel_size, "kernel", label)
            st = _pair(m.stride if m.stride is not None else m.kernel_size, "stride", label)
            if k != 2 or st != 2 or _pair(m.padding, "padding", label) != 0 or \
                    _pair(m.dilation, "dilation", label) != 1 or m.ceil_mode or m.return_indices:
                raise ValueError(f"{label}: only MaxPool2d(2, 2) without padding, dilation, ceil_mode or indices")
            specs.append(("pool",))
        elif isinstance(m, nn.ReLU):
            specs.append(("relu",))
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                raise ValueError(f"{label}: only Flatten(1, -1)")
            specs.append(("flatten",))
        elif isinstance(m, nn.Linear):
            if not any(sp[0] == "flatten" for sp in specs):
                raise ValueError(f"{label}: a Linear before any Flatten (the input is (N, 1, 28, 28); "
                                 "add nn.Flatten())")
            specs.append(("fc", m.out_features))
            params.append((len(specs) - 1, m))
        else:
            raise ValueError(f"{label}: digitrec has no such layer "
                             "(Conv2d, MaxPool2d, ReLU, Flatten and Linear only)")
    if specs and specs[-1][0] == "relu" and len(specs) > 1 and specs[-2][0] == "fc":
        body = specs[:-1]
        if body and body[0][0] != "flatten":
            body = [("flatten",)] + body
        if _is_dense(body):
            trailing_relu = True
            specs = specs[:-1]
    return specs, params, trailing_relu


def arch_string(module):
    """The canonical grammar string of a module save() can write."""
    specs, _, trailing = _module_specs(module)
    if trailing:
        raise ValueError("arch_string: a ReLU after the last Linear has no grammar token "
                         "(save() writes it as output_activation relu+softmax)")
    _shapes(specs, "module")
    return _canonical(specs)


# ---- safetensors ----

def _read(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} beyond the file")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is not a JSON object")
    meta = header.pop("__metadata__", {}) or {}
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        if not isinstance(t, dict) or t.get("dtype") != "F32":
            raise ValueError(f"{path}: tensor {name}: only F32 tensors are supported")
        shape = [int(v) for v in t["shape"]]
        b, e = (int(v) for v in t["data_offsets"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not 0 <= b <= e <= len(data) or e - b != 4 * count:
            raise ValueError(f"{path}: tensor {name}: data_offsets {b}, {e} do not fit shape {shape}")
        arr = np.frombuffer(data[b:e], dtype="<f4").reshape(shape).astype(np.float32)
        if not np.isfinite(arr).all():
            raise ValueError(f"{path}: tensor {name}: NaN or Inf")
        tensors[name] = arr
    return tensors, meta


def _write(path, tensors, meta):
    header, blobs, at = {"__metadata__": meta}, [], 0
    for name, arr in tensors:
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".digitrec-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for raw in blobs:
                f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _param(arr):
    return nn.Parameter(torch.from_numpy(np.array(arr, dtype=np.float32)))


def load(path, with_meta=False):
    """nn.Sequential (eval mode) for a digitrec model file; with_meta also returns the metadata."""
    tensors, meta = _read(path)
    # the "not a digit" detector's tensors (ood.means, ood.precision) are not the network's
    tensors = {k: v for k, v in tensors.items() if not k.startswith("ood.")}
    nl = 0
    while f"layers.{nl}.weight" in tensors:
        nl += 1
    want = {f"layers.{j}.{p}" for j in range(nl) for p in ("weight", "bias")}
    if nl == 0 or set(tensors) != want:
        extra = sorted(set(tensors) ^ want)
        raise ValueError(f"{path}: tensors must be layers.0..{max(nl - 1, 0)}.weight/bias (odd: {extra[:3]})")
    w = [tensors[f"layers.{j}.weight"] for j in range(nl)]
    b = [tensors[f"layers.{j}.bias"] for j in range(nl)]
    out_act = meta.get("output_activation", "softmax")
    if out_act not in ("softmax", "relu+softmax"):
        raise ValueError(f"{path}: unknown output_activation {out_act!r}")
    if "arch" in meta:
        specs = parse_arch(meta["arch"])
        if out_act != "softmax":
            raise ValueError(f"{path}: output_activation {out_act!r} with an arch (only softmax)")
        model = build_arch(meta["arch"])
    else:
        sizes = [w[0].shape[1] if w[0].ndim == 2 else -1] + [x.shape[0] for x in w]
        if sizes[0] != IN_C * IN_H * IN_W:
            raise ValueError(f"{path}: layers.0.weight takes {sizes[0]} inputs, expected 784")
        if "layers" in meta and meta["layers"] != ",".join(map(str, sizes)):
            raise ValueError(f"{path}: metadata layers {meta['layers']!r} disagree with the tensors")
        specs = parse_arch("-".join(map(str, sizes)))
        model = build_arch("-".join(map(str, sizes)))
        if out_act == "relu+softmax":
            model.append(nn.ReLU())
    layers = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    if len(layers) != nl:
        raise ValueError(f"{path}: {nl} weight tensors, the architecture has {len(layers)} layers")
    with torch.no_grad():
        for j, m in enumerate(layers):
            if tuple(w[j].shape) != tuple(m.weight.shape):
                raise ValueError(f"{path}: layers.{j}.weight has shape {list(w[j].shape)}, "
                                 f"expected {list(m.weight.shape)}")
            if b[j].shape == (1,) and m.bias.shape[0] != 1:
                if meta.get("bias", "per-layer") != "per-layer":
                    raise ValueError(f"{path}: layers.{j}.bias is [1] but metadata bias is {meta.get('bias')!r}")
                bias = np.full(m.bias.shape, b[j][0], dtype=np.float32)  # one value per layer
            elif tuple(b[j].shape) == tuple(m.bias.shape):
                bias = b[j]
            else:
                raise ValueError(f"{path}: layers.{j}.bias has shape {list(b[j].shape)}, "
                                 f"expected {list(m.bias.shape)} or [1]")
            m.weight = _param(w[j])
            m.bias = _param(bias)
    if "classes" in meta and len(meta["classes"].split(",")) != layers[-1].weight.shape[0]:
        raise ValueError(f"{path}: metadata names {len(meta['classes'].split(','))} classes, "
                         f"the last layer has {layers[-1].weight.shape[0]} outputs")
    model.eval()
    return (model, meta) if with_meta else model


def save(module, path, classes=None, meta=None):
    """Writes module (see the module docstring) as a digitrec model file at path."""
    specs, params, trailing_relu = _module_specs(module)
    if not specs or specs[-1][0] != "fc":
        raise ValueError("save: the network must end in Linear (the class scores)")
    shapes = _shapes(specs, "module")
    # every parameterised module must take what the previous layer gives
    c_prev = [(IN_C, IN_H, IN_W)] + shapes[:-1]
    for (i, m) in params:
        c, h, wd = c_prev[i]
        if isinstance(m, nn.Conv2d) and m.in_channels != c:
            raise ValueError(f"save: Conv2d {i}: in_channels {m.in_channels}, the input has {c} channels")
        if isinstance(m, nn.Linear) and m.in_features != c * h * wd:
            raise ValueError(f"save: Linear {i}: in_features {m.in_features}, the input has {c * h * wd} values")
    dense = _is_dense(specs if specs[0][0] == "flatten" else [("flatten",)] + specs)
    k = specs[-1][1]
    if classes is None:
        classes = [str(i) for i in range(k)]
    classes = [str(c) for c in classes]
    if len(classes) != k or any("," in c for c in classes):
        raise ValueError(f"save: {len(classes)} class names for {k} outputs (names may not contain ',')")
    md = {"format": "digitrec", "format_version": FORMAT_VERSION}
    if dense:
        sizes = [IN_C * IN_H * IN_W] + [sp[1] for sp in specs if sp[0] == "fc"]
        md["layers"] = ",".join(map(str, sizes))
    else:
        md["arch"] = _canonical(specs)
    md.update({"activation": "relu", "output_activation": "relu+softmax" if trailing_relu else "softmax",
               "bias": "per-neuron", "input": INPUT_DESC, "classes": ",".join(classes)})
    for key, val in (meta or {}).items():
        if key in md:
            raise ValueError(f"save: metadata key {key!r} is derived from the network")
        md[str(key)] = str(val)
    md.setdefault("trained_by", "PyTorch " + torch.__version__ + " (python/digitrec_torch.py)")
    tensors = []
    for j, (_, m) in enumerate(params):
        wt = m.weight.detach().cpu().float().numpy()
        bt = m.bias.detach().cpu().float().numpy() if m.bias is not None else np.zeros(wt.shape[0], np.float32)
        if not (np.isfinite(wt).all() and np.isfinite(bt).all()):
            raise ValueError(f"save: layers.{j} holds NaN or Inf")
        tensors += [(f"layers.{j}.weight", wt), (f"layers.{j}.bias", bt)]
    _write(path, tensors, md)
