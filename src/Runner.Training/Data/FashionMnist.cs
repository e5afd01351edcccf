using System.Security.Cryptography;
using Runner.Sweeps;

namespace Runner.Training.Data;

/// <summary>The Fashion-MNIST train and test splits as found in one folder (the four standard IDX files).</summary>
public sealed record FashionMnist(string Folder, ImageSet Train, ImageSet Test, string Fingerprint) : ImageData(Train, Test, Fingerprint)
{
    public static readonly string[] FileNames =
    {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    };

    public static IReadOnlyList<string> ClassNames => KnownDatasets.FashionMnist.ClassNames;

    static readonly Dictionary<string, FashionMnist> Loaded = new();

    /// <summary>Path of one of the four files in a folder, gzip (.gz) or plain, or null when absent.</summary>
    public static string? FindFile(string folder, string name)
    {
        foreach (string candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    public static bool FolderHasAll(string folder) => FileNames.All(n => FindFile(folder, n) != null);

    /// <summary>Loads (once per process and folder) and checks the four files.</summary>
    public static FashionMnist Load(string folder)
    {
        folder = Path.GetFullPath(folder);
        lock (Loaded)
        {
            if (Loaded.TryGetValue(folder, out var cached)) return cached;
            string Need(string name) => FindFile(folder, name) ?? throw new DataException($"{Path.Combine(folder, name)}[.gz]: missing");
            var paths = FileNames.Select(Need).ToArray();
            var train = ReadSplit(paths[0], paths[1]);
            var test = ReadSplit(paths[2], paths[3]);
            using var sha = SHA256.Create();
            foreach (string p in paths)
            {
                byte[] bytes = File.ReadAllBytes(p);
                sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
            }
            sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
            var data = new FashionMnist(folder, train, test, Convert.ToHexStringLower(sha.Hash!)[..16]);
            Loaded[folder] = data;
            return data;
        }
    }

    static ImageSet ReadSplit(string imagesPath, string labelsPath)
    {
        var images = IdxFile.Read(imagesPath);
        var labels = IdxFile.Read(labelsPath);
        if (images.Dimensions.Length != 3) throw new DataException($"{imagesPath}: expected 3 dimensions (count, rows, columns), found {images.Dimensions.Length}");
        if (labels.Dimensions.Length != 1) throw new DataException($"{labelsPath}: expected 1 dimension (count), found {labels.Dimensions.Length}");
        if (images.Dimensions[0] != labels.Dimensions[0])
            throw new DataException($"{labelsPath}: {labels.Dimensions[0]:N0} labels for {images.Dimensions[0]:N0} images in {imagesPath}");
        int bad = Array.FindIndex(labels.Data, l => l >= ClassNames.Count);
        if (bad >= 0) throw new DataException($"{labelsPath}: label {labels.Data[bad]} at index {bad} is not a Fashion-MNIST class (0..9)");
        return new ImageSet(new ArrayRows(images.Data, images.Dimensions[1] * images.Dimensions[2]), labels.Data.Select(b => (int)b).ToArray(),
            images.Dimensions[1], images.Dimensions[2]);
    }
}
