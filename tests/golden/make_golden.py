#!/usr/bin/python3
"""Writes the PyTorch reference cases that tests/GpuRnn.Tests/Golden/GoldenTests.cs compares against.

Run by hand (the tests never need Python):  /usr/bin/python3 tests/golden/make_golden.py
Needs torch (1.13 was used); the safetensors format is written here with struct + json, so the
`safetensors` package is not needed.

Each case is one file tests/GpuRnn.Tests/golden/<case>_<f32|f64>.safetensors holding:
  - the module's parameters under PyTorch's state_dict names (weight_ih_l0, ...),
  - metadata: cell, input_size, hidden_size, num_layers, bidirectional, bias, proj_size,
    peepholes, gru_variant (GRU), plus case, torch and generator,
  - inputs: x [T, B, I] (time-major), optional h0 [L*D, B, P], c0 [L*D, B, H], lengths [B]
    (I64 or I32; sequences run through pack_padded_sequence(enforce_sorted=False)),
  - outputs: y [T, B, D*P] (zero past each sequence's end, padded to T), hn, cn (LSTM),
  - wy, wh, wc: the weights of the linear functional loss = sum(y*wy) + sum(hn*wh) + sum(cn*wc),
  - grad.<name>: d loss / d every parameter, and grad.x, grad.h0, grad.c0.
float64 files are computed in float64, float32 files in float32 from the same draws.
"""
import json
import os
import struct

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'GpuRnn.Tests', 'golden'))

# Small on purpose: the files are committed and every test backend runs every case.
CASES = [
    dict(name='rnn_tanh_l2_bi_h0_lengths', cell='rnn_tanh', I=3, H=5, L=2, bi=True, T=6, B=3, h0=True, lengths=[6, 2, 4]),
    dict(name='rnn_relu_l1_b1', cell='rnn_relu', I=4, H=6, T=5, B=1),
    dict(name='rnn_relu_l2_bi_nobias_lengths_padded', cell='rnn_relu', I=3, H=4, L=2, bi=True, bias=False, T=7, B=4,
         lengths=[3, 6, 1, 5], lengths_dtype=torch.int32),
    dict(name='lstm_l1', cell='lstm', I=4, H=5, T=5, B=3),
    dict(name='lstm_l2_bi_h0c0_lengths', cell='lstm', I=3, H=4, L=2, bi=True, T=6, B=4, h0=True, lengths=[4, 6, 1, 3]),
    dict(name='lstm_proj_l1', cell='lstm', I=3, H=5, P=2, T=4, B=2),
    dict(name='lstm_proj_l2_bi_h0c0_lengths', cell='lstm', I=4, H=6, P=3, L=2, bi=True, T=5, B=3, h0=True, lengths=[5, 2, 3]),
    dict(name='lstm_nobias_l2_lengths', cell='lstm', I=3, H=4, L=2, bias=False, T=5, B=3, lengths=[2, 5, 4],
         lengths_dtype=torch.int32),
    dict(name='gru_l1_h0', cell='gru', I=4, H=5, T=6, B=2, h0=True),
    dict(name='gru_l2_bi_h0_lengths', cell='gru', I=3, H=4, L=2, bi=True, T=7, B=3, h0=True, lengths=[7, 3, 5]),
    dict(name='gru_nobias_l1_bi', cell='gru', I=3, H=4, bi=True, bias=False, T=4, B=2),
]

DTYPES = {torch.float32: 'F32', torch.float64: 'F64', torch.int32: 'I32', torch.int64: 'I64'}


def write_safetensors(path, tensors, metadata):
    """The safetensors layout: u64 header length, JSON header padded with spaces to 8 bytes, data."""
    header = {'__metadata__': metadata}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def make_module(case):
    kwargs = dict(input_size=case['I'], hidden_size=case['H'], num_layers=case.get('L', 1),
                  bias=case.get('bias', True), bidirectional=case.get('bi', False))
    cell = case['cell']
    if cell == 'lstm':
        return torch.nn.LSTM(proj_size=case.get('P', 0), **kwargs)
    if cell == 'gru':
        return torch.nn.GRU(**kwargs)
    return torch.nn.RNN(nonlinearity='tanh' if cell == 'rnn_tanh' else 'relu', **kwargs)


def draw(case, seed):
    """Parameters and inputs in float64; each dtype's file is computed from these same values."""
    torch.manual_seed(seed)
    module = make_module(case).double()
    L, D = case.get('L', 1), 2 if case.get('bi', False) else 1
    T, B, H = case['T'], case['B'], case['H']
    P = case.get('P', 0) or H
    inputs = {'x': torch.randn(T, B, case['I'], dtype=torch.float64)}
    if case.get('h0'):
        inputs['h0'] = 0.5 * torch.randn(L * D, B, P, dtype=torch.float64)
        if case['cell'] == 'lstm':
            inputs['c0'] = 0.5 * torch.randn(L * D, B, H, dtype=torch.float64)
    return module, inputs


def run(case, module, inputs, dtype):
    module = module.to(dtype)
    x = inputs['x'].to(dtype).requires_grad_()
    h0 = inputs['h0'].to(dtype).requires_grad_() if 'h0' in inputs else None
    c0 = inputs['c0'].to(dtype).requires_grad_() if 'c0' in inputs else None
    hx = (h0, c0) if case['cell'] == 'lstm' and h0 is not None else h0
    T = case['T']
    lengths = case.get('lengths')
    if lengths is not None:
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        out, state = module(packed, hx)
        y, _ = pad_packed_sequence(out, total_length=T)
    else:
        y, state = module(x, hx)
    hn, cn = state if case['cell'] == 'lstm' else (state, None)

    gen = torch.Generator().manual_seed(7 + len(case['name']))
    wy = torch.randn(y.shape, generator=gen, dtype=torch.float64).to(dtype)
    wh = torch.randn(hn.shape, generator=gen, dtype=torch.float64).to(dtype)
    loss = (y * wy).sum() + (hn * wh).sum()
    wc = None
    if cn is not None:
        wc = torch.randn(cn.shape, generator=gen, dtype=torch.float64).to(dtype)
        loss = loss + (cn * wc).sum()
    module.zero_grad()
    loss.backward()

    tensors = {name: p for name, p in module.named_parameters()}
    tensors['x'] = x
    if h0 is not None:
        tensors['h0'] = h0
    if c0 is not None:
        tensors['c0'] = c0
    if lengths is not None:
        tensors['lengths'] = torch.tensor(lengths, dtype=case.get('lengths_dtype', torch.int64))
    tensors['y'] = y
    tensors['hn'] = hn
    if cn is not None:
        tensors['cn'] = cn
    tensors['wy'] = wy
    tensors['wh'] = wh
    if wc is not None:
        tensors['wc'] = wc
    for name, p in module.named_parameters():
        tensors['grad.' + name] = p.grad
    tensors['grad.x'] = x.grad
    if h0 is not None:
        tensors['grad.h0'] = h0.grad
    if c0 is not None:
        tensors['grad.c0'] = c0.grad
    return tensors


def metadata(case):
    m = {
        'cell': case['cell'],
        'input_size': str(case['I']),
        'hidden_size': str(case['H']),
        'num_layers': str(case.get('L', 1)),
        'bidirectional': 'true' if case.get('bi', False) else 'false',
        'bias': 'true' if case.get('bias', True) else 'false',
        'proj_size': str(case.get('P', 0)),
        'peepholes': 'false',
        'case': case['name'],
        'torch': torch.__version__,
        'generator': 'tests/golden/make_golden.py',
    }
    if case['cell'] == 'gru':
        m['gru_variant'] = 'reset_after'
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for index, case in enumerate(CASES):
        for dtype, suffix in ((torch.float64, 'f64'), (torch.float32, 'f32')):
            module, inputs = draw(case, seed=1000 + index)
            tensors = run(case, module, inputs, dtype)
            path = os.path.join(OUT, f"{case['name']}_{suffix}.safetensors")
            write_safetensors(path, tensors, metadata(case))
            total += os.path.getsize(path)
            print(f'{os.path.relpath(path)}: {os.path.getsize(path)} bytes')
    print(f'{len(CASES) * 2} files, {total} bytes')


if __name__ == '__main__':
    main()
