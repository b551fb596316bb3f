using System.Runtime.InteropServices;

namespace GpuRnn.IO;

/// <summary>
/// Builds an ONNX ModelProto (IR version 8, default domain): nodes in topological order,
/// float32/int64 initializers, typed inputs and outputs with symbolic dimensions.
/// Field numbers are those of onnx.proto.
/// </summary>
internal sealed class OnnxGraph(string name, int opset)
{
    /// <summary>TensorProto.DataType values used here.</summary>
    public const int Float = 1, Int32 = 6, Int64 = 7;

    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private readonly List<KeyValuePair<string, string>> _metadata = [];
    private int _counter;

    /// <summary>A fresh value name with a readable prefix.</summary>
    public string Name(string prefix) => $"{prefix}_{_counter++}";

    /// <summary>Declares a graph input; a dimension is a number or a symbolic name.</summary>
    public void Input(string valueName, int elemType, params object[] dims) => _inputs.Add(ValueInfo(valueName, elemType, dims));

    /// <summary>Declares a graph output.</summary>
    public void Output(string valueName, int elemType, params object[] dims) => _outputs.Add(ValueInfo(valueName, elemType, dims));

    /// <summary>A float32 constant.</summary>
    public string Initializer(string valueName, float[] values, params long[] dims)
    {
        _initializers.Add(new ProtoWriter()
            .PackedInts(1, dims)
            .Int(2, Float)
            .String(8, valueName)
            .Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()))
            .ToArray());
        return valueName;
    }

    /// <summary>An int64 constant (shapes, axes, slice bounds).</summary>
    public string Initializer(string valueName, long[] values)
    {
        _initializers.Add(new ProtoWriter()
            .PackedInts(1, [values.Length])
            .Int(2, Int64)
            .String(8, valueName)
            .Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()))
            .ToArray());
        return valueName;
    }

    /// <summary>A model metadata property (ModelProto.metadata_props), which ONNX Runtime shows as the model's custom metadata.</summary>
    public void Metadata(string key, string value) => _metadata.Add(new(key, value));

    /// <summary>Adds a node; an empty input name marks an omitted optional input.</summary>
    public void Node(string opType, string[] inputs, string[] outputs, params Attribute[] attributes)
    {
        var w = new ProtoWriter();
        foreach (var i in inputs) w.String(1, i);
        foreach (var o in outputs) w.String(2, o);
        w.String(3, Name(opType));
        w.String(4, opType);
        foreach (var a in attributes) w.Message(5, a.Write);
        _nodes.Add(w.ToArray());
    }

    /// <summary>The whole model as bytes.</summary>
    public byte[] ToModel(string producer, string producerVersion, string docString)
    {
        var graph = new ProtoWriter();
        foreach (var n in _nodes) graph.Bytes(1, n);
        graph.String(2, name);
        foreach (var i in _initializers) graph.Bytes(5, i);
        foreach (var i in _inputs) graph.Bytes(11, i);
        foreach (var o in _outputs) graph.Bytes(12, o);
        var model = new ProtoWriter()
            .Int(1, 8)
            .String(2, producer)
            .String(3, producerVersion)
            .String(6, docString)
            .Bytes(7, graph.ToArray())
            .Message(8, op => op.String(1, "").Int(2, opset));
        foreach (var (key, value) in _metadata) model.Message(14, entry => entry.String(1, key).String(2, value));
        return model.ToArray();
    }

    private static byte[] ValueInfo(string valueName, int elemType, object[] dims) => new ProtoWriter()
        .String(1, valueName)
        .Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int(1, elemType);
            tensor.Message(2, shape =>
            {
                foreach (var d in dims)
                {
                    shape.Message(1, dim =>
                    {
                        if (d is string symbol) dim.String(2, symbol);
                        else dim.Int(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture));
                    });
                }
            });
        }))
        .ToArray();

    /// <summary>A node attribute (AttributeProto) with its type discriminator.</summary>
    public sealed class Attribute
    {
        private readonly Action<ProtoWriter> _write;

        private Attribute(Action<ProtoWriter> write) => _write = write;

        internal void Write(ProtoWriter w) => _write(w);

        /// <summary>An INT attribute.</summary>
        public static Attribute Int(string name, long value) => new(w => w.String(1, name).Int(20, 2).Int(3, value));

        /// <summary>An INTS attribute.</summary>
        public static Attribute Ints(string name, params long[] values) => new(w =>
        {
            w.String(1, name).Int(20, 7);
            foreach (var v in values) w.Int(8, v);
        });

        /// <summary>A STRING attribute.</summary>
        public static Attribute String(string name, string value) => new(w => w.String(1, name).Int(20, 3).String(4, value));

        /// <summary>A STRINGS attribute.</summary>
        public static Attribute Strings(string name, params string[] values) => new(w =>
        {
            w.String(1, name).Int(20, 8);
            foreach (var v in values) w.String(9, v);
        });
    }
}
