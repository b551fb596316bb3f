namespace GpuRnn.Optim;

/// <summary>
/// SGD as torch.optim.SGD with dampening 0: g += weightDecay * p; v = momentum * v + g;
/// g = nesterov ? g + momentum * v : v; p -= lr * g.
/// </summary>
/// <param name="Momentum">Momentum factor (0 = plain SGD, no velocity needed).</param>
/// <param name="WeightDecay">L2 penalty added to the gradient.</param>
/// <param name="Nesterov">Nesterov momentum.</param>
public readonly record struct SgdSettings(double Momentum = 0, double WeightDecay = 0, bool Nesterov = false);

/// <summary>
/// Adam as torch.optim.Adam (<paramref name="Decoupled"/> false: g += wd * p) or AdamW
/// (true: p *= 1 - lr * wd); m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
/// p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
/// </summary>
/// <param name="Beta1">Decay of the first moment.</param>
/// <param name="Beta2">Decay of the second moment.</param>
/// <param name="Epsilon">Added to the denominator.</param>
/// <param name="WeightDecay">Weight decay.</param>
/// <param name="Decoupled">AdamW's decoupled weight decay.</param>
public readonly record struct AdamSettings(double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8, double WeightDecay = 0, bool Decoupled = false);

/// <summary>
/// RMSprop as torch.optim.RMSprop (not centered): g += wd * p; s = alpha s + (1-alpha) g^2;
/// with momentum: b = momentum b + g / (sqrt(s) + eps), p -= lr * b; without: p -= lr * g / (sqrt(s) + eps).
/// </summary>
/// <param name="Alpha">Smoothing constant.</param>
/// <param name="Epsilon">Added to the denominator.</param>
/// <param name="WeightDecay">L2 penalty added to the gradient.</param>
/// <param name="Momentum">Momentum factor (0 = none, no buffer needed).</param>
public readonly record struct RmsPropSettings(double Alpha = 0.99, double Epsilon = 1e-8, double WeightDecay = 0, double Momentum = 0);
