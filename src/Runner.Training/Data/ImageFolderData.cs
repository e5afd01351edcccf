using Runner.Sweeps;
using Runner.Training.Engine;
using StbImageSharp;

namespace Runner.Training.Data;

/// <summary>
/// An image folder (see <see cref="ImageFolderLayout"/>) decoded once into a file of fixed-size pixels: each PNG or
/// JPEG is converted to RGB (grayscale and RGBA included; one channel for grayscale models), resized so its shorter
/// side is the image size and center-cropped to a square. The file lives in the artifact store per (file set, size,
/// channels), so a sweep decodes each image once, not once per trial, and is memory-mapped: training reads the rows
/// it needs, and a folder of any size costs page cache, not the process's own memory. Decoding streams too: a few
/// hundred images are held at a time, whatever the folder's size.
/// </summary>
public sealed record ImageFolderData(ImageFolderLayout Layout, ImageSet Train, ImageSet Test, string Fingerprint, ImageSet? Val = null)
    : ImageData(Train, Test, Fingerprint)
{
    public override ImageSet? Validation => Val;

    static readonly Dictionary<string, ImageFolderData> Loaded = new();

    /// <summary>Images decoded at once (in parallel) before they are written: bounds the memory decoding takes.</summary>
    const int DecodeChunk = 256;

    /// <param name="store">where decoded splits are kept; null decodes into a temporary file (tests)</param>
    public static ImageFolderData Load(ImageFolderLayout layout, int size, int channels, DerivedFiles? store, Action<string>? log = null)
    {
        var norm = Normalization.ForChannels(channels);
        string fingerprint = $"{layout.Fingerprint}-{size}px-{channels}c";
        lock (Loaded)
        {
            if (store != null && Loaded.TryGetValue(fingerprint, out var cached)) return cached;
            string path = store?.PathFor("datasets", fingerprint + ".pixels") ?? Path.Combine(Path.GetTempPath(), $"runner-{Guid.NewGuid():N}.pixels");
            if (store == null || !DerivedFiles.IsIntact(path))
            {
                var splits = new[] { layout.TrainFiles, layout.TestFiles, layout.ValidationFiles ?? [] }.Select(Labelled).ToArray();
                log?.Invoke($"decoding {splits.Sum(s => s.Length)} images of {layout.Root} to {size}x{size}");
                if (store == null)
                {
                    try { Write(path, splits, size, channels); }
                    catch { File.Delete(path); throw; }
                }
                else DerivedFiles.WriteAtomically(path, temp => Write(temp, splits, size, channels));
            }
            var sets = Open(path, size, channels, norm);
            // Without a store the file is only this object's: unlinked now, it lives as long as its mapping.
            if (store == null) File.Delete(path);
            var data = new ImageFolderData(layout, sets[0], sets[1], fingerprint, layout.ValidationFiles == null ? null : sets[2]);
            if (store != null) Loaded[fingerprint] = data;
            return data;
        }
    }

    static (string File, int Label)[] Labelled(IReadOnlyList<string>[] filesPerClass) =>
        filesPerClass.SelectMany((list, label) => list.Select(f => (f, label))).ToArray();

    /// <summary>
    /// The file: a header (format, the count of each split: train, test, validation), every label (int32), then every
    /// image's C×H×W bytes, in the same order. Labels come first so the pixels can be written as they are decoded.
    /// </summary>
    const int FormatVersion = 3;

    static void Write(string path, (string File, int Label)[][] splits, int size, int channels)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new BinaryWriter(file);
        writer.Write(FormatVersion);
        foreach (var split in splits) writer.Write(split.Length);
        var all = splits.SelectMany(s => s).ToArray();
        foreach (var (_, label) in all) writer.Write(label);
        var chunk = new byte[DecodeChunk][];
        for (int start = 0; start < all.Length; start += DecodeChunk)
        {
            int n = Math.Min(DecodeChunk, all.Length - start);
            var errors = new DataException?[n];
            Parallel.For(0, n, i =>
            {
                try { chunk[i] = DecodeOne(all[start + i].File, size, channels); }
                catch (DataException e) { errors[i] = e; }
            });
            // The first bad file in folder order, whichever thread met it first.
            if (errors.FirstOrDefault(e => e != null) is { } first) throw first;
            for (int i = 0; i < n; i++) writer.Write(chunk[i]);
        }
    }

    /// <summary>The splits of a decoded file (train, test, validation), their pixels mapped (not read).</summary>
    static ImageSet[] Open(string path, int size, int channels, Normalization norm)
    {
        int[][] labels;
        using (var reader = new BinaryReader(File.OpenRead(path)))
        {
            if (reader.ReadInt32() != FormatVersion) throw new DataException($"{path}: not a decoded image file of this version");
            var counts = new[] { reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32() };
            labels = counts.Select(count => Enumerable.Range(0, count).Select(_ => reader.ReadInt32()).ToArray()).ToArray();
        }
        int per = channels * size * size;
        long start = 4L * (1 + labels.Length + labels.Sum(l => l.Length));
        var sets = new ImageSet[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            sets[i] = new ImageSet(new MappedRows(path, start, per, labels[i].Length), labels[i], size, size, channels, norm);
            start += (long)per * labels[i].Length;
        }
        return sets;
    }

    /// <summary>One file as C×H×W bytes.</summary>
    public static byte[] DecodeOne(string file, int size, int channels)
    {
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(File.ReadAllBytes(file), channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DataException($"{file}: not a readable PNG or JPEG image ({e.Message})");
        }
        var square = ImageResampler.ResizeAndCrop(image.Data, image.Width, image.Height, channels, size);
        var planar = new byte[square.Length];
        int area = size * size;
        for (int p = 0; p < area; p++)
            for (int c = 0; c < channels; c++)
                planar[c * area + p] = square[p * channels + c];
        return planar;
    }
}
