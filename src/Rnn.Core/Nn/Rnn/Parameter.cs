namespace GpuRnn.Nn;

/// <summary>A named trainable tensor and its gradient, both on the model's backend.</summary>
/// <param name="Name">PyTorch's state_dict name, e.g. <c>weight_hh_l1_reverse</c>.</param>
/// <param name="Value">The parameter.</param>
/// <param name="Gradient">Its gradient, same shape; backward passes accumulate into it.</param>
public sealed record Parameter(string Name, Tensor Value, Tensor Gradient);

/// <summary>PyTorch's parameter names for recurrent layers.</summary>
public static class RnnParameterNames
{
    /// <summary><c>{kind}_l{layer}</c>, with <c>_reverse</c> for direction 1 (e.g. <c>bias_hh_l2_reverse</c>).</summary>
    public static string Name(string kind, int layer, int direction) =>
        direction == 0 ? $"{kind}_l{layer}" : $"{kind}_l{layer}_reverse";
}
