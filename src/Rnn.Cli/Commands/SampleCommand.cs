using System.CommandLine;
using System.Globalization;

namespace GpuRnn.Cli.Commands;

/// <summary>
/// <c>gpurnn sample</c>: generates text from a trained character model, by drawing characters
/// (temperature, top-k) or by beam search for the most probable continuation.
/// </summary>
public static class SampleCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "A checkpoint written by gpurnn train (.safetensors)", Required = true };
        var prime = new Option<string>("--prime") { Description = "Text the model reads first and continues (default: start after a newline)", DefaultValueFactory = _ => "" };
        var length = new Option<int>("--length") { Description = "Characters to generate", DefaultValueFactory = _ => 300 };
        var temperature = new Option<double>("--temperature") { Description = "Below 1 is more conservative, above 1 more varied; must be positive", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--top-k") { Description = "Draw only among the k most probable characters (default 0 = all)" };
        var beam = new Option<int>("--beam") { Description = "Beam search keeping the W most probable continuations; prints the most probable (temperature and top-k do not apply)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the draws (default 0)" };
        var backend = CommonOptions.Backend();
        var command = new Command("sample", "Generate text from a trained model") { model, prime, length, temperature, topK, beam, seed, backend };
        command.SetAction(p => Execute(console, p.GetRequiredValue(model), p.GetValue(prime) ?? "", p.GetValue(length), p.GetValue(temperature),
            p.GetValue(topK), p.GetValue(beam), p.GetValue(seed), p.GetValue(backend) ?? "auto"));
        return command;
    }

    /// <summary>Generates and prints the text; returns the exit code.</summary>
    public static int Execute(CliConsole console, string modelPath, string prime, int length, double temperature, int topK, int beam, ulong seed, string backendName)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new CliException($"--temperature must be positive, got {temperature.ToString(CultureInfo.InvariantCulture)}", ExitCodes.Usage);
        if (length <= 0) throw new CliException($"--length must be positive, got {length}", ExitCodes.Usage);
        if (topK < 0) throw new CliException($"--top-k must be zero (all) or positive, got {topK}", ExitCodes.Usage);
        if (beam < 0) throw new CliException($"--beam must be positive, got {beam}", ExitCodes.Usage);

        var snapshot = Checkpoint.Load(modelPath);
        if (!TaskRegistry.Get(snapshot.Spec.Task).CanSample)
            throw new CliException($"{modelPath}: is a checkpoint of --task {snapshot.Spec.Task.ToName()}; 'gpurnn sample' continues a text with a character model (gpurnn predict is for --task models)");
        var vocabulary = CharLmTask.Characters(snapshot.Spec);
        // The prime and the beam are checked before a backend starts, so a typo costs nothing.
        var start = Sampler.StartIds(vocabulary, prime);
        // Each of W hypotheses is compared with W x V candidates per character, so a width beyond
        // the vocabulary costs W^2 V and finds nothing a narrower one would miss in practice.
        var widest = vocabulary.Count;
        if (beam > widest)
            throw new CliException($"--beam must be at most {widest} (the model's vocabulary size), got {beam}", ExitCodes.Usage);
        using var backend = CommonOptions.CreateBackend(backendName, console);
        var (loaded, _) = Checkpoint.LoadModel(modelPath, backend);
        using (loaded)
        {
            var model = (CharRnnModel)loaded;
            if (beam > 0)
            {
                var best = BeamSearch.Run(model, start, length, beam)[0];
                console.Out.WriteLine(prime + vocabulary.Decode(best.Tokens));
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"(beam {beam}: log-probability {best.LogProbability:F3}, {-best.LogProbability / length / Math.Log(2):F3} bits/char)"));
            }
            else
            {
                var ids = Sampler.Draw(model, start, length, new SamplingOptions(temperature, topK, seed));
                if (ReaderOfStandardOutput(console.Out) is not { } pipe) Stream(console.Out, vocabulary, prime, ids);
                else
                {
                    using (pipe)
                    {
                        try { Stream(pipe, vocabulary, prime, ids); }
                        catch (IOException) { return ExitCodes.Ok; } // the reader went away (| head): stop, as a pipe's writer does
                    }
                }
            }
        }
        return ExitCodes.Ok;
    }

    // .NET's Console ignores a broken pipe, so `gpurnn sample --length 1000000000 | head` would
    // generate to the end into nothing; written straight to file descriptor 1, the write fails
    // as soon as the reader has gone. Only for a pipe: on a file a FileStream keeps its own
    // position, so with `> log 2>&1` it would write over what stderr appended meanwhile.
    private static StreamWriter? ReaderOfStandardOutput(TextWriter output)
    {
        if (!ReferenceEquals(output, Console.Out) || !Console.IsOutputRedirected || OperatingSystem.IsWindows()) return null;
        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false);
        var stream = new FileStream(handle, FileAccess.Write, 1);
        if (stream.CanSeek)
        {
            stream.Dispose();
            return null;
        }
        return new StreamWriter(stream, new System.Text.UTF8Encoding(false), 4096);
    }

    // Written as drawn and flushed at every line and every 256 characters, so a long text shows
    // from its start (and stops at once when the reader goes away) and is never held whole.
    private static void Stream(TextWriter output, Vocabulary vocabulary, string prime, IEnumerable<int> ids)
    {
        output.Write(prime);
        output.Flush();
        var pending = 0;
        foreach (var id in ids)
        {
            var symbol = vocabulary[id];
            output.Write(symbol);
            if (++pending >= 256 || symbol == "\n")
            {
                output.Flush();
                pending = 0;
            }
        }
        output.WriteLine();
        output.Flush();
    }
}
