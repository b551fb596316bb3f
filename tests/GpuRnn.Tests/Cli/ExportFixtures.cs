using GpuRnn.Tests.IO;
using GpuRnn.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace GpuRnn.Tests.Cli;

/// <summary>What the export tests share: tiny checkpoints trained by the CLI, random examples, graph inputs, the metadata check.</summary>
public static class ExportFixtures
{
    /// <summary>A tiny model trained for two steps on the task's built-in data; returns the checkpoint.</summary>
    public static string Train(TempFolder folder, string task, params string[] extra)
    {
        var checkpoint = folder.File($"{task}/model.safetensors");
        string[] small = task switch
        {
            "adding" => ["--length", "8"],
            "copy" => ["--length", "3", "--copy-count", "2"],
            "wordlm" => ["--seq", "6"],
            "charlm" => ["--seq", "8", "--sample-length", "0"],
            _ => [],
        };
        Gpurnn.Run(["train", "--task", task, "--steps", "2", "--out", checkpoint, .. TaskCommandTests.Tiny, .. small, .. extra]).AssertSucceeded();
        return checkpoint;
    }

    /// <summary>Random examples of the spec's inputs with the given lengths.</summary>
    public static SequenceExample[] Examples(TaskSpec spec, Random rng, int[] lengths) => lengths.Select(n => spec.TokenInputs
        ? new SequenceExample { Length = n, Tokens = Enumerable.Range(0, n).Select(_ => rng.Next(spec.InputVocabulary!.Count)).ToArray() }
        : new SequenceExample { Length = n, Features = Enumerable.Range(0, n * spec.FeatureSize).Select(_ => rng.NextDouble() * 2 - 1).ToArray() }).ToArray();

    /// <summary>The examples as the graph's <c>tokens</c> [T, B] or <c>features</c> [T, B, F], padded with arbitrary valid values, and <c>lengths</c>.</summary>
    public static OrtRun.Input[] GraphInputs(TaskSpec spec, Random rng, SequenceExample[] examples)
    {
        int batch = examples.Length, steps = examples.Max(e => e.Length);
        var lengths = examples.Select(e => e.Length).ToArray();
        if (spec.TokenInputs)
        {
            var tokens = new long[steps * batch];
            for (var t = 0; t < steps; t++)
                for (var b = 0; b < batch; b++)
                    tokens[t * batch + b] = t < lengths[b] ? examples[b].Tokens![t] : rng.Next(spec.InputVocabulary!.Count);
            return [new("tokens", tokens, steps, batch), new("lengths", lengths, batch)];
        }
        int f = spec.FeatureSize;
        var features = new float[steps * batch * f];
        for (var t = 0; t < steps; t++)
            for (var b = 0; b < batch; b++)
                for (var k = 0; k < f; k++)
                    features[(t * batch + b) * f + k] = t < lengths[b] ? (float)examples[b].Features![t * f + k] : (float)rng.NextDouble();
        return [new("features", features, steps, batch, f), new("lengths", lengths, batch)];
    }

    /// <summary>The metadata a caller maps text to ids and ids to labels with.</summary>
    public static void CheckMetadata(InferenceSession session, TaskSpec spec, string graph)
    {
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(graph, meta["gpurnn.graph"]);
        Assert.Equal(spec.Task.ToName(), meta["gpurnn.task"]);
        Assert.Equal(spec, TaskSpec.FromJson(meta["gpurnn.spec"]), new SpecComparer());
        if (spec.InputVocabulary is not null) Assert.True(spec.InputVocabulary.SameAs(Vocabulary.FromJson(meta["gpurnn.input_vocabulary"])));
        else Assert.False(meta.ContainsKey("gpurnn.input_vocabulary"));
        if (spec.OutputVocabulary is not null) Assert.True(spec.OutputVocabulary.SameAs(Vocabulary.FromJson(meta["gpurnn.output_vocabulary"])));
        else Assert.False(meta.ContainsKey("gpurnn.output_vocabulary"));
    }

    private sealed class SpecComparer : IEqualityComparer<TaskSpec>
    {
        public bool Equals(TaskSpec? x, TaskSpec? y) => x?.ToJson() == y?.ToJson();

        public int GetHashCode(TaskSpec obj) => obj.ToJson().GetHashCode(StringComparison.Ordinal);
    }

}
