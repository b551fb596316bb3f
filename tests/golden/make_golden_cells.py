#!/usr/bin/python3
"""Writes the cell-option reference cases that tests/GpuRnn.Tests/Golden/CellOptionsGoldenTests.cs compares against.

Run by hand (the tests never need Python):  /usr/bin/python3 tests/golden/make_golden_cells.py
Needs torch (1.13 was used). PyTorch has no layer-normalised LSTM/GRU, zoneout or cell clipping,
so the cells are written out here by hand in autograd from their papers' definitions, independent
of GpuRnn's code:
  - layer norm (Ba, Kiros and Hinton 2016, 3.1; Haste's LayerNormLSTM/GRU): gates =
    LN_ih(W_ih x) + LN_hh(W_hh h) + b_ih + b_hh, each LN with its own gain and bias
    (torch.nn.functional.layer_norm, eps 1e-5); LSTM h = o * tanh(LN_cell(c));
    GRU (reset after) n = tanh(ax_n + r * ah_n) with ax, ah the normalised products plus biases,
  - zoneout (Krueger et al. 2016) in evaluation: the expectation z * previous + (1 - z) * new,
    on h and (LSTM) c; the new h is made from the unzoned cell,
  - cell clipping (cuDNN's CUDNN_RNN_CLIP_MINMAX): c = clamp(f * c(t-1) + i * g, -k, k) every
    step; output-gate peepholes see the clipped cell,
  - peepholes (i, f see c(t-1); o sees c(t)) and projection h = W_hr m as GpuRnn's LSTM,
  - the reset-before GRU (Cho et al. 2014), n = tanh(W_in x + b_in + W_hn (r * h) + b_hn), for zoneout.
Variable lengths follow pack_padded_sequence: a row past its length keeps its state and outputs
zero; the reverse direction starts at each sequence's own end.

The files share make_golden.py's layout (tests/GpuRnn.Tests/golden/cells/<case>_<f32|f64>.safetensors):
parameters under GpuRnn's names, metadata (cell options included: layer_norm, zoneout,
zoneout_cell, cell_clip), inputs, outputs y, hn, cn and the linear functional's weights wy, wh, wc.
Cases without zoneout also hold grad.<name>, grad.x, grad.h0, grad.c0 (zoneout's training masks
are GpuRnn's own counter-based draws, so only its evaluation, the expectation, is a reference).
"""
import os

import torch
import torch.nn.functional as F

from make_golden import write_safetensors

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'GpuRnn.Tests', 'golden', 'cells'))

# Small on purpose; clip bounds are chosen so that some cells clip and none sits within 1e-3 of k.
CASES = [
    dict(name='lstm_ln_l1_h0c0_lengths', cell='lstm', I=3, H=5, T=5, B=3, h0=True, lengths=[5, 2, 4], ln=True),
    dict(name='lstm_ln_l2_bi_lengths', cell='lstm', I=3, H=4, L=2, bi=True, T=6, B=3, lengths=[6, 3, 1], ln=True),
    dict(name='lstm_ln_peep_proj_l1_bi', cell='lstm', I=4, H=5, P=3, bi=True, T=4, B=2, h0=True, ln=True, peep=True),
    dict(name='lstm_clip_l1_h0c0', cell='lstm', I=3, H=6, T=6, B=3, h0=True, clip=0.35),
    dict(name='lstm_clip_peep_l2_bi_lengths', cell='lstm', I=3, H=4, L=2, bi=True, T=5, B=3, lengths=[5, 1, 3],
         clip=0.3, peep=True),
    dict(name='lstm_ln_clip_nobias_l1', cell='lstm', I=3, H=5, bias=False, T=5, B=2, ln=True, clip=0.3),
    dict(name='gru_ln_l1_h0', cell='gru', I=4, H=5, T=5, B=3, h0=True, ln=True),
    dict(name='gru_ln_l2_bi_lengths', cell='gru', I=3, H=4, L=2, bi=True, T=6, B=3, h0=True, lengths=[2, 6, 4], ln=True),
    # Zoneout in evaluation: forward only.
    dict(name='lstm_zoneout_eval_l1_bi_lengths', cell='lstm', I=3, H=5, bi=True, T=5, B=3, h0=True, lengths=[5, 3, 2],
         zoneout=0.3, zoneout_cell=0.2),
    dict(name='lstm_zoneout_ln_clip_proj_eval_l2', cell='lstm', I=3, H=4, P=3, L=2, T=4, B=2, ln=True, clip=0.4,
         zoneout=0.25, zoneout_cell=0.4, peep=True),
    dict(name='gru_zoneout_ln_eval_l2_bi_lengths', cell='gru', I=3, H=4, L=2, bi=True, T=5, B=3, h0=True,
         lengths=[4, 5, 2], ln=True, zoneout=0.35),
    dict(name='gru_reset_before_zoneout_eval_l1_bi_lengths', cell='gru', reset_before=True, I=3, H=5, bi=True, T=5, B=3,
         h0=True, lengths=[5, 2, 4], zoneout=0.3),
]

EPS = 1e-5


def dims(case):
    L, D = case.get('L', 1), 2 if case.get('bi', False) else 1
    H = case['H']
    P = case.get('P', 0) or H
    G = 4 if case['cell'] == 'lstm' else 3
    return L, D, H, P, G


def draw(case, seed):
    """Parameters and inputs in float64 (each dtype's file is computed from these values)."""
    gen = torch.Generator().manual_seed(seed)
    L, D, H, P, G = dims(case)
    scale = H ** -0.5

    def u(*shape):
        return (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * scale

    params = {}
    for layer in range(L):
        inputs = case['I'] if layer == 0 else D * P
        for d in range(D):
            sfx = f'_l{layer}' + ('_reverse' if d == 1 else '')
            params['weight_ih' + sfx] = u(G * H, inputs)
            params['weight_hh' + sfx] = u(G * H, P)
            if case.get('bias', True):
                params['bias_ih' + sfx] = u(G * H)
                params['bias_hh' + sfx] = u(G * H)
            if case.get('P'):
                params['weight_hr' + sfx] = u(P, H)
            if case.get('peep'):
                for gate in ('ci', 'cf', 'co'):
                    params[f'weight_{gate}' + sfx] = u(H)
            if case.get('ln'):
                # Gains about 1 and biases about 0, drawn so that their gradients are exercised.
                for part, n in (('ih', G * H), ('hh', G * H)) + ((('cell', H),) if case['cell'] == 'lstm' else ()):
                    params[f'layer_norm_{part}_weight' + sfx] = 1 + 0.3 * torch.randn(n, generator=gen, dtype=torch.float64)
                    params[f'layer_norm_{part}_bias' + sfx] = 0.1 * torch.randn(n, generator=gen, dtype=torch.float64)
    inputs = {'x': torch.randn(case['T'], case['B'], case['I'], generator=gen, dtype=torch.float64)}
    if case.get('h0'):
        inputs['h0'] = 0.5 * torch.randn(L * D, case['B'], P, generator=gen, dtype=torch.float64)
        if case['cell'] == 'lstm':
            inputs['c0'] = 0.5 * torch.randn(L * D, case['B'], H, generator=gen, dtype=torch.float64)
    return params, inputs


def zone(previous, new, z):
    """Zoneout in evaluation: the expectation over the keep mask."""
    return new if z == 0 else z * previous + (1 - z) * new


def norm(a, params, part, sfx):
    """LN with the gain layer_norm_{part}_weight{sfx} and bias layer_norm_{part}_bias{sfx}."""
    return F.layer_norm(a, (a.shape[-1],), params[f'layer_norm_{part}_weight' + sfx], params[f'layer_norm_{part}_bias' + sfx], EPS)


def lstm_step(case, p, sfx, x, h, c):
    H = case['H']
    ln = case.get('ln', False)
    ax, ah = x @ p['weight_ih' + sfx].T, h @ p['weight_hh' + sfx].T
    if ln:
        ax, ah = norm(ax, p, 'ih', sfx), norm(ah, p, 'hh', sfx)
    a = ax + ah
    if case.get('bias', True):
        a = a + p['bias_ih' + sfx] + p['bias_hh' + sfx]
    ai, af, ag, ao = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    if case.get('peep'):
        ai = ai + p['weight_ci' + sfx] * c
        af = af + p['weight_cf' + sfx] * c
    i, f, g = torch.sigmoid(ai), torch.sigmoid(af), torch.tanh(ag)
    cell = f * c + i * g
    if case.get('clip'):
        cell = torch.clamp(cell, -case['clip'], case['clip'])
    if case.get('peep'):
        ao = ao + p['weight_co' + sfx] * cell
    o = torch.sigmoid(ao)
    m = o * torch.tanh(norm(cell, p, 'cell', sfx) if ln else cell)
    hn = m @ p['weight_hr' + sfx].T if case.get('P') else m
    return zone(h, hn, case.get('zoneout', 0)), zone(c, cell, case.get('zoneout_cell', 0))


def gru_step(case, p, sfx, x, h):
    H = case['H']
    if case.get('reset_before'):
        return gru_reset_before_step(case, p, sfx, x, h)
    ax, ah = x @ p['weight_ih' + sfx].T, h @ p['weight_hh' + sfx].T
    if case.get('ln'):
        ax, ah = norm(ax, p, 'ih', sfx), norm(ah, p, 'hh', sfx)
    if case.get('bias', True):
        ax, ah = ax + p['bias_ih' + sfx], ah + p['bias_hh' + sfx]
    r = torch.sigmoid(ax[:, :H] + ah[:, :H])
    z = torch.sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = torch.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return zone(h, (1 - z) * n + z * h, case.get('zoneout', 0))


def gru_reset_before_step(case, p, sfx, x, h):
    """Cho et al. 2014: the reset gate multiplies h(t-1) before W_hn (no layer norm is defined for it)."""
    H = case['H']
    w = p['weight_hh' + sfx]
    ax = x @ p['weight_ih' + sfx].T
    ah = h @ w[:2 * H].T
    if case.get('bias', True):
        ax, ah = ax + p['bias_ih' + sfx], ah + p['bias_hh' + sfx][:2 * H]
    r = torch.sigmoid(ax[:, :H] + ah[:, :H])
    z = torch.sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    hn = (r * h) @ w[2 * H:].T
    if case.get('bias', True):
        hn = hn + p['bias_hh' + sfx][2 * H:]
    n = torch.tanh(ax[:, 2 * H:] + hn)
    return zone(h, (1 - z) * n + z * h, case.get('zoneout', 0))


def forward(case, p, x, h0, c0, lengths):
    """The stack, time-major; returns y [T, B, D*P], hn [L*D, B, P], cn [L*D, B, H] (LSTM) or None."""
    L, D, H, P, G = dims(case)
    T, B = x.shape[0], x.shape[1]
    lstm = case['cell'] == 'lstm'
    active = (torch.arange(T)[:, None] < torch.tensor(lengths)[None, :]) if lengths else torch.ones(T, B, dtype=torch.bool)
    hn, cn = [], []
    layer_in = x
    for layer in range(L):
        outs = []
        for d in range(D):
            sfx = f'_l{layer}' + ('_reverse' if d == 1 else '')
            k = layer * D + d
            h = h0[k] if h0 is not None else torch.zeros(B, P, dtype=x.dtype)
            c = (c0[k] if c0 is not None else torch.zeros(B, H, dtype=x.dtype)) if lstm else None
            ys = [None] * T
            for t in (range(T - 1, -1, -1) if d == 1 else range(T)):
                keep = active[t][:, None]
                if lstm:
                    h_new, c_new = lstm_step(case, p, sfx, layer_in[t], h, c)
                    c = torch.where(keep, c_new, c)
                else:
                    h_new = gru_step(case, p, sfx, layer_in[t], h)
                h = torch.where(keep, h_new, h)
                ys[t] = torch.where(keep, h, torch.zeros_like(h))
            outs.append(torch.stack(ys))
            hn.append(h)
            if lstm:
                cn.append(c)
        layer_in = torch.cat(outs, dim=2)
    return layer_in, torch.stack(hn), (torch.stack(cn) if lstm else None)


def run(case, params, inputs, dtype):
    p = {k: v.detach().to(dtype).clone().requires_grad_() for k, v in params.items()}
    x = inputs['x'].to(dtype).clone().requires_grad_()
    h0 = inputs['h0'].to(dtype).clone().requires_grad_() if 'h0' in inputs else None
    c0 = inputs['c0'].to(dtype).clone().requires_grad_() if 'c0' in inputs else None
    lengths = case.get('lengths')
    y, hn, cn = forward(case, p, x, h0, c0, lengths)

    gen = torch.Generator().manual_seed(7 + len(case['name']))
    wy = torch.randn(y.shape, generator=gen, dtype=torch.float64).to(dtype)
    wh = torch.randn(hn.shape, generator=gen, dtype=torch.float64).to(dtype)
    loss = (y * wy).sum() + (hn * wh).sum()
    wc = None
    if cn is not None:
        wc = torch.randn(cn.shape, generator=gen, dtype=torch.float64).to(dtype)
        loss = loss + (cn * wc).sum()
    gradients = not (case.get('zoneout') or case.get('zoneout_cell'))
    if gradients:
        loss.backward()

    tensors = dict(p)
    tensors['x'] = x
    if h0 is not None:
        tensors['h0'] = h0
    if c0 is not None:
        tensors['c0'] = c0
    if lengths is not None:
        tensors['lengths'] = torch.tensor(lengths, dtype=torch.int64)
    tensors['y'] = y
    tensors['hn'] = hn
    if cn is not None:
        tensors['cn'] = cn
    tensors['wy'] = wy
    tensors['wh'] = wh
    if wc is not None:
        tensors['wc'] = wc
    if gradients:
        for name, v in p.items():
            tensors['grad.' + name] = v.grad
        tensors['grad.x'] = x.grad
        if h0 is not None:
            tensors['grad.h0'] = h0.grad
        if c0 is not None:
            tensors['grad.c0'] = c0.grad
    return tensors


def check_clip_margin(case, params, inputs):
    """Fails if a clipped case has a raw cell within 1e-3 of the bound (its gradient there is a kink)."""
    if not case.get('clip'):
        return
    k = case['clip']
    raws = []
    original = torch.clamp

    def spy(v, lo, hi):
        raws.append(v.detach())
        return original(v, lo, hi)

    torch.clamp = spy
    try:
        forward(case, params, inputs['x'], inputs.get('h0'), inputs.get('c0'), case.get('lengths'))
    finally:
        torch.clamp = original
    raw = torch.cat([r.flatten() for r in raws])
    clipped = int((raw.abs() > k).sum())
    closest = float((raw.abs() - k).abs().min())
    if clipped == 0 or closest < 1e-3:
        raise SystemExit(f"{case['name']}: {clipped} clipped cells, closest to the bound {closest:.2e}; pick another k")
    print(f"  {case['name']}: {clipped} of {raw.numel()} cells clipped, closest {closest:.2e} from k")


def metadata(case):
    L, D, H, P, G = dims(case)
    m = {
        'cell': case['cell'],
        'input_size': str(case['I']),
        'hidden_size': str(H),
        'num_layers': str(L),
        'bidirectional': 'true' if D == 2 else 'false',
        'bias': 'true' if case.get('bias', True) else 'false',
        'proj_size': str(case.get('P', 0)),
        'peepholes': 'true' if case.get('peep') else 'false',
        'case': case['name'],
        'torch': torch.__version__,
        'generator': 'tests/golden/make_golden_cells.py',
    }
    if case['cell'] == 'gru':
        m['gru_variant'] = 'reset_before' if case.get('reset_before') else 'reset_after'
    if case.get('ln'):
        m['layer_norm'] = 'true'
    for key in ('zoneout', 'zoneout_cell'):
        if case.get(key):
            m[key] = repr(float(case[key]))
    if case.get('clip'):
        m['cell_clip'] = repr(float(case['clip']))
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for index, case in enumerate(CASES):
        params, inputs = draw(case, seed=2000 + index)
        check_clip_margin(case, params, inputs)
        for dtype, suffix in ((torch.float64, 'f64'), (torch.float32, 'f32')):
            tensors = run(case, params, inputs, dtype)
            path = os.path.join(OUT, f"{case['name']}_{suffix}.safetensors")
            write_safetensors(path, tensors, metadata(case))
            total += os.path.getsize(path)
            print(f'{os.path.relpath(path)}: {os.path.getsize(path)} bytes')
    print(f'{len(CASES) * 2} files, {total} bytes')


if __name__ == '__main__':
    main()
