using System.Security.Cryptography;
using System.Text;
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
/// </summary>
public sealed class FeatureCache(ArtifactStore store, long maxBytes = FeatureCache.DefaultMaxBytes)
{
    public const long DefaultMaxBytes = 2L << 30;
    public const long MaxEntryBytes = 1L << 30;
    static readonly object Gate = new();

    /// <summary>Features of one image set: rows in the order of <see cref="Indices"/> (indices into the split).</summary>
    public sealed record Features(Tensor Train, int[] TrainIndices, Tensor Test, int[] TestIndices) : IDisposable
    {
        public void Dispose()
        {
            Train.Dispose();
            Test.Dispose();
        }
    }

    public static string Key(string baseKey, int depth, int[] classes) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{baseKey}|depth={depth}|classes={string.Join(",", classes)}")))[..16];

    /// <summary>Bytes the features of these images would take (float32), to decide whether caching is worth it.</summary>
    public static long SizeOf(IStagedModel model, int depth, long images)
    {
        using var _ = no_grad();
        using var probe = zeros(1, 1, 28, 28);
        model.Network.eval();
        using var f = model.ForwardPrefix(depth, probe);
        return f.numel() * 4 * images;
    }

    /// <summary>The cached features (on <paramref name="device"/>), computing and storing them first when needed.</summary>
    public Features GetOrCompute(string key, IStagedModel baseModel, int depth, FashionMnist data, int[] classes, Device device, Action<string>? log)
    {
        int[] trainIdx = classes.SelectMany(data.Train.IndicesOf).ToArray();
        int[] testIdx = classes.SelectMany(data.Test.IndicesOf).ToArray();
        string trainPath = store.PathFor("features", key + ".train.dat");
        string testPath = store.PathFor("features", key + ".test.dat");
        lock (Gate)
        {
            return ArtifactStore.WithLock(trainPath, () =>
            {
                if (ArtifactStore.IsIntact(trainPath) && ArtifactStore.IsIntact(testPath))
                {
                    Touch(trainPath, testPath);
                    return new Features(Tensor.load(trainPath).to(device), trainIdx, Tensor.load(testPath).to(device), testIdx);
                }
                if (File.Exists(trainPath)) log?.Invoke($"feature cache {key} is damaged or incomplete: computing it again");
                log?.Invoke($"computing frozen-prefix features (depth {depth}) for {trainIdx.Length + testIdx.Length} images → cache {key}");
                var train = Compute(baseModel, depth, data.Train, trainIdx, classes, device);
                var test = Compute(baseModel, depth, data.Test, testIdx, classes, device);
                ArtifactStore.WriteAtomically(trainPath, temp => train.cpu().save(temp));
                ArtifactStore.WriteAtomically(testPath, temp => test.cpu().save(temp));
                Evict(keep: new[] { trainPath, testPath });
                return new Features(train, trainIdx, test, testIdx);
            });
        }
    }

    static Tensor Compute(IStagedModel model, int depth, ImageSet set, int[] indices, int[] classes, Device device)
    {
        using var images = TensorSplit.From(set, indices, classes, device);
        model.Network.to(device).eval();
        using var _ = no_grad();
        var parts = new List<Tensor>();
        for (int start = 0; start < images.Count; start += TrainingLoop.EvalBatch)
        {
            using var batch = images.Images.narrow(0, start, Math.Min(TrainingLoop.EvalBatch, images.Count - start));
            parts.Add(model.ForwardPrefix(depth, batch));
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
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
