#!/usr/bin/env python3
"""The device's own limits, measured beside GpuRnn's figures (bench/RESULTS.md, kernels.md):
device-to-device copy bandwidth (bytes read plus written), float32 matrix products through cuBLAS
with TF32 off and on, and cuBLAS at the shapes of GpuRnn's own GEMMs (the input projection of all
steps, and one recurrent step's product) so that a kernel's time can be set against the vendor's.
Times are medians of CUDA-event-timed repetitions after warm-up, on fresh random data.
    python3 bench/gpu/limits.py
"""
import torch


def median_ms(fn, reps=20, warmup=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    return times[len(times) // 2]


def main():
    dev = torch.device("cuda")
    p = torch.cuda.get_device_properties(dev)
    print(f"device: {p.name}, {p.multi_processor_count} SMs, {p.total_memory / 2**30:.1f} GiB, "
          f"L2 {getattr(p, 'L2_cache_size', 0) / 2**20:.0f} MiB; torch {torch.__version__}, "
          f"cuDNN {torch.backends.cudnn.version()}, CUDA {torch.version.cuda}")
    n = 1 << 28  # 1 GiB of float32
    src, dst = torch.randn(n, device=dev), torch.empty(n, device=dev)
    ms = median_ms(lambda: dst.copy_(src))
    print(f"copy: 1 GiB device-to-device in {ms:.3f} ms = {2 * 4 * n / ms / 1e6:.0f} GB/s (read + write)")
    del src, dst
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        a, b = torch.randn(8192, 8192, device=dev), torch.randn(8192, 8192, device=dev)
        ms = median_ms(lambda: torch.mm(a, b), reps=10)
        print(f"sgemm 8192^3 tf32={'on ' if tf32 else 'off'}: {ms:.2f} ms = {2 * 8192**3 / ms / 1e9:.1f} TFLOP/s")
    torch.backends.cuda.matmul.allow_tf32 = False
    # GpuRnn's shapes (M x N x K): input projection of all steps, and one step's recurrent product.
    for name, m, n_, k in [("lstm-med x-proj", 3200, 2048, 512), ("lstm-med step", 64, 2048, 512),
                           ("lstm-1024-b64 x-proj", 3200, 4096, 1024), ("lstm-1024-b64 step", 64, 4096, 1024),
                           ("lstm-512-b1 step", 1, 2048, 512), ("lstm-small step", 32, 1024, 256)]:
        a, b = torch.randn(m, k, device=dev), torch.randn(k, n_, device=dev)
        ms = median_ms(lambda: torch.mm(a, b), reps=50)
        print(f"cuBLAS fp32 {name} ({m}x{n_}x{k}): {ms * 1000:.1f} us = {2 * m * n_ * k / ms / 1e6:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
