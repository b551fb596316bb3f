#!/usr/bin/env python3
"""The PyTorch twin of `gpurnn train`: the same character model, data split, batching and
evaluation, for comparing validation loss (bench/RESULTS.md).

Model: Embedding(V, E) -> nn.LSTM/GRU/RNN(E, H, L, dropout) -> Dropout -> Linear(H, V), module
names embedding/rnn/decoder as in GpuRnn checkpoints. Data: the text's distinct characters sorted
by code point; first 90% train, last 10% validation. Training: B contiguous streams read T
characters at a time, hidden state carried across chunks and detached, reset at the start of
every pass; mean cross-entropy; global gradient-norm clipping; Adam at a constant rate.
Evaluation: min(B, (N-1)//T) streams over the whole validation text, state carried, every next
character predicted. Weights are initialised by PyTorch's defaults (its own random numbers), so
the comparison is between independent runs of the same configuration.

    python3 bench/pytorch/charlm.py --data ../shared/data/tinyshakespeare.txt --steps 1000 --seed 1
    python3 bench/pytorch/charlm.py --data ... --device cuda        # cuDNN, TF32 off
"""
import argparse
import math
import time

import torch
import torch.nn as nn


class CharModel(nn.Module):
    def __init__(self, vocab, embedding, hidden, layers, dropout, cell):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN}[cell]
        self.rnn = rnn(embedding, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, ids, state):  # ids [T, B]
        y, state = self.rnn(self.embedding(ids), state)
        return self.decoder(self.drop(y)), state


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def streams(tokens, batch):
    length = (len(tokens) - 1) // batch
    return tokens[: batch * length + 1], length


def chunk(tokens, batch, length, offset, steps):
    # inputs[t, b] = tokens[b * length + offset + t]; targets one character later
    d = tokens.device
    idx = torch.arange(batch, device=d).unsqueeze(0) * length + offset + torch.arange(steps, device=d).unsqueeze(1)
    return tokens[idx], tokens[idx + 1]


@torch.no_grad()
def evaluate(model, tokens, batch, seq):
    model.eval()
    b = max(1, min(batch, (len(tokens) - 1) // seq))
    _, length = streams(tokens, b)
    state, loss, correct, count = None, 0.0, 0, 0
    for offset in range(0, length, seq):
        steps = min(seq, length - offset)
        x, y = chunk(tokens, b, length, offset, steps)
        logits, state = model(x, state)
        logits = logits.reshape(-1, logits.shape[-1])
        loss += nn.functional.cross_entropy(logits, y.reshape(-1), reduction="sum").item()
        correct += (logits.argmax(1) == y.reshape(-1)).sum().item()
        count += y.numel()
    model.train()
    return loss / count, correct / count


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--cell", default="lstm")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--embedding", type=int, default=32)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--lr", type=float, default=0.005)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, or cuda for cuDNN")
    p.add_argument("--tf32", type=int, default=0, help="1 lets cuDNN and cuBLAS use TF32 (PyTorch's cuDNN default)")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    torch.backends.cuda.matmul.allow_tf32 = bool(a.tf32)
    torch.backends.cudnn.allow_tf32 = bool(a.tf32)
    dev = torch.device(a.device)

    text = open(a.data, encoding="utf-8").read()
    vocab = sorted(set(text))
    lookup = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([lookup[c] for c in text], dtype=torch.long, device=dev)
    split = int(len(ids) * 0.9)
    train, valid = ids[:split], ids[split:]
    train, length = streams(train, a.batch)
    chunks = length // a.seq

    model = CharModel(len(vocab), a.embedding, a.hidden, a.layers, a.dropout, a.cell).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    state = None
    start = time.time()
    for step in range(a.steps):
        if step % chunks == 0:
            state = None
        x, y = chunk(train, a.batch, length, (step % chunks) * a.seq, a.seq)
        logits, state = model(x, state)
        state = detach(state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        if a.clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        if (step + 1) % 100 == 0:
            print(f"step {step + 1}/{a.steps} loss {loss.item():.4f}", flush=True)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.time() - start
    val_loss, accuracy = evaluate(model, valid, a.batch, a.seq)
    print(f"pytorch {torch.__version__}: validation loss {val_loss:.4f} nats, {val_loss / math.log(2):.3f} bits/char, "
          f"accuracy {100 * accuracy:.1f}%; {a.steps} steps in {seconds:.1f}s "
          f"({a.steps * a.batch * a.seq / seconds:,.0f} chars/s, "
          f"{'cuDNN ' + torch.cuda.get_device_name() + (' tf32' if a.tf32 else ' fp32') if dev.type == 'cuda' else str(a.threads) + ' threads'})")


if __name__ == "__main__":
    main()
