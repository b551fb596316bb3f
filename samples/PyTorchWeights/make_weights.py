#!/usr/bin/python3
"""Writes the two files the PyTorchWeights sample reads, as a PyTorch user would make them.

Run by hand (the sample and CI never need Python):  /usr/bin/python3 samples/PyTorchWeights/make_weights.py
Needs torch (1.13 was used). The safetensors format is written here with struct + json (as
`safetensors.torch.save_file` would write it), so the `safetensors` package is not needed.

  lstm.safetensors      the state_dict of torch.nn.LSTM(input_size=6, hidden_size=10, num_layers=2,
                        bidirectional=True, proj_size=4), float32, metadata {"cell": "lstm"}
  expected.safetensors  x [T=7, B=3, 6], h0 [4, 3, 4], c0 [4, 3, 10], lengths [3] (int64, unsorted), and
                        PyTorch's y [7, 3, 8] (zero past each sequence's end), hn [4, 3, 4], cn [4, 3, 10]
                        through pack_padded_sequence(enforce_sorted=False), computed in float64 from
                        the float32 weights and inputs.
"""
import json
import os
import struct

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: 'F32', torch.float64: 'F64', torch.int64: 'I64'}


def save_file(tensors, path, metadata=None):
    """safetensors: u64 header length, JSON header padded with spaces to 8 bytes, then the data."""
    header = {'__metadata__': metadata} if metadata else {}
    blobs, offset = [], 0
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


def main():
    torch.manual_seed(2024)
    lstm = torch.nn.LSTM(input_size=6, hidden_size=10, num_layers=2, bidirectional=True, proj_size=4)
    T, B = 7, 3
    x = torch.randn(T, B, 6)
    h0 = 0.5 * torch.randn(4, B, 4)
    c0 = 0.5 * torch.randn(4, B, 10)
    lengths = torch.tensor([5, 7, 2], dtype=torch.int64)

    save_file(lstm.state_dict(), os.path.join(HERE, 'lstm.safetensors'), {'cell': 'lstm'})

    reference = lstm.double()
    with torch.no_grad():
        packed = pack_padded_sequence(x.double(), lengths, enforce_sorted=False)
        out, (hn, cn) = reference(packed, (h0.double(), c0.double()))
        y, _ = pad_packed_sequence(out, total_length=T)
    save_file({'x': x, 'h0': h0, 'c0': c0, 'lengths': lengths, 'y': y, 'hn': hn, 'cn': cn},
              os.path.join(HERE, 'expected.safetensors'), {'torch': torch.__version__})
    print(f'wrote lstm.safetensors and expected.safetensors (torch {torch.__version__}); y {list(y.shape)}')


if __name__ == '__main__':
    main()
