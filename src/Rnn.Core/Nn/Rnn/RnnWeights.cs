namespace GpuRnn.Nn;

/// <summary>
/// The parameters of one direction of one layer, in PyTorch's shapes and gate order
/// (LSTM i, f, g, o; GRU r, z, n). The same type carries the gradients of those parameters.
/// G is the gate count, H the hidden size, P the state size (projection size or H), I the layer's input size.
/// </summary>
/// <param name="WeightIh"><c>weight_ih_l{k}</c>: [G*H, I].</param>
/// <param name="WeightHh"><c>weight_hh_l{k}</c>: [G*H, P].</param>
/// <param name="BiasIh"><c>bias_ih_l{k}</c>: [G*H], when the layer has biases.</param>
/// <param name="BiasHh"><c>bias_hh_l{k}</c>: [G*H], when the layer has biases.</param>
/// <param name="WeightHr"><c>weight_hr_l{k}</c>: [P, H], LSTM with projection only.</param>
/// <param name="WeightCi"><c>weight_ci_l{k}</c>: [H], LSTM peephole into the input gate.</param>
/// <param name="WeightCf"><c>weight_cf_l{k}</c>: [H], LSTM peephole into the forget gate.</param>
/// <param name="WeightCo"><c>weight_co_l{k}</c>: [H], LSTM peephole into the output gate.</param>
/// <param name="LayerNormIhWeight"><c>layer_norm_ih_weight_l{k}</c>: [G*H], gain of LN(W_ih x), with layer norm.</param>
/// <param name="LayerNormIhBias"><c>layer_norm_ih_bias_l{k}</c>: [G*H], bias of LN(W_ih x).</param>
/// <param name="LayerNormHhWeight"><c>layer_norm_hh_weight_l{k}</c>: [G*H], gain of LN(W_hh h).</param>
/// <param name="LayerNormHhBias"><c>layer_norm_hh_bias_l{k}</c>: [G*H], bias of LN(W_hh h).</param>
/// <param name="LayerNormCellWeight"><c>layer_norm_cell_weight_l{k}</c>: [H], LSTM only: gain of LN(c).</param>
/// <param name="LayerNormCellBias"><c>layer_norm_cell_bias_l{k}</c>: [H], LSTM only: bias of LN(c).</param>
public sealed record RnnDirectionWeights(
    Tensor WeightIh,
    Tensor WeightHh,
    Tensor? BiasIh = null,
    Tensor? BiasHh = null,
    Tensor? WeightHr = null,
    Tensor? WeightCi = null,
    Tensor? WeightCf = null,
    Tensor? WeightCo = null,
    Tensor? LayerNormIhWeight = null,
    Tensor? LayerNormIhBias = null,
    Tensor? LayerNormHhWeight = null,
    Tensor? LayerNormHhBias = null,
    Tensor? LayerNormCellWeight = null,
    Tensor? LayerNormCellBias = null)
{
    /// <summary>The tensors that exist, in PyTorch's state_dict order, with their name suffix (<c>weight_ih</c>, ...).</summary>
    public IEnumerable<(string Kind, Tensor Tensor)> Present()
    {
        yield return ("weight_ih", WeightIh);
        yield return ("weight_hh", WeightHh);
        if (BiasIh is not null) yield return ("bias_ih", BiasIh);
        if (BiasHh is not null) yield return ("bias_hh", BiasHh);
        if (WeightHr is not null) yield return ("weight_hr", WeightHr);
        if (WeightCi is not null) yield return ("weight_ci", WeightCi);
        if (WeightCf is not null) yield return ("weight_cf", WeightCf);
        if (WeightCo is not null) yield return ("weight_co", WeightCo);
        if (LayerNormIhWeight is not null) yield return ("layer_norm_ih_weight", LayerNormIhWeight);
        if (LayerNormIhBias is not null) yield return ("layer_norm_ih_bias", LayerNormIhBias);
        if (LayerNormHhWeight is not null) yield return ("layer_norm_hh_weight", LayerNormHhWeight);
        if (LayerNormHhBias is not null) yield return ("layer_norm_hh_bias", LayerNormHhBias);
        if (LayerNormCellWeight is not null) yield return ("layer_norm_cell_weight", LayerNormCellWeight);
        if (LayerNormCellBias is not null) yield return ("layer_norm_cell_bias", LayerNormCellBias);
    }
}

/// <summary>The parameters (or gradients) of one layer: one entry per direction, forward first.</summary>
/// <param name="Directions">Direction 0 runs forward in time, direction 1 (if any) backwards.</param>
public sealed record RnnLayerWeights(IReadOnlyList<RnnDirectionWeights> Directions);
