using System.Security.Cryptography;
using System.Text;

namespace Runner.Sweeps;

/// <summary>A folder of images that does not have the ImageFolder layout, or cannot be read: the message names the place.</summary>
public sealed class ImageFolderException(string message) : Exception(message);

/// <summary>
/// The files of an image folder in the torchvision ImageFolder layout: one sub-folder per class (sorted by name, as
/// torchvision does), PNG or JPEG files in each; other files are ignored. The splits, with the ImageNet convention's
/// meanings: <c>train/</c> + <c>val/</c> + <c>test/</c> are training, validation and test; <c>train/</c> +
/// <c>test/</c> training and test (validation is carved from training per trial); <c>train/</c> + <c>val/</c>
/// training and validation, with a fixed fifth of each training class as the test split; a folder of class folders
/// alone, that fifth as test. The fifth is chosen by a hash of the file name, so adding a file never moves the
/// others. Scanning reads names and sizes only, no pixels.
/// </summary>
/// <param name="ValidationFiles">the images of <c>val/</c> per class, when the folder has one (null: validation is carved from training)</param>
/// <param name="ListFile">the CSV or JSONL list the layout was read from (<see cref="ImageList"/>), null for a folder;
/// then <paramref name="Root"/> is the list's folder, which holds every image it names</param>
public sealed record ImageFolderLayout(
    string Root,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<string>[] TrainFiles,
    IReadOnlyList<string>[] TestFiles,
    string Fingerprint,
    IReadOnlyList<string>[]? ValidationFiles = null,
    string? ListFile = null)
{
    public static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };
    public const int TestShareDenominator = 5;

    /// <summary>Every image of the folder that a trial may read.</summary>
    public IEnumerable<string> AllFiles => TrainFiles.Concat(ValidationFiles ?? []).Concat(TestFiles).SelectMany(f => f);

    /// <summary>What an upload sends, relative to <see cref="Root"/>: the images, and the list that names them.</summary>
    public IEnumerable<string> UploadFiles => ListFile == null ? AllFiles : AllFiles.Append(ListFile);

    /// <summary>What a sweep names and a trial's data path is: the folder, or the list file.</summary>
    public string Source => ListFile ?? Root;

    /// <summary>Where the data sits in an unpacked upload of it (the archive holds <see cref="UploadFiles"/> relative to <see cref="Root"/>).</summary>
    public static string InUnpacked(string unpacked, string source) =>
        ImageList.IsList(source) ? Path.Combine(unpacked, Path.GetFileName(source)) : unpacked;

    /// <summary>The layout of a folder (<see cref="Scan"/>) or of a list of files with labels (<see cref="ImageList.Read"/>).</summary>
    public static ImageFolderLayout Open(string path) => ImageList.IsList(path) ? ImageList.Read(path) : Scan(path);

    /// <summary>
    /// Facts in the shape the sweep validator uses for built-in datasets; per class, the largest class's counts (the
    /// most a dataset_size can ask for: smaller classes use all they have).
    /// </summary>
    public KnownDatasets.DatasetFacts Facts => new($"image-folder:{Fingerprint}", ClassNames, TrainFiles.Max(f => f.Count), TestFiles.Max(f => f.Count));

    public static ImageFolderLayout Scan(string root)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new ImageFolderException($"{root}: no such folder");
        string? train = Sub(root, "train"), val = Sub(root, "val"), test = Sub(root, "test");
        if (train == null && (val ?? test) is { } orphan)
            throw new ImageFolderException($"{root}: has {Path.GetFileName(orphan)}/ but no train/");

        var classes = ClassFolders(train ?? root);
        List<string>[] ImagesOf(string folder) => classes.Select(c => Images(Path.Combine(folder, c))).ToArray();
        foreach (string split in new[] { val, test }.OfType<string>())
        {
            var other = ClassFolders(split);
            var missing = classes.Except(other).Concat(other.Except(classes)).ToList();
            if (missing.Count > 0)
                throw new ImageFolderException($"{root}: train/ and {Path.GetFileName(split)}/ must have the same class folders; only one has {string.Join(", ", missing)}");
        }
        var trainFiles = ImagesOf(train ?? root);
        var validationFiles = val == null ? null : ImagesOf(val);
        var testFiles = test == null ? null : ImagesOf(test);
        return Split(root, classes, trainFiles, validationFiles, testFiles, c => Path.Combine(train ?? root, c));
    }

    /// <summary>
    /// The layout from each split's files per class; without a test split, a fixed fifth of each training class (by a
    /// hash of the file name) is the test split. <paramref name="classPlace"/> names a class in messages.
    /// </summary>
    internal static ImageFolderLayout Split(string root, IReadOnlyList<string> classes, List<string>[] trainFiles, List<string>[]? validationFiles,
        List<string>[]? testFiles, Func<string, string> classPlace, string? listFile = null)
    {
        if (testFiles == null)
        {
            foreach (var (files, c) in trainFiles.Zip(classes))
                if (files.Count < 2) throw new ImageFolderException($"{classPlace(c)}: {files.Count} image(s); a class needs at least 2 to split into train and test");
            testFiles = trainFiles.Select(files => files.OrderBy(NameHash, StringComparer.Ordinal).Take(Math.Max(1, files.Count / TestShareDenominator)).OrderBy(f => f, StringComparer.Ordinal).ToList()).ToArray();
            trainFiles = trainFiles.Zip(testFiles, (files, held) => files.Except(held).ToList()).ToArray();
        }
        var groups = trainFiles.Concat(validationFiles ?? []).Concat(testFiles);
        // A list gives labels that paths do not show: its fingerprint also holds each group's class and split.
        string fingerprint = listFile == null ? FingerprintOf(root, groups)
            : FingerprintOf(root, groups.Select((g, i) => g.Prepend($"#{i}:{classes[i % classes.Count]}").ToList()));
        return new ImageFolderLayout(root, classes, trainFiles, testFiles, fingerprint, validationFiles, listFile);
    }

    /// <summary>
    /// The files (in split and name order) that are not a PNG or JPEG by their first bytes, each with why. Reads a
    /// few bytes of each file, so the sweep validator can refuse a folder (or warn of what it skips) before any trial
    /// decodes it; a file that passes but is damaged further in is found at decoding, with its path.
    /// </summary>
    public IEnumerable<string> NonImages()
    {
        var header = new byte[8];
        foreach (string file in AllFiles)
        {
            int read;
            string? problem = null;
            try
            {
                using var stream = File.OpenRead(file);
                read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                read = 0;
                problem = $"{file}: cannot be read ({e.Message})";
            }
            bool png = read >= 8 && header.AsSpan(0, 8).SequenceEqual(PngSignature);
            bool jpeg = read >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF;
            if (problem != null) yield return problem;
            else if (!png && !jpeg) yield return $"{file}: not a PNG or JPEG image (its first bytes are neither signature)";
        }
    }

    static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };

    static string? Sub(string root, string name) => Directory.Exists(Path.Combine(root, name)) ? Path.Combine(root, name) : null;

    static List<string> ClassFolders(string folder)
    {
        var classes = Directory.GetDirectories(folder).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Select(n => n!)
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
            throw new ImageFolderException($"{folder}: found {classes.Count} class folder(s); the ImageFolder layout needs one sub-folder per class, at least two");
        return classes;
    }

    static List<string> Images(string classFolder)
    {
        var files = Directory.GetFiles(classFolder)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new ImageFolderException($"{classFolder}: no PNG or JPEG files (an empty class)");
        return files;
    }

    static string NameHash(string path) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFileName(path))));

    // Names and sizes, not contents: cheap on large folders, and any edit that changes a file's size changes it.
    static string FingerprintOf(string root, IEnumerable<IReadOnlyList<string>> groups)
    {
        var text = new StringBuilder();
        foreach (var f in groups.SelectMany(g => g))
            if (f.StartsWith('#')) text.Append(f).Append('\n');   // a list's group marker
            else text.Append(Path.GetRelativePath(root, f)).Append('|').Append(new FileInfo(f).Length).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
