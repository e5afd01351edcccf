using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Runner.Cli;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Testing;
using Runner.Training.Engine;

namespace Runner.Bench;

/// <summary>
/// `runner-bench data`: the image pipeline at scale. Decodes every image folder under --folder once into the pixel
/// cache (time, images/s, cache size); reads the largest training split back in shuffled batches as a trial does
/// (the loader alone: gather from the mapped file, uint8 to normalized floats) against the images/s the trainer
/// consumes at that size (ResNet-18, freeze depth 0); with --sweep, runs `runner run FILE` and samples its trainer
/// process's private memory (RssAnon) for the peak.
/// </summary>
public sealed class DataBench(CliContext context)
{
    public int Run(string folder, int size, int threads, int batchSize, string? sweep) =>
        BenchFolder.Use("data", state => Run(folder, size, threads, batchSize, sweep, state));

    int Run(string folder, int size, int threads, int batchSize, string? sweep, string state)
    {
        TorchRuntime.EnsureLoaded();
        TorchRuntime.SetThreads(threads);
        var layouts = Layouts(folder);
        var store = new DerivedFiles(state);
        var clock = Stopwatch.StartNew();
        var decoded = layouts.Select(l => ImageFolderData.Load(l, size, 3, store)).ToList();
        double decodeSeconds = clock.Elapsed.TotalSeconds;
        long images = decoded.Sum(d => (long)d.Train.Count + d.Test.Count);
        long cacheBytes = Directory.GetFiles(Path.Combine(state, "datasets"), "*.pixels").Sum(f => new FileInfo(f).Length);
        Report(new { benchmark = "data", step = "decode", images, size, seconds = decodeSeconds, images_per_second = images / decodeSeconds, cache_bytes = cacheBytes },
            $"decode once: {images:N0} images at {size} px in {decodeSeconds:F1} s ({images / decodeSeconds:F0} img/s, writing and hashing included); cache {cacheBytes / 1e9:F2} GB");

        var largest = decoded.OrderByDescending(d => d.Train.Count).First();
        double loader = LoaderImagesPerSecond(largest.Train, batchSize);
        double trainer = TrainerThroughput.ImagesPerSecond("resnet18", size, 128, threads, 1, batchSize, null);
        Report(new { benchmark = "data", step = "loader", size, threads, batch_size = batchSize, loader_images_per_second = loader, trainer_images_per_second = trainer, ratio = loader / trainer },
            $"loader alone: {loader:F0} img/s; ResNet-18 trains {trainer:F1} img/s at {size} px on {threads} thread(s): {loader / trainer:F1}x what it consumes");

        if (sweep != null) PeakMemory(sweep, threads);
        return 0;
    }

    /// <summary>The folder's image folders: itself, or each sub-folder that is one (e.g. source/ and target/).</summary>
    static List<ImageFolderLayout> Layouts(string folder)
    {
        try { return new() { ImageFolderLayout.Scan(folder) }; }
        catch (ImageFolderException) when (Directory.Exists(folder))
        {
            var found = Directory.GetDirectories(folder).Order(StringComparer.Ordinal).Select(TryScan).OfType<ImageFolderLayout>().ToList();
            return found.Count > 0 ? found : throw new UsageException($"{folder}: neither an image folder nor a folder of image folders");
        }
    }

    static ImageFolderLayout? TryScan(string folder)
    {
        try { return ImageFolderLayout.Scan(folder); }
        catch (ImageFolderException) { return null; }
    }

    /// <summary>Shuffled batches of a whole split through a streaming split, as a training epoch reads them (10,000 images at most).</summary>
    static double LoaderImagesPerSecond(ImageSet set, int batchSize)
    {
        var indices = Enumerable.Range(0, Math.Min(set.Count, 10_000)).ToArray();
        var order = indices.ToArray();
        TaskSplits.Shuffle(order, 1);
        using var split = new StreamingSplit(set.AsRows(), indices, new long[indices.Length], TorchSharp.torch.CPU);
        var clock = Stopwatch.StartNew();
        long read = 0;
        foreach (var batch in split.Batches(order, batchSize))
            using (batch) read += batch.Count;
        return read / clock.Elapsed.TotalSeconds;
    }

    /// <summary>`runner run SWEEP` in a state folder of its own, its trainer process's RssAnon sampled every 50 ms.</summary>
    void PeakMemory(string sweep, int threads)
    {
        string state = Path.Combine(Path.GetTempPath(), $"runner-bench-data-sweep-{Guid.NewGuid():N}"[..40]);
        var start = RunnerExecutable.StartInfo(["run", sweep, "--state", state, "--threads", $"{threads}"]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var clock = Stopwatch.StartNew();
        using var run = Process.Start(start)!;
        var output = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();
        double peakKb = 0;
        while (!run.WaitForExit(50)) peakKb = Math.Max(peakKb, ProcessTree.TrainerRssAnonKb(run.Id));
        double seconds = clock.Elapsed.TotalSeconds;
        if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
        if (run.ExitCode != 0) throw new UsageException($"runner run {sweep} exited {run.ExitCode}: {errors.Result.Trim()}");
        context.Out.WriteLine(output.Result.TrimEnd());
        Report(new { benchmark = "data", step = "sweep", sweep, seconds, trainer_peak_rss_anon_bytes = (long)(peakKb * 1024) },
            $"sweep {Path.GetFileName(sweep)}: {seconds:F0} s; trainer process's peak private memory (RssAnon) {peakKb / 1024 / 1024:F2} GiB");
    }

    void Report(object json, string line)
    {
        context.Out.WriteLine(JsonSerializer.Serialize(json, JsonOutput.Options));
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {line}"));
    }
}
