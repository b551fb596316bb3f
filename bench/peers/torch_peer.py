#!/usr/bin/env python3
"""PyTorch peer of the GpuRnn bench: times nn.LSTM/GRU/RNN on the weights, x and dy GpuRnn wrote.

Prints the times of the timed repetitions, in milliseconds, as a JSON array on its last line.
On CUDA (cuDNN) it times with CUDA events after warm-up; --tf32 sets TF32 for matmul and cuDNN.
With --sgemm N it prints the GFLOP/s of torch.mm at N x N x N instead (the BLAS reference).
"""
import argparse, json, struct, time

import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "I64": torch.int64}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=dtypes[info["dtype"]])
        tensors[name] = t.reshape(info["shape"])
    return tensors, meta


def timed(fn, device, warmup, reps, warmup_time=0.0):
    """Warm-up of at least `warmup` calls and `warmup_time` seconds (as GpuRnn's BenchRunner), then `reps` timed."""
    begin, done = time.perf_counter(), 0
    while done < warmup or time.perf_counter() - begin < warmup_time:
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        done += 1
    times = []
    for _ in range(reps):
        if device == "cuda":
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            stop.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(stop))
        else:
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
    return times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--file")
    p.add_argument("--device", default="cpu")
    p.add_argument("--pass", dest="which", default="fwd")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--warmup-time", dest="warmup_time", type=float, default=1.0)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--tf32", type=int, default=0)
    p.add_argument("--sgemm", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.backends.cuda.matmul.allow_tf32 = bool(a.tf32)
    torch.backends.cudnn.allow_tf32 = bool(a.tf32)
    dev = torch.device(a.device)

    if a.sgemm:
        n = a.sgemm
        x, y = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
        times = timed(lambda: torch.mm(x, y), a.device, 2, 5)
        print(2.0 * n ** 3 / (min(times) / 1000) / 1e9)
        return

    tensors, meta = read_safetensors(a.file)
    x, dy = tensors.pop("x").to(dev), tensors.pop("dy").to(dev)
    cell = meta["cell"]
    hidden, inp = tensors["weight_hh_l0"].shape[1], tensors["weight_ih_l0"].shape[1]
    if cell == "lstm":
        module = torch.nn.LSTM(inp, hidden)
    elif cell == "gru":
        module = torch.nn.GRU(inp, hidden)
    else:
        module = torch.nn.RNN(inp, hidden, nonlinearity="relu" if cell == "rnn_relu" else "tanh")
    module.load_state_dict(tensors)
    module = module.to(dev)

    if a.which == "fwd":
        module.eval()

        def step():
            with torch.no_grad():
                module(x)
    else:
        module.train()
        xg = x.clone().requires_grad_(True)

        def step():
            y, _ = module(xg)
            y.backward(dy)

    print(json.dumps(timed(step, a.device, a.warmup, a.reps, a.warmup_time)))


if __name__ == "__main__":
    main()
