#!/usr/bin/python3
"""nn_torch.py - PyTorch's side of "mlscan's engine vs PyTorch" (run by bench/nn_vs_torch.sh).

    /usr/bin/python3 bench/nn_torch.py --init INIT --data DATA --case NAME [--threads T]
        [--epochs 250] [--batch 500] [--infer 1000000] [--infer-batches 4096,65536]
    /usr/bin/python3 bench/nn_torch.py --info

INIT and DATA are written by bench/nn_engine (--dump-init, --data): the engine's initial flat
weights (per layer W (out x in, row-major, = torch Linear.weight) then the bias) and its
training and test sets, already standardised exactly as the engine standardises them, as
float32. The network is the engine's: Linear + ReLU, a linear output (sigmoid folded into
BCEWithLogitsLoss for a classifier), Adam with torch's defaults (lr 1e-3, betas 0.9/0.999,
eps 1e-8), MSE or BCE, the same epochs and batch size; only the minibatch order differs.

Each measurement is one line "nn_torch key=value ..." on stdout. Exit status 77 when torch
cannot be imported (the benchmark is optional).
"""
import argparse
import os
import struct
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--info", action="store_true", help="print versions and the BLAS in use, then exit")
    ap.add_argument("--init")
    ap.add_argument("--data")
    ap.add_argument("--case", default="?")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=250)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--infer", type=int, default=1000000)
    ap.add_argument("--infer-batches", default="4096,65536")
    ap.add_argument("--seed", type=int, default=12345)
    return ap.parse_args()


args = parse_args()
# Before torch loads: OpenBLAS (pthread build) reads its thread count at load time and does
# not follow torch.set_num_threads().
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"nn_torch: PyTorch is not available ({e}); install python3-torch and "
          "libopenblas0-pthread (Debian) to run this benchmark", file=sys.stderr)
    sys.exit(77)


def blas_info():
    """The BLAS library torch actually maps, and OpenBLAS's kernel choice when it is OpenBLAS."""
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure the BLAS is loaded
    with open("/proc/self/maps") as f:
        libs = sorted({l.split()[-1] for l in f if "blas" in l.lower()})
    core = "n/a"
    try:
        import ctypes
        ob = ctypes.CDLL("libopenblas.so.0")
        ob.openblas_get_corename.restype = ctypes.c_char_p
        core = ob.openblas_get_corename().decode()
    except OSError:
        pass
    return libs, core


def read_blob(path, magic):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != magic:
        sys.exit(f"nn_torch: {path} is not a {magic.decode()} file")
    return raw


def read_init(path):
    raw = read_blob(path, b"MLSNNINI")
    (nl,) = struct.unpack_from("<q", raw, 8)
    shapes = struct.unpack_from(f"<{2 * nl}q", raw, 16)
    off = 16 + 16 * nl
    (npar,) = struct.unpack_from("<q", raw, off)
    flat = np.frombuffer(raw, dtype="<f4", count=npar, offset=off + 8)
    layers, k = [], 0
    for i in range(nl):
        nin, nout = shapes[2 * i], shapes[2 * i + 1]
        w = flat[k:k + nin * nout].reshape(nout, nin)
        k += nin * nout
        b = flat[k:k + nout]
        k += nout
        layers.append((w, b))
    if k != npar:
        sys.exit(f"nn_torch: {path}: layer shapes need {k} parameters, file holds {npar}")
    return layers


def read_data(path):
    raw = read_blob(path, b"MLSNNDAT")
    ntr, nte, nin, nout = struct.unpack_from("<4q", raw, 8)
    off, out = 40, []
    for rows, cols in ((ntr, nin), (ntr, nout), (nte, nin), (nte, nout)):
        a = np.frombuffer(raw, dtype="<f4", count=rows * cols, offset=off).reshape(rows, cols)
        off += 4 * rows * cols
        out.append(torch.from_numpy(a.copy()))
    return out


def build(layers):
    mods = []
    for i, (w, b) in enumerate(layers):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        mods.append(lin)
        if i < len(layers) - 1:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def flop_row(layers, train):
    f = 0.0
    for i, (w, _) in enumerate(layers):
        io = w.shape[0] * w.shape[1]
        f += (4.0 if i == 0 else 6.0) * io if train else 2.0 * io
    return f


def emit(a, what, **kv):
    fields = " ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in kv.items())
    print(f"nn_torch case={a.case} threads={a.threads} what={what} {fields}", flush=True)


def train(a, model, loss_fn, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(a.seed)
    n, total = x.shape[0], 0.0
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(a.epochs):
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for s in range(0, n, a.batch):
            idx = perm[s:s + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * idx.shape[0]
    return time.process_time() - c0, time.perf_counter() - w0, total / n


def infer(a, model, nin, cls, bs):
    """Predict a.infer points in batches of bs; outputs mapped like the engine's (sigmoid / unscale)."""
    gen = torch.Generator().manual_seed(a.seed + 1)
    x = (torch.rand(a.infer, nin, generator=gen) * 2.0 - 1.0) * 3.0 ** 0.5
    out = torch.empty(a.infer, 1)
    with torch.no_grad():
        model(x[:bs])  # warm-up, outside the timing (the engine warms up too)
        c0, w0 = time.process_time(), time.perf_counter()
        for s in range(0, a.infer, bs):
            z = model(x[s:s + bs])
            out[s:s + bs] = torch.sigmoid(z) if cls else z * 1.0 + 0.0
        return time.process_time() - c0, time.perf_counter() - w0


def run(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    layers = read_init(a.init)
    xtr, ytr, xte, yte = read_data(a.data)
    cls = a.case.startswith("cls")
    model = build(layers)
    loss_fn = torch.nn.BCEWithLogitsLoss() if cls else torch.nn.MSELoss()
    with torch.no_grad():
        emit(a, "init", train_loss=f"{loss_fn(model(xtr), ytr).item():.9g}")
    cpu, wall, last = train(a, model, loss_fn, xtr, ytr)
    gflop = flop_row(layers, True) * xtr.shape[0] * a.epochs * 1e-9
    emit(a, "train", n=xtr.shape[0], epochs=a.epochs, cpu_s=f"{cpu:.4f}", wall_s=f"{wall:.4f}",
         gflop=f"{gflop:.3f}", gflops_cpu=f"{gflop / cpu:.2f}", final_train_loss=last)
    with torch.no_grad():
        emit(a, "test", n=xte.shape[0], loss=loss_fn(model(xte), yte).item())
    for bs in (int(b) for b in a.infer_batches.split(",")):
        cpu, wall = infer(a, model, xtr.shape[1], cls, bs)
        gflop = flop_row(layers, False) * a.infer * 1e-9
        emit(a, "infer", n=a.infer, batch=bs, cpu_s=f"{cpu:.4f}", wall_s=f"{wall:.4f}",
             gflops_cpu=f"{gflop / cpu:.2f}")


def info():
    libs, core = blas_info()
    cfg = torch.__config__.show()
    blas = next((p.split("=")[1] for p in cfg.replace(",", "\n").split() if p.startswith("BLAS_INFO=")), "?")
    print(f"nn_torch what=info torch={torch.__version__} build_blas={blas} "
          f"blas_libs={','.join(libs) or 'none'} openblas_core={core} "
          f"cpu_capability={torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, 'cpu') else '?'} "
          f"openblas_coretype_env={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")


if __name__ == "__main__":
    if args.info:
        info()
    elif not (args.init and args.data):
        sys.exit("nn_torch: --init and --data are required (see --help)")
    else:
        run(args)
