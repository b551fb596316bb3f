namespace GpuRnn;

/// <summary>
/// A compute device and everything that must be fast on it. Memory and every heavy operation
/// belong here; layers, models, the trainer and the CLI live in GpuRnn.Core and only call this.
/// Recurrent layers run at cuDNN's granularity: one call covers a whole layer (all its
/// directions) over the whole sequence, never one call per step.
/// </summary>
/// <remarks>
/// Conventions for every method: tensors are dense and row-major; sequences are time-major
/// <c>[T, B, F]</c>; all floating-point arguments of one call share a dtype; outputs are
/// written in full unless the method says it accumulates (gradients of parameters always
/// accumulate, as PyTorch's <c>.grad</c> does). Arguments are checked at the boundary, once, by
/// <see cref="BackendBase"/> (every backend derives from it), and a bad one raises
/// <see cref="ArgumentException"/> naming the expected and the actual value.
/// Calls may be asynchronous on a GPU; <see cref="Download{T}"/> and
/// <see cref="SumOfSquares"/> synchronize.
/// </remarks>
public interface IBackend : IDisposable
{
    /// <summary>The name it is chosen by: <c>cpu</c>, <c>ilgpu-cpu</c>, <c>cuda</c> or <c>opencl</c>.</summary>
    string Name { get; }

    /// <summary>What it runs on, in a few words (device name, memory, threads).</summary>
    string Description { get; }

    /// <summary>Whether tensors of <paramref name="dtype"/> can be allocated and computed with.</summary>
    bool Supports(DType dtype);

    // ---------------------------------------------------------------- memory

    /// <summary>A new zero-filled tensor.</summary>
    Tensor Allocate(Shape shape, DType dtype);

    /// <summary>Copies host data into <paramref name="destination"/>; lengths and element types must match.</summary>
    void Upload<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged;

    /// <summary>Copies <paramref name="source"/> to host memory (synchronizes).</summary>
    void Download<T>(Tensor source, Span<T> destination) where T : unmanaged;

    /// <summary>Copies all elements of <paramref name="source"/> into <paramref name="destination"/> (same element count and dtype).</summary>
    void Copy(Tensor source, Tensor destination);

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    void Fill(Tensor tensor, double value);

    /// <summary>Waits until all queued work has finished.</summary>
    void Synchronize();

    // ---------------------------------------------------------------- recurrent layers

    /// <summary>
    /// Runs one layer, every direction, over the whole sequence.
    /// </summary>
    /// <param name="layer">The layer's descriptor (cell, sizes, directions D, options).</param>
    /// <param name="weights">One <see cref="RnnDirectionWeights"/> per direction.</param>
    /// <param name="x">Input [T, B, I].</param>
    /// <param name="lengths">Per-sequence lengths [B], or null when every sequence has T steps.</param>
    /// <param name="h0">Initial hidden state [D, B, P], or null for zeros.</param>
    /// <param name="c0">LSTM initial cell state [D, B, H], or null for zeros.</param>
    /// <param name="y">Output [T, B, D*P]: direction d writes columns [d*P, (d+1)*P); zero past each sequence's end.</param>
    /// <param name="hN">Final hidden state [D, B, P], taken at each sequence's own last step.</param>
    /// <param name="cN">LSTM final cell state [D, B, H]; null for other cells.</param>
    /// <param name="training">Keep what <see cref="RnnBackward"/> needs and return it.</param>
    /// <returns>The reserve for the backward pass when <paramref name="training"/>, else null.</returns>
    RnnReserve? RnnForward(RnnLayerDesc layer, RnnLayerWeights weights, Tensor x, SequenceLengths? lengths,
        Tensor? h0, Tensor? c0, Tensor y, Tensor hN, Tensor? cN, bool training);

    /// <summary>
    /// Backpropagation through time for one layer, every direction, over the whole sequence.
    /// Parameter gradients are accumulated (+=) into <paramref name="gradients"/>; dx, dh0 and
    /// dc0 are overwritten.
    /// </summary>
    /// <param name="layer">The layer's descriptor, as given to the forward.</param>
    /// <param name="weights">The weights the forward used.</param>
    /// <param name="gradients">Gradient tensors shaped like <paramref name="weights"/>; accumulated.</param>
    /// <param name="reserve">What the training forward returned.</param>
    /// <param name="x">The forward's input [T, B, I].</param>
    /// <param name="lengths">The forward's lengths [B], or null.</param>
    /// <param name="h0">The forward's initial hidden state [D, B, P], or null.</param>
    /// <param name="c0">The forward's initial cell state [D, B, H], or null.</param>
    /// <param name="dy">Gradient of the loss with respect to y: [T, B, D*P]; entries past a sequence's end are ignored.</param>
    /// <param name="dhN">Gradient with respect to hN [D, B, P], or null for zero.</param>
    /// <param name="dcN">Gradient with respect to cN [D, B, H], or null for zero.</param>
    /// <param name="dx">Receives the gradient with respect to x [T, B, I]; null when not needed.</param>
    /// <param name="dh0">Receives the gradient with respect to h0 [D, B, P]; null when not needed.</param>
    /// <param name="dc0">Receives the gradient with respect to c0 [D, B, H]; null when not needed.</param>
    void RnnBackward(RnnLayerDesc layer, RnnLayerWeights weights, RnnLayerWeights gradients, RnnReserve reserve,
        Tensor x, SequenceLengths? lengths, Tensor? h0, Tensor? c0, Tensor dy, Tensor? dhN, Tensor? dcN,
        Tensor? dx, Tensor? dh0, Tensor? dc0);

    // ---------------------------------------------------------------- dense algebra

    /// <summary>
    /// General matrix product C = alpha * op(A) * op(B) + beta * C, where op transposes when asked.
    /// Tensors of rank above 2 are read as matrices [product of leading dims, last dim].
    /// </summary>
    /// <param name="a">A: [M, K], or [K, M] when <paramref name="transposeA"/>.</param>
    /// <param name="transposeA">Use A transposed.</param>
    /// <param name="b">B: [K, N], or [N, K] when <paramref name="transposeB"/>.</param>
    /// <param name="transposeB">Use B transposed.</param>
    /// <param name="c">C: [M, N].</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of C's old contents (0 ignores them, NaN included).</param>
    void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, double alpha = 1, double beta = 0);

    /// <summary>Adds <paramref name="bias"/> [F] to every row of <paramref name="y"/> [N, F].</summary>
    void AddBias(Tensor y, Tensor bias);

    /// <summary>sum [F] = beta * sum + the sum of the rows of <paramref name="x"/> [N, F] (a bias gradient).</summary>
    void SumRows(Tensor x, Tensor sum, double beta = 1);

    /// <summary>y += alpha * x, elementwise over equal element counts.</summary>
    void Axpy(double alpha, Tensor x, Tensor y);

    /// <summary>x *= alpha, elementwise.</summary>
    void Scale(Tensor x, double alpha);

    /// <summary>result = a * b, elementwise over equal element counts (result may alias a or b).</summary>
    void Multiply(Tensor a, Tensor b, Tensor result);

    /// <summary>Swaps the first two axes: x [A, B, F] to y [B, A, F] (batch-first to time-major and back).</summary>
    void Transpose01(Tensor x, Tensor y);

    // ---------------------------------------------------------------- embedding, losses, dropout

    /// <summary>output[n, :] = table[ids[n], :]; an id of -1 (padding) gives a zero row.</summary>
    /// <param name="ids">Token ids [N], int32, each in [0, V) or -1.</param>
    /// <param name="table">Embedding table [V, E].</param>
    /// <param name="output">Rows [N, E] (any shape whose element count is N*E).</param>
    void EmbeddingForward(Tensor ids, Tensor table, Tensor output);

    /// <summary>dTable[ids[n], :] += dOutput[n, :] for every n with ids[n] &gt;= 0, summed in a fixed order.</summary>
    void EmbeddingBackward(Tensor ids, Tensor dOutput, Tensor dTable);

    /// <summary>
    /// Softmax cross-entropy over rows of logits, loss and gradient in one pass.
    /// stats receives [sum of losses, rows whose arg-max equals the target, rows counted]; rows
    /// whose target is -1 are ignored (padding). dLogits = (softmax - onehot) * gradScale on
    /// counted rows and 0 on ignored ones.
    /// </summary>
    /// <param name="logits">[N, V].</param>
    /// <param name="targets">[N], int32, each in [0, V) or -1.</param>
    /// <param name="dLogits">Receives the gradient [N, V]; null for evaluation only (may alias logits).</param>
    /// <param name="gradScale">Factor on the gradient, e.g. 1 / rows counted for a mean loss.</param>
    /// <param name="stats">[3], the logits' dtype.</param>
    void SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor? dLogits, double gradScale, Tensor stats);

    /// <summary>probabilities [N, V] = softmax(logits / temperature) by rows.</summary>
    void Softmax(Tensor logits, Tensor probabilities, double temperature = 1);

    /// <summary>
    /// Squared error: stats [1] receives the sum of (prediction - target)^2; dPrediction =
    /// 2 * (prediction - target) * gradScale.
    /// </summary>
    void MeanSquaredError(Tensor prediction, Tensor target, Tensor? dPrediction, double gradScale, Tensor stats);

    /// <summary>
    /// Inverted dropout: mask[i] = 1/(1-p) when <see cref="CounterRng.Uniform"/>(seed, offset + i) &gt;= p,
    /// else 0; y = x * mask. Identical on every backend for the same seed and offset.
    /// </summary>
    void DropoutForward(Tensor x, Tensor y, Tensor mask, double p, ulong seed, ulong offset);

    // ---------------------------------------------------------------- optimizers

    /// <summary>Sum of the squares of every element of every tensor, as float64 (synchronizes; fixed summation order).</summary>
    double SumOfSquares(IReadOnlyList<Tensor> tensors);

    /// <summary>One SGD step on one parameter tensor, PyTorch's torch.optim.SGD (dampening 0).</summary>
    void SgdStep(Tensor parameter, Tensor gradient, Tensor? velocity, SgdSettings settings, double learningRate);

    /// <summary>One Adam or AdamW step, PyTorch's torch.optim.Adam/AdamW; <paramref name="step"/> counts from 1.</summary>
    void AdamStep(Tensor parameter, Tensor gradient, Tensor m, Tensor v, AdamSettings settings, double learningRate, long step);

    /// <summary>One RMSprop step, PyTorch's torch.optim.RMSprop (not centered).</summary>
    void RmsPropStep(Tensor parameter, Tensor gradient, Tensor squareAverage, Tensor? momentumBuffer, RmsPropSettings settings, double learningRate);
}
