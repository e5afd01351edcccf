using Runner.Sweeps;
using Runner.Training.Engine;
using StbImageSharp;

namespace Runner.Training.Data;

/// <summary>
/// An image folder (see <see cref="ImageFolderLayout"/>) decoded to fixed-size tensors' bytes: each PNG or JPEG is
/// converted to RGB (grayscale and RGBA included; one channel for grayscale models), resized so its shorter side is
/// the image size and center-cropped to a square. The decoded splits are kept in the artifact store per (file set,
/// size, channels), so a sweep decodes each image once, not once per trial; and in memory per process.
/// </summary>
public sealed record ImageFolderData(ImageFolderLayout Layout, ImageSet Train, ImageSet Test, string Fingerprint)
    : ImageData(Train, Test, Fingerprint)
{
    static readonly Dictionary<string, ImageFolderData> Loaded = new();

    /// <param name="store">where decoded splits are cached; null decodes every time (tests)</param>
    public static ImageFolderData Load(ImageFolderLayout layout, int size, int channels, DerivedFiles? store, Action<string>? log = null)
    {
        if (layout.ClassNames.Count > 256) throw new DataException($"{layout.Root}: {layout.ClassNames.Count} classes; Runner handles at most 256");
        var norm = Normalization.ForChannels(channels);
        string fingerprint = $"{layout.Fingerprint}-{size}px-{channels}c";
        string? path = store?.PathFor("datasets", fingerprint + ".bin");
        lock (Loaded)
        {
            if (Loaded.TryGetValue(fingerprint, out var cached)) return cached;
            (ImageSet Train, ImageSet Test)? splits = path != null && DerivedFiles.IsIntact(path) ? TryRead(path, size, channels, norm) : null;
            if (splits == null)
            {
                log?.Invoke($"decoding {layout.TrainFiles.Sum(f => f.Count) + layout.TestFiles.Sum(f => f.Count)} images of {layout.Root} to {size}x{size}");
                splits = (Decode(layout.TrainFiles, size, channels, norm), Decode(layout.TestFiles, size, channels, norm));
                if (path != null) DerivedFiles.WriteAtomically(path, temp => Write(temp, splits.Value.Train, splits.Value.Test));
            }
            var data = new ImageFolderData(layout, splits.Value.Train, splits.Value.Test, fingerprint);
            Loaded[fingerprint] = data;
            return data;
        }
    }

    static ImageSet Decode(IReadOnlyList<string>[] filesPerClass, int size, int channels, Normalization norm)
    {
        var files = filesPerClass.SelectMany((list, label) => list.Select(f => (File: f, Label: (byte)label))).ToArray();
        int per = channels * size * size;
        var pixels = new byte[files.Length * per];
        var errors = new DataException?[files.Length];
        Parallel.For(0, files.Length, i =>
        {
            try { DecodeOne(files[i].File, size, channels).CopyTo(pixels, (long)i * per); }
            catch (DataException e) { errors[i] = e; }
        });
        // The first bad file in folder order, whichever thread met it first.
        if (errors.FirstOrDefault(e => e != null) is { } first) throw first;
        return new ImageSet(pixels, files.Select(f => f.Label).ToArray(), size, size, channels, norm);
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

    const int FormatVersion = 1;

    static void Write(string path, ImageSet train, ImageSet test)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(FormatVersion);
        foreach (var set in new[] { train, test })
        {
            writer.Write(set.Count);
            writer.Write(set.Labels);
            writer.Write(set.Pixels);
        }
    }

    internal static (ImageSet Train, ImageSet Test)? TryRead(string path, int size, int channels, Normalization norm)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadInt32() != FormatVersion) return null;
        ImageSet ReadSet()
        {
            int count = reader.ReadInt32();
            var labels = reader.ReadBytes(count);
            var pixels = reader.ReadBytes(count * channels * size * size);
            return new ImageSet(pixels, labels, size, size, channels, norm);
        }
        return (ReadSet(), ReadSet());
    }
}
