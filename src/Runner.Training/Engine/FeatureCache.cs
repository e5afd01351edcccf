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
/// subsets of one pool) trains only the remaining stages on those outputs. Entries live in the artifact store,
/// checksummed (a damaged entry is recomputed), and the folder is kept under a size bound by evicting the least
/// recently used entries. Entries larger than <see cref="MaxEntryBytes"/> are not made: that trial computes on the fly.
/// The entry used last stays in memory (one per process, so memory stays bounded): the scheduler sends a worker
/// trial after trial with the same features, and those read no file at all.
/// A deeper entry is made from the deepest shallower one of the same base that exists (depth 3 from depth 2 runs only
/// the third stage), which gives the same values: the rows go through the same stages in the same batches.
/// </summary>
public sealed class FeatureCache(DerivedFiles store, long maxBytes = FeatureCache.DefaultMaxBytes)
{
    public const long DefaultMaxBytes = 2L << 30;
    public const long MaxEntryBytes = 1L << 30;
    static readonly object Gate = new();
    /// <summary>The entry used last, on the CPU: its train file's path and both tensors (guarded by <see cref="Gate"/>).</summary>
    static (string Path, Tensor Train, Tensor Test)? _resident;

    /// <summary>Features of one image set: rows in the order of <see cref="Indices"/> (indices into the split).</summary>
    public sealed record Features(Tensor Train, int[] TrainIndices, Tensor Test, int[] TestIndices) : IDisposable
    {
        public void Dispose()
        {
            Train.Dispose();
            Test.Dispose();
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
        using var probe = zeros(1, like.Channels, like.Rows, like.Columns);
        model.Network.eval();
        using var f = model.ForwardPrefix(depth, probe);
        return f.numel() * 4 * images;
    }

    /// <summary>The cached features (on <paramref name="device"/>), computing and storing them first when needed.</summary>
    /// <param name="keyAtDepth">the keys of the same base's entries at other depths, to start from the deepest shallower one that exists</param>
    public Features GetOrCompute(string key, IStagedModel baseModel, int depth, ImageData data, int[] classes, Device device, Action<string>? log,
        Func<int, string?>? keyAtDepth = null)
    {
        int[] trainIdx = classes.SelectMany(data.Train.IndicesOf).ToArray();
        int[] testIdx = classes.SelectMany(data.Test.IndicesOf).ToArray();
        var (trainPath, testPath) = FilesOf(key);
        lock (Gate)
        {
            return DerivedFiles.WithLock(trainPath, () =>
            {
                // The files are checked even when the entry is in memory (cheap once verified: see IsIntact), so a
                // damaged entry on disk is noticed and made again rather than served from memory forever.
                if (DerivedFiles.IsIntact(trainPath) && DerivedFiles.IsIntact(testPath))
                {
                    Touch(trainPath, testPath);
                    if (_resident?.Path != trainPath) Keep(trainPath, Tensor.load(trainPath), Tensor.load(testPath));
                    return new Features(Share(_resident!.Value.Train, device), trainIdx, Share(_resident.Value.Test, device), testIdx);
                }
                if (File.Exists(trainPath)) log?.Invoke($"feature cache {key} is damaged or incomplete: computing it again");
                var (from, trainInput, testInput) = Shallower(keyAtDepth, depth, device) ?? (0,
                    ImagesOf(data.Train, trainIdx, classes, device), ImagesOf(data.Test, testIdx, classes, device));
                log?.Invoke($"computing frozen-prefix features (depth {depth}) for {trainIdx.Length + testIdx.Length} images" +
                            (from > 0 ? $" from the depth-{from} features" : "") + $" → cache {key}");
                Tensor train, test;
                using (trainInput) train = Compute(baseModel, from, depth, trainInput, device);
                using (testInput) test = Compute(baseModel, from, depth, testInput, device);
                DerivedFiles.WriteAtomically(trainPath, temp => train.cpu().save(temp));
                DerivedFiles.WriteAtomically(testPath, temp => test.cpu().save(temp));
                Evict(keep: new[] { trainPath, testPath });
                Keep(trainPath, Share(train, CPU), Share(test, CPU));
                return new Features(train, trainIdx, test, testIdx);
            });
        }
    }

    /// <summary>Makes an entry the resident one, releasing the previous one (trials still using it hold their own references).</summary>
    static void Keep(string trainPath, Tensor train, Tensor test)
    {
        if (_resident is { } old)
        {
            old.Train.Dispose();
            old.Test.Dispose();
        }
        _resident = (trainPath, train, test);
    }

    /// <summary>A handle of its own (whoever gets it disposes it) on the device, sharing storage when already there.</summary>
    static Tensor Share(Tensor t, Device device) =>
        t.device_type == device.type && t.device_index == device.index ? t.alias() : t.to(device);

    /// <summary>
    /// The deepest entry of the same base shallower than <paramref name="depth"/> that is intact (or in memory), with
    /// its depth; null when there is none (the features are then computed from the images).
    /// </summary>
    (int Depth, Tensor Train, Tensor Test)? Shallower(Func<int, string?>? keyAtDepth, int depth, Device device)
    {
        for (int d = depth - 1; d >= 1 && keyAtDepth != null; d--)
        {
            if (keyAtDepth(d) is not { } key) continue;
            var (trainPath, testPath) = FilesOf(key);
            if (!DerivedFiles.IsIntact(trainPath) || !DerivedFiles.IsIntact(testPath)) continue;
            return _resident is { } r && r.Path == trainPath
                ? (d, Share(r.Train, device), Share(r.Test, device))
                : (d, Load(trainPath, device), Load(testPath, device));
        }
        return null;
    }

    /// <summary>An entry's two files: the training images' features and the test images'.</summary>
    (string Train, string Test) FilesOf(string key) => (store.PathFor("features", key + ".train.dat"), store.PathFor("features", key + ".test.dat"));

    static Tensor Load(string path, Device device)
    {
        using var loaded = Tensor.load(path);
        return Share(loaded, device);
    }

    static Tensor ImagesOf(ImageSet set, int[] indices, int[] classes, Device device)
    {
        using var split = TensorSplit.From(set, indices, classes, device);
        return split.Images.alias();
    }

    /// <summary>Stages <paramref name="from"/> to <paramref name="depth"/> - 1 of the frozen base over every row, in evaluation batches.</summary>
    static Tensor Compute(IStagedModel model, int from, int depth, Tensor inputs, Device device)
    {
        model.Network.to(device).eval();
        using var _ = no_grad();
        var parts = new List<Tensor>();
        long rows = inputs.shape[0];
        for (long start = 0; start < rows; start += TrainingLoop.EvalBatch)
        {
            using var batch = inputs.narrow(0, start, Math.Min(TrainingLoop.EvalBatch, rows - start));
            parts.Add(model.ForwardStages(from, depth, batch));
        }
        using var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        // Stored and served in the plain (NCHW) layout whatever layout the stages computed in (see ChannelsLast): a
        // file holds the storage order, and features just made must be the same tensor as features read back.
        return all.contiguous();
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
