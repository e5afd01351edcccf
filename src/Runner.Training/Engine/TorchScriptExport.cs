using System.IO.Compression;
using System.Text;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// A TorchScript backbone's kept model as one TorchScript file with the head attached: <c>torch.jit.load(path)(x)</c>
/// gives the logits, as Runner computed them (gray images repeated to three channels, a feature map pooled, then the
/// head). TorchSharp cannot script a module, so the archive is assembled: LibTorch saves the trained program
/// (<c>torch.jit.save</c>), then a small wrapper class is added to its code (<c>code/__torch__/runner_export.py</c>),
/// the head's tensors to its data, and a new root object to its pickle that holds the program and the head.
/// PyTorch reads the result like any archive (a test loads it with Debian's PyTorch and reproduces the trial's test
/// accuracy).
/// </summary>
public static class TorchScriptExport
{
    const string Namespace = "__torch__.runner_export";

    /// <summary>Writes the archive of <paramref name="model"/> (its trained program and head) to <paramref name="path"/>.</summary>
    public static void Write(TorchScriptBackbone model, string path)
    {
        string saved = path + ".program";
        try
        {
            // Saved for inference: BatchNorm uses its statistics and dropout is idle even if the user forgets .eval().
            model.eval();
            jit.save(model.Program, saved);
            var head = model.HeadLayers().Select(l => (Weight: Floats(l.Weight), Bias: Floats(l.Bias), l.Weight.shape)).ToList();
            Assemble(saved, head.Select(h => (h.Weight, h.Bias, h.shape)).ToList(), path);
        }
        finally { File.Delete(saved); }
    }

    static float[] Floats(Tensor t)
    {
        using var cpu = t.detach().to(ScalarType.Float32).cpu().contiguous();
        return cpu.data<float>().ToArray();
    }

    /// <param name="layers">the head's linear layers in order: weight [out, in] and bias [out]; ReLU between them</param>
    static void Assemble(string program, List<(float[] Weight, float[] Bias, long[] Shape)> layers, string path)
    {
        using var source = ZipFile.OpenRead(program);
        string prefix = source.Entries[0].FullName.Split('/')[0];
        byte[] pickle = Read(source.GetEntry($"{prefix}/data.pkl")!);
        string programClass = RootClass(pickle);
        using var target = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var entry in source.Entries.Where(e => e.FullName != $"{prefix}/data.pkl"))
            Write(target, entry.FullName, Read(entry));
        for (int i = 0; i < layers.Count; i++)
        {
            Write(target, $"{prefix}/data/runner_head_w{i}", Bytes(layers[i].Weight));
            Write(target, $"{prefix}/data/runner_head_b{i}", Bytes(layers[i].Bias));
        }
        Write(target, $"{prefix}/code/__torch__/runner_export.py", Encoding.UTF8.GetBytes(Code(programClass, layers.Count)));
        Write(target, $"{prefix}/data.pkl", RootPickle(pickle, layers));
    }

    static byte[] Read(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>Stored, not deflated: as torch.jit.save writes them (PyTorch maps tensors from the archive).</summary>
    static void Write(ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(bytes);
    }

    static byte[] Bytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("TorchScript archives hold little-endian tensors");
        return bytes;
    }

    /// <summary>The qualified class of the pickle's root object: its first GLOBAL ("__torch__.torchvision.models.resnet.ResNet").</summary>
    static string RootClass(byte[] pickle)
    {
        if (pickle.Length < 4 || pickle[0] != 0x80 || pickle[2] != (byte)'c' || pickle[^1] != (byte)'.')
            throw new InvalidDataException("the saved program's data.pkl does not start with a class (an unexpected TorchScript archive)");
        var lines = Encoding.UTF8.GetString(pickle, 3, Math.Min(pickle.Length - 3, 512)).Split('\n');
        return $"{lines[0]}.{lines[1]}";
    }

    /// <summary>The wrapper's TorchScript: Runner's features (RGB from gray, pooled maps) and its head, in the printer's own style.</summary>
    static string Code(string programClass, int linears)
    {
        var head = new StringBuilder();
        head.Append("class Head(Module):\n  __parameters__ = [");
        for (int i = 0; i < linears; i++) head.Append($"\"w{i}\", \"b{i}\", ");
        head.Append("]\n  __buffers__ = []\n");
        for (int i = 0; i < linears; i++) head.Append($"  w{i} : Tensor\n  b{i} : Tensor\n");
        head.Append($"  training : bool\n  def forward(self: {Namespace}.Head,\n    x: Tensor) -> Tensor:\n");
        string value = "x";
        for (int i = 0; i < linears; i++)
        {
            head.Append($"    h{i} = torch.linear({value}, self.w{i}, self.b{i})\n");
            value = $"h{i}";
            if (i < linears - 1)
            {
                head.Append($"    r{i} = torch.relu({value})\n");
                value = $"r{i}";
            }
        }
        head.Append($"    return {value}\n");
        return $$"""
            class WithHead(Module):
              __parameters__ = []
              __buffers__ = []
              training : bool
              backbone : {{programClass}}
              head : {{Namespace}}.Head
              def forward(self: {{Namespace}}.WithHead,
                x: Tensor) -> Tensor:
                if torch.eq(torch.size(x, 1), 1):
                  x0 = torch.expand(x, [-1, 3, -1, -1])
                else:
                  x0 = x
                backbone = self.backbone
                f = (backbone).forward(x0, )
                if torch.eq(torch.dim(f), 4):
                  f0 = torch.flatten(torch.adaptive_avg_pool2d(f, [1, 1]), 1)
                else:
                  f0 = f
                head = self.head
                return (head).forward(f0, )

            """ + head;
    }

    /// <summary>
    /// The new data.pkl (pickle protocol 2, as PyTorch writes it): a WithHead holding the program's own root object
    /// (its pickle spliced in whole; nothing here uses the memo, so its memo numbers stand) and the head's tensors.
    /// </summary>
    static byte[] RootPickle(byte[] program, List<(float[] Weight, float[] Bias, long[] Shape)> layers)
    {
        var p = new PickleWriter();
        p.Raw(0x80, 2);
        p.Object($"{Namespace}\nWithHead");
        p.Raw((byte)'}', (byte)'(');
        p.Text("training"); p.Raw(0x89);
        p.Text("backbone"); p.Raw(program.AsSpan(2, program.Length - 3).ToArray());
        p.Text("head");
        p.Object($"{Namespace}\nHead");
        p.Raw((byte)'}', (byte)'(');
        for (int i = 0; i < layers.Count; i++)
        {
            p.Text($"w{i}"); p.Tensor($"runner_head_w{i}", layers[i].Shape);
            p.Text($"b{i}"); p.Tensor($"runner_head_b{i}", new[] { layers[i].Shape[0] });
        }
        p.Text("training"); p.Raw(0x89);
        p.Raw((byte)'u', (byte)'b');   // SETITEMS, BUILD: the head
        p.Raw((byte)'u', (byte)'b', (byte)'.');   // the wrapper, then STOP
        return p.ToArray();
    }

    /// <summary>The few pickle opcodes a TorchScript root object needs.</summary>
    sealed class PickleWriter
    {
        readonly MemoryStream _bytes = new();

        public void Raw(params byte[] bytes) => _bytes.Write(bytes);

        /// <summary>GLOBAL module\nname, EMPTY_TUPLE, NEWOBJ: an instance of a TorchScript class.</summary>
        public void Object(string global)
        {
            Global(global);
            Raw((byte)')', 0x81);
        }

        void Global(string global) => Raw([(byte)'c', .. Encoding.UTF8.GetBytes(global + "\n")]);

        public void Text(string s)
        {
            var utf8 = Encoding.UTF8.GetBytes(s);
            Raw((byte)'X');
            Raw(BitConverter.GetBytes(utf8.Length));
            Raw(utf8);
        }

        void Int(long v)
        {
            Raw((byte)'J');
            Raw(BitConverter.GetBytes(checked((int)v)));
        }

        void Tuple(IEnumerable<long> values)
        {
            Raw((byte)'(');
            foreach (long v in values) Int(v);
            Raw((byte)'t');
        }

        /// <summary>torch._utils._rebuild_tensor_v2((storage persistent id), 0, size, stride, False, OrderedDict()) of a float32 storage named <paramref name="key"/>.</summary>
        public void Tensor(string key, long[] shape)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            var stride = new long[shape.Length];
            for (int i = shape.Length - 1, s = 1; i >= 0; s *= (int)shape[i], i--) stride[i] = s;
            Global("torch._utils\n_rebuild_tensor_v2");
            Raw((byte)'(');
            Raw((byte)'(');
            Text("storage"); Global("torch\nFloatStorage"); Text(key); Text("cpu"); Int(count);
            Raw((byte)'t', (byte)'Q');   // TUPLE, BINPERSID
            Int(0);
            Tuple(shape);
            Tuple(stride);
            Raw(0x89);   // requires_grad False
            Global("collections\nOrderedDict"); Raw((byte)')', (byte)'R');
            Raw((byte)'t', (byte)'R');   // TUPLE, REDUCE
        }

        public byte[] ToArray() => _bytes.ToArray();
    }
}
