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
/// hundred images are held at a time, whatever the folder's size. A file that cannot be decoded refuses the data
/// with its path, or, when the sweep says <c>on_bad_image: skip</c>, is left out: its row keeps label -1, which no
/// class index holds, and <see cref="Skipped"/> names it.
/// </summary>
public sealed record ImageFolderData(ImageFolderLayout Layout, ImageSet Train, ImageSet Test, string Fingerprint, ImageSet? Val = null)
    : ImageData(Train, Test, Fingerprint)
{
    public override ImageSet? Validation => Val;

    /// <summary>The files left out because they are not readable images (paths relative to the layout's root), in file order.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The same images as the model sees them through <c>transforms</c>: center crops of <paramref name="side"/> pixels,
    /// normalized with the given mean and std where set (else the model's). A new fingerprint, since cached features
    /// of these inputs differ.
    /// </summary>
    public ImageFolderData Cropped(int side, float[]? mean, float[]? std)
    {
        ImageSet Of(ImageSet set) => set with { Crop = side, Normalize = new Normalization(mean ?? set.Norm.Mean, std ?? set.Norm.Std) };
        string norm = mean == null && std == null ? "" : $"-n{string.Join(",", (mean ?? Train.Norm.Mean).Concat(std ?? Train.Norm.Std).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}";
        return this with { Train = Of(Train), Test = Of(Test), Val = Val == null ? null : Of(Val), Fingerprint = $"{Fingerprint}-crop{side}{norm}" };
    }

    /// <summary>The label of a row whose file was skipped.</summary>
    public const int SkippedLabel = -1;

    static readonly Dictionary<string, ImageFolderData> Loaded = new();

    /// <summary>Images decoded at once (in parallel) before they are written: bounds the memory decoding takes.</summary>
    const int DecodeChunk = 256;

    /// <param name="store">where decoded splits are kept; null decodes into a temporary file (tests)</param>
    /// <param name="skipBad">leave out files that cannot be decoded (on_bad_image: skip) instead of refusing the data</param>
    public static ImageFolderData Load(ImageFolderLayout layout, int size, int channels, DerivedFiles? store, Action<string>? log = null, bool skipBad = false)
    {
        var norm = Normalization.ForChannels(channels);
        // Skipping makes another file: one written while refusing never has skipped rows, and the reverse.
        string fingerprint = $"{layout.Fingerprint}-{size}px-{channels}c{(skipBad ? "-skip" : "")}";
        lock (Loaded)
        {
            if (store != null && Loaded.TryGetValue(fingerprint, out var cached)) return cached;
            string path = store?.PathFor("datasets", fingerprint + ".pixels") ?? Path.Combine(Path.GetTempPath(), $"runner-{Guid.NewGuid():N}.pixels");
            var splits = new[] { layout.TrainFiles, layout.TestFiles, layout.ValidationFiles ?? [] }.Select(Labelled).ToArray();
            if (store == null || !DerivedFiles.IsIntact(path))
            {
                log?.Invoke($"decoding {splits.Sum(s => s.Length)} images of {layout.Source} to {size}x{size}");
                if (store == null)
                {
                    try { Write(path, splits, size, channels, skipBad); }
                    catch { File.Delete(path); throw; }
                }
                else DerivedFiles.WriteAtomically(path, temp => Write(temp, splits, size, channels, skipBad));
            }
            var sets = Open(path, size, channels, norm);
            // Without a store the file is only this object's: unlinked now, it lives as long as its mapping.
            if (store == null) File.Delete(path);
            var skipped = splits.SelectMany(s => s).Zip(sets.SelectMany(s => s.Labels))
                .Where(p => p.Second == SkippedLabel).Select(p => Path.GetRelativePath(layout.Root, p.First.File)).ToList();
            if (skipped.Count > 0)
                log?.Invoke($"skipped {skipped.Count} file(s) of {layout.Source} that are not readable images (on_bad_image: skip): {string.Join(", ", skipped.Take(5))}{(skipped.Count > 5 ? ", ..." : "")}");
            var data = new ImageFolderData(layout, sets[0], sets[1], fingerprint, layout.ValidationFiles == null ? null : sets[2]) { Skipped = skipped };
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

    static void Write(string path, (string File, int Label)[][] splits, int size, int channels, bool skipBad)
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
            if (!skipBad && errors.FirstOrDefault(e => e != null) is { } first) throw first;
            for (int i = 0; i < n; i++)
            {
                if (errors[i] == null) { writer.Write(chunk[i]); continue; }
                // A skipped file keeps its row (rows stay in file order) as zeros, labelled as no class.
                writer.Write(new byte[channels * size * size]);
                long end = file.Position;
                file.Position = 4L * (1 + splits.Length + start + i);
                writer.Write(SkippedLabel);
                file.Position = end;
            }
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
