using System.Security.Cryptography;
using System.Text;

namespace Runner.Sweeps;

/// <summary>A folder of images that does not have the ImageFolder layout, or cannot be read: the message names the place.</summary>
public sealed class ImageFolderException(string message) : Exception(message);

/// <summary>
/// The files of an image folder in the torchvision ImageFolder layout: one sub-folder per class (sorted by name, as
/// torchvision does), PNG or JPEG files in each; other files are ignored. With <c>train/</c> and <c>test/</c> (or
/// <c>val/</c>) sub-folders those are the splits; otherwise a fixed fifth of each class is the test split, chosen by
/// a hash of the file name so adding a file never moves the others. Scanning reads names and sizes only, no pixels.
/// </summary>
public sealed record ImageFolderLayout(
    string Root,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<string>[] TrainFiles,
    IReadOnlyList<string>[] TestFiles,
    string Fingerprint)
{
    public static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };
    public const int TestShareDenominator = 5;

    /// <summary>Training images in the smallest of these classes (what a balanced draw can use per class).</summary>
    public int TrainPerClass(IEnumerable<int> classes) => classes.Min(c => TrainFiles[c].Count);

    /// <summary>Facts in the shape the sweep validator uses for built-in datasets.</summary>
    public KnownDatasets.DatasetFacts Facts => new($"image-folder:{Fingerprint}", ClassNames, TrainPerClass(Enumerable.Range(0, ClassNames.Count)), TestFiles.Min(f => f.Count));

    public static ImageFolderLayout Scan(string root)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new ImageFolderException($"{root}: no such folder");
        string? train = Sub(root, "train");
        string? test = Sub(root, "test") ?? Sub(root, "val");
        if (train != null && test == null) throw new ImageFolderException($"{root}: has train/ but neither test/ nor val/");
        if (train == null && test != null) throw new ImageFolderException($"{root}: has {Path.GetFileName(test)}/ but no train/");

        var classes = ClassFolders(train ?? root);
        List<string>[] trainFiles, testFiles;
        if (train != null)
        {
            var testClasses = ClassFolders(test!);
            var missing = classes.Except(testClasses).Concat(testClasses.Except(classes)).ToList();
            if (missing.Count > 0)
                throw new ImageFolderException($"{root}: train/ and {Path.GetFileName(test)}/ must have the same class folders; only one has {string.Join(", ", missing)}");
            trainFiles = classes.Select(c => Images(Path.Combine(train, c))).ToArray();
            testFiles = classes.Select(c => Images(Path.Combine(test!, c))).ToArray();
        }
        else
        {
            var all = classes.Select(c => Images(Path.Combine(root, c))).ToArray();
            foreach (var (files, c) in all.Zip(classes))
                if (files.Count < 2) throw new ImageFolderException($"{Path.Combine(root, c)}: {files.Count} image(s); a class needs at least 2 to split into train and test");
            testFiles = all.Select(files => files.OrderBy(NameHash, StringComparer.Ordinal).Take(Math.Max(1, files.Count / TestShareDenominator)).OrderBy(f => f, StringComparer.Ordinal).ToList()).ToArray();
            trainFiles = all.Zip(testFiles, (files, held) => files.Except(held).ToList()).ToArray();
        }
        return new ImageFolderLayout(root, classes, trainFiles, testFiles, FingerprintOf(root, trainFiles.Concat(testFiles)));
    }

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
            text.Append(Path.GetRelativePath(root, f)).Append('|').Append(new FileInfo(f).Length).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
