namespace GpuRnn.Optim;

/// <summary>Global gradient-norm clipping (Pascanu, Mikolov and Bengio 2013).</summary>
public static class GradientClipping
{
    /// <summary>
    /// The global norm ||g|| of every gradient taken together, as float64 (the backend sums in a fixed order).
    /// </summary>
    public static double GlobalNorm(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0) return 0;
        var grads = new Tensor[parameters.Count];
        for (var i = 0; i < grads.Length; i++) grads[i] = parameters[i].Gradient;
        return Math.Sqrt(parameters[0].Gradient.Backend.SumOfSquares(grads));
    }

    /// <summary>
    /// Scales every gradient by c / ||g|| when the global norm ||g|| exceeds <paramref name="maxNorm"/> = c
    /// (a non-positive c disables clipping). Returns the norm before clipping, which is NaN or
    /// infinite when a gradient is; such gradients are left as they are for the caller to reject.
    /// </summary>
    public static double ClipGlobalNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        var norm = GlobalNorm(parameters);
        if (maxNorm > 0 && norm > maxNorm && double.IsFinite(norm))
        {
            var scale = maxNorm / norm;
            foreach (var p in parameters) p.Gradient.Backend.Scale(p.Gradient, scale);
        }
        return norm;
    }
}
