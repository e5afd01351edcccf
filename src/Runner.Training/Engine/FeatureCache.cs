using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// Frozen-prefix feature reuse. With a pretrained base and freeze depth k, the first k stages are a fixed function
/// (frozen, eval mode), so their outputs are computed once per (base, k, target classes) for every training and test
/// image of the target classes, and every trial sharing them (all learning rates, seeds and dataset sizes, which are
/// subsets of one pool) trains only the remaining stages on those outputs. Entries are files of float32 rows in the
/// artifact store, written batch by batch as they are computed and memory-mapped when used, so a trial reads only
/// its own rows and an entry of any size costs page cache, not the process's memory. They are checksummed (a damaged
/// entry is recomputed), and the folder is kept under a size bound by evicting the least recently used entries.
/// Entries larger than <see cref="MaxEntryBytes"/> are not made: that trial computes on the fly.
/// A deeper entry is made from the deepest shallower one of the same base that exists (depth 3 from depth 2 runs only
/// the third stage), which gives the same values: the rows go through the same stages in the same batches.
/// </summary>
public sealed class FeatureCache(DerivedFiles store, long maxBytes = FeatureCache.DefaultMaxBytes)
{
    public const long DefaultMaxBytes = 8L << 30;
    public const long MaxEntryBytes = 4L << 30;
    static readonly object Gate = new();

    /// <summary>
    /// Features of the target classes' images: <see cref="Train"/>'s rows are the training split's images at
    /// <see cref="TrainIndices"/>, in that order (likewise for test, and validation when the data has its own),
    /// each labelled with its image's class.
    /// </summary>
    public sealed record Features(RowSet Train, int[] TrainIndices, RowSet Test, int[] TestIndices, RowSet? Validation = null, int[]? ValidationIndices = null)
        : IDisposable
    {
        public void Dispose()
        {
            Train.Store.Dispose();
            Test.Store.Dispose();
            Validation?.Store.Dispose();
        }
    }

    /// <summary>The entry a trial can use (see <see cref="TrialSpec.FrozenFeaturesKey"/>), or null when it can use none.</summary>
    public static string? KeyFor(TrialSpec spec, ImageData data) =>
        spec.FrozenFeaturesKey is { } key ? Key($"{key}|{data.Fingerprint}", spec.FreezeDepth, spec.TargetClasses) : null;

    /// <summary>Keys of the same base's entries at other depths (for <see cref="GetOrCompute"/> to build on).</summary>
    public static Func<int, string?> KeysAtDepths(TrialSpec spec, ImageData data) => depth => KeyFor(spec with { FreezeDepth = depth }, data);

    public static string Key(string baseKey, int depth, int[] classes) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{baseKey}|depth={depth}|classes={string.Join(",", classes)}")))[..16];

    /// <summary>Bytes the features of these images (shaped like <paramref name="like"/>'s) would take (float32), to decide whether caching is worth it.</summary>
    public static long SizeOf(IStagedModel model, int depth, ImageSet like, long images)
    {
        using var _ = no_grad();
        using var probe = zeros(1, like.Channels, like.InputRows, like.InputColumns);
        model.Network.eval();
        using var f = model.ForwardPrefix(depth, probe);
        return f.numel() * 4 * images;
    }

    /// <summary>The cached features, computing and storing them first when needed (on <paramref name="device"/>).</summary>
    /// <param name="keyAtDepth">the keys of the same base's entries at other depths, to start from the deepest shallower one that exists</param>
    public Features GetOrCompute(string key, IStagedModel baseModel, int depth, ImageData data, int[] classes, Device device, Action<string>? log,
        Func<int, string?>? keyAtDepth = null)
    {
        // One file per split of the data: train, test and, when the data has its own, validation.
        var splits = new[] { data.Train, data.Test, data.Validation }.OfType<ImageSet>()
            .Select(set => (Set: set, Indices: classes.SelectMany(set.IndicesOf).ToArray())).ToArray();
        var labels = splits.Select(s => s.Indices.Select(i => s.Set.Labels[i]).ToArray()).ToArray();
        var paths = FilesOf(key, splits.Length);
        lock (Gate)
        {
            return DerivedFiles.WithLock(paths[0], () =>
            {
                if (!paths.All(DerivedFiles.IsIntact))
                {
                    if (File.Exists(paths[0])) log?.Invoke($"feature cache {key} is damaged or incomplete: computing it again");
                    var shallower = Shallower(keyAtDepth, depth, labels);
                    int from = shallower?.Depth ?? 0;
                    log?.Invoke($"computing frozen-prefix features (depth {depth}) for {splits.Sum(s => s.Indices.Length)} images" +
                                (from > 0 ? $" from the depth-{from} features" : "") + $" → cache {key}");
                    // Batches as the images' evaluation batches, whatever the entry starts from: the same rows in the same batches.
                    int batch = TrainingLoop.EvalBatchFor(data.Train.AsRows().InputBytesPerRow);
                    using (shallower)
                        for (int i = 0; i < splits.Length; i++)
                        {
                            var (input, rows) = shallower is { } f ? (f.Rows[i], All(splits[i].Indices)) : (splits[i].Set.AsRows(), splits[i].Indices);
                            DerivedFiles.WriteAtomically(paths[i], temp => Compute(baseModel, from, depth, input, rows, batch, device, temp));
                        }
                    Evict(keep: paths);
                }
                Touch(paths);
                var opened = paths.Select((p, i) => Open(p, labels[i])).ToArray();
                return new Features(opened[0], splits[0].Indices, opened[1], splits[1].Indices,
                    opened.Length > 2 ? opened[2] : null, splits.Length > 2 ? splits[2].Indices : null);
            });
        }
    }

    static int[] All(int[] indices) => Enumerable.Range(0, indices.Length).ToArray();

    sealed record Entry(int Depth, RowSet[] Rows) : IDisposable
    {
        public void Dispose()
        {
            foreach (var rows in Rows) rows.Store.Dispose();
        }
    }

    /// <summary>
    /// The deepest entry of the same base shallower than <paramref name="depth"/> that is intact, with its depth;
    /// null when there is none (the features are then computed from the images).
    /// </summary>
    Entry? Shallower(Func<int, string?>? keyAtDepth, int depth, int[][] labels)
    {
        for (int d = depth - 1; d >= 1 && keyAtDepth != null; d--)
        {
            if (keyAtDepth(d) is not { } key) continue;
            var paths = FilesOf(key, labels.Length);
            if (!paths.All(DerivedFiles.IsIntact)) continue;
            return new Entry(d, paths.Select((p, i) => Open(p, labels[i])).ToArray());
        }
        return null;
    }

    /// <summary>An entry's files: the training images' features, the test images', and the validation images' when the data has its own.</summary>
    string[] FilesOf(string key, int splits) =>
        new[] { "train", "test", "val" }.Take(splits).Select(split => store.PathFor("features", $"{key}.{split}.dat")).ToArray();

    /// <summary>
    /// An entry file: format (int32), rank (int32), the row shape (int64 each), the row count (int64), then the rows
    /// as float32 in the plain (NCHW) layout, whatever layout the stages computed in (see ChannelsLast).
    /// </summary>
    const int FormatVersion = 1;

    static RowSet Open(string path, int[] labels)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadInt32() != FormatVersion) throw new DataException($"{path}: not a feature file of this version");
        var shape = new long[reader.ReadInt32()];
        for (int i = 0; i < shape.Length; i++) shape[i] = reader.ReadInt64();
        long rows = reader.ReadInt64();
        if (rows != labels.Length) throw new DataException($"{path}: {rows} rows for {labels.Length} images");
        int rowBytes = checked((int)shape.Aggregate(4L, (a, b) => a * b));
        return new RowSet(new MappedRows(path, reader.BaseStream.Position, rowBytes, rows), labels, shape, Normalize: null);
    }

    /// <summary>Stages <paramref name="from"/> to <paramref name="depth"/> - 1 of the frozen base over the rows, in evaluation batches, each written as it is made.</summary>
    static void Compute(IStagedModel model, int from, int depth, RowSet input, int[] rows, int batchSize, Device device, string path)
    {
        model.Network.to(device).eval();
        using var _ = no_grad();
        using var split = Splits.Of(input, rows, labels: new long[rows.Length], device);
        using var writer = new BinaryWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20));
        writer.Write(FormatVersion);
        bool headerWritten = false;
        foreach (var batch in split.Batches(null, batchSize))
        {
            using var owned = batch;
            using var scope = NewDisposeScope();
            var features = model.ForwardStages(from, depth, batch.Inputs).cpu().contiguous();
            if (!headerWritten)
            {
                writer.Write((int)features.dim() - 1);
                foreach (long d in features.shape.Skip(1)) writer.Write(d);
                writer.Write((long)rows.Length);
                headerWritten = true;
            }
            writer.Write(MemoryMarshal.AsBytes(features.data<float>().ToArray().AsSpan()));
        }
    }

    static void Touch(params string[] files)
    {
        foreach (string f in files) File.SetLastAccessTimeUtc(f, DateTime.UtcNow);
    }

    /// <summary>Least recently used entries go first until the folder is under the bound (the ones just made stay).</summary>
    void Evict(string[] keep)
    {
        var folder = new DirectoryInfo(Path.GetDirectoryName(keep[0])!);
        var files = folder.GetFiles("*.dat").OrderBy(f => f.LastAccessTimeUtc).ToList();
        long total = files.Sum(f => f.Length);
        foreach (var f in files)
        {
            if (total <= maxBytes) break;
            if (keep.Contains(f.FullName)) continue;
            total -= f.Length;
            f.Delete();
            File.Delete(f.FullName + ".sha256");
        }
    }
}
