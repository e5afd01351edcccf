using System.Text.RegularExpressions;

namespace Runner.Cli.Tests;

/// <summary>
/// Documentation that cannot rot: every sweep-file example in the README and in docs/ passes `runner validate`, read
/// from where it is written (relative paths such as ../data resolve against the document's folder). The files an
/// example names that a reader brings (photos/, resnet18.pt) are stood in for by a small image folder and a few bytes.
/// </summary>
public class DocumentedExamplesTests
{
    public static TheoryData<string, int> Examples()
    {
        var data = new TheoryData<string, int>();
        foreach (string doc in Documents())
            for (int i = 0; i < Blocks(doc).Count; i++) data.Add(Path.GetRelativePath(CliRunner.RepoRoot, doc), i);
        return data;
    }

    static IEnumerable<string> Documents() =>
        new[] { Path.Combine(CliRunner.RepoRoot, "README.md") }.Concat(Directory.GetFiles(Path.Combine(CliRunner.RepoRoot, "docs"), "*.md").Order());

    static List<string> Blocks(string doc) =>
        Regex.Matches(File.ReadAllText(doc), "^```yaml\\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void The_documents_have_sweep_file_examples_to_check()
    {
        Assert.True(Examples().Count() >= 3, "the README and docs/sweep-file.md show sweep files");
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_sweep_file_example_in_the_documents_validates(string document, int index)
    {
        string yaml = Blocks(Path.Combine(CliRunner.RepoRoot, document))[index];
        // A mirror of the repository's layout, so that the example's relative paths mean what they mean beside the
        // document: the shipped data through a link, the reader's own files as stand-ins.
        string root = ScratchFolders.New("documented-example");
        Directory.CreateSymbolicLink(Path.Combine(root, "data"), Path.Combine(CliRunner.RepoRoot, "data"));
        string folder = Path.Combine(root, Path.GetDirectoryName(document)!);
        Directory.CreateDirectory(folder);
        StandIns(folder);
        // A fragment that shows one section set (no name) is checked as the file it would be part of.
        if (!Regex.IsMatch(yaml, "^name:", RegexOptions.Multiline)) yaml = "name: documented-example\n" + yaml;
        string file = Path.Combine(folder, "example.yaml");
        File.WriteAllText(file, yaml);

        var r = CliRunner.Run("validate", file);
        Assert.True(r.ExitCode == 0, $"{document}, yaml block {index + 1}:\n{r.Error}");
    }

    /// <summary>What the examples name that a reader brings: an image folder of cats and dogs, PyTorch checkpoints and a TorchScript file.</summary>
    static void StandIns(string folder)
    {
        foreach (string name in new[] { "cats", "dogs" })
            foreach (string split in new[] { "train", "test" })
            {
                string dir = Path.Combine(folder, "photos", split, name);
                Directory.CreateDirectory(dir);
                // Validation reads no pixels, only a file's first bytes: a PNG signature is enough.
                for (int i = 0; i < 20; i++) File.WriteAllBytes(Path.Combine(dir, $"{i}.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, (byte)i]);
            }
        // A list of labelled files (image-list) beside them, with classes large enough for the examples' sizes.
        var rows = new List<string> { "path,label,split" };
        foreach (string name in new[] { "cat", "dog" })
            for (int i = 0; i < 140; i++)
            {
                string relative = Path.Combine("listed", name, $"{i}.png");
                Directory.CreateDirectory(Path.Combine(folder, "listed", name));
                File.WriteAllBytes(Path.Combine(folder, relative), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, (byte)i]);
                rows.Add($"{relative},{name},{(i < 120 ? "train" : "test")}");
            }
        File.WriteAllLines(Path.Combine(folder, "labels.csv"), rows);
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints"));
        foreach (string weights in new[] { "resnet18.pt", Path.Combine("checkpoints", "resnet18.pt") })
            File.WriteAllBytes(Path.Combine(folder, weights), [1, 2, 3]);
        // A TorchScript archive is a zip with the program's code in it.
        using var script = System.IO.Compression.ZipFile.Open(Path.Combine(folder, "efficientnet_b0.pt"), System.IO.Compression.ZipArchiveMode.Create);
        script.CreateEntry("efficientnet_b0/code/__torch__/torchvision/models/efficientnet.py").Open().Dispose();
    }
}
