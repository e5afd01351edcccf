using System.Diagnostics;
using System.Text.Json;

namespace Runner.Cli.Tests;

/// <summary>
/// A worker's private memory does not grow with the size of the dataset: the same trial (two classes of a folder)
/// over a folder and over one ten times larger (the other classes hold ten times the images, all decoded) peaks at
/// about the same anonymous resident memory (RssAnon: the page cache of the mapped pixel file is not in it; the
/// kernel reclaims that). The trial's own splits are the same in both, so the model's working set is too: what
/// could differ is only what the pipeline holds of the folder. (How a trial's splits themselves stream at scale is
/// `runner-bench data`'s, docs/benchmarks.md.)
/// </summary>
public class StreamingMemoryTests
{
    [Fact]
    public void A_trial_over_a_folder_ten_times_larger_takes_no_more_private_memory()
    {
        string root = ScratchFolders.New("streaming-memory");
        string small = Path.Combine(root, "small");
        PythonScripts.Run(CliRunner.RepoRoot, "scripts/make_image_folder.py", CliRunner.Subset, small, "--size", "96", "--train", "100", "--test", "50");
        string large = Path.Combine(root, "large");
        CopyTree(Path.Combine(small, "target"), large);
        // Classes 2-4 of the large folder: each image sixteen times (ten times the images of the small folder in all).
        foreach (string classFolder in new[] { "train", "test" }.SelectMany(s => Directory.GetDirectories(Path.Combine(large, s)).Order().Skip(2)))
            foreach (string image in Directory.GetFiles(classFolder))
                for (int copy = 1; copy < 16; copy++) File.Copy(image, Path.ChangeExtension(image, null) + $"-{copy}.png");
        int smallImages = Directory.GetFiles(Path.Combine(small, "target"), "*.png", SearchOption.AllDirectories).Length;
        int largeImages = Directory.GetFiles(large, "*.png", SearchOption.AllDirectories).Length;
        Assert.Equal((750, 7500), (smallImages, largeImages));

        var smallPeak = PeakPrivateMemory(root, "small", Path.Combine(small, "target"));
        var largePeak = PeakPrivateMemory(root, "large", large);
        // Held in memory as before streaming, the large folder's 6,750 extra decoded images alone were 186 MB more.
        Assert.True(largePeak <= smallPeak + 60, $"trainer peak RssAnon {smallPeak:F0} MB with {smallImages} images, {largePeak:F0} MB with {largeImages}");
    }

    static void CopyTree(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>One trial on the folder's first two classes; its trainer process's peak RssAnon in MB.</summary>
    static double PeakPrivateMemory(string root, string name, string folder)
    {
        string sweep = Path.Combine(root, name + ".yaml");
        File.WriteAllText(sweep, $$"""
            name: memory-{{name}}
            base: { model: mobilenet_v3_small }
            target: { dataset: { type: image-folder, path: {{folder}}, image_size: 96 }, classes: [0, 1], validation_per_class: 20 }
            train: { epochs: 1, batch_size: 32 }
            sweep:
              parameters: { initialization: [scratch], dataset_size: [50] }
              seeds: [1]
            resources: { device: cpu }
            """);
        string state = Path.Combine(root, name + "-state");
        double peakMb = RunSampled("run", sweep, "--state", state, "--threads", "2");
        var trials = CliRunner.Run("trials", $"memory-{name}", "--format", "json", "--state", state);
        using var doc = JsonDocument.Parse(trials.Out);
        Assert.Equal("completed", doc.RootElement.GetProperty("trials").EnumerateArray().Single().GetProperty("status").GetString());
        return peakMb;
    }

    /// <summary>Runs `runner` and samples its trainer process's RssAnon every 20 ms; returns the peak in MB.</summary>
    static double RunSampled(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "runner.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        double peakKb = 0;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!p.WaitForExit(20))
        {
            if (DateTime.UtcNow > deadline) { p.Kill(true); throw new TimeoutException("runner run did not finish in 3 minutes"); }
            peakKb = Math.Max(peakKb, ProcessTree.TrainerRssAnonKb(p.Id));
        }
        Assert.True(p.ExitCode == 0, stderr.Result + stdout.Result);
        Assert.True(peakKb > 0, "no trainer process was seen");
        return peakKb / 1024;
    }
}
