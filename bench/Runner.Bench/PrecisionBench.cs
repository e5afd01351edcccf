using System.Globalization;
using System.Text.Json;
using Runner.Cli;
using Runner.Sweeps;
using Runner.Training.Engine;

namespace Runner.Bench;

/// <summary>
/// `runner-bench precision`: mixed precision (bf16 autocast) against float32 in one run, for convnet4 and ResNet-18:
/// training speed beside PyTorch's own CPU bf16 autocast (channels-last, as a user tuning for speed), and test accuracy
/// over several seeds of real trials.
/// </summary>
public sealed class PrecisionBench(CliContext context)
{
    static readonly string[] Precisions = { Autocast.Float32, Autocast.BFloat16 };

    public int Run(string data, string? folder, int seeds, int threads, string python, string scratch)
    {
        foreach (string precision in Precisions)
        {
            double convnet = TrainerThroughput.ImagesPerSecond(data, threads, 1, 64, new[] { 5, 6, 7, 8, 9 }, precision);
            double? convnetPeer = Peer(python, "convnet4_torch.py", precision, "--data", data, "--threads", $"{threads}", "--epochs", "1", "--channels-last");
            Report("speed", "convnet4", precision, convnet, convnetPeer);
        }
        Accuracy("convnet4", $"""
            base: {"{"} model: convnet4 {"}"}
            target: {"{"} dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {data}, validation_per_class: 100 {"}"}
            """, seeds, threads, data, scratch);
        foreach (string precision in Precisions)
        {
            double resnet = TrainerThroughput.ImagesPerSecond("resnet18", 64, 512, threads, 1, 64, precision);
            double? resnetPeer = Peer(python, "torchvision_torch.py", precision, "--model", "resnet18", "--threads", $"{threads}", "--size", "64", "--images", "512", "--channels-last");
            Report("speed", "resnet18 (64 px)", precision, resnet, resnetPeer);
        }
        if (folder != null)
            Accuracy("resnet18 (32 px image folder)", $"""
                base: {"{"} model: resnet18 {"}"}
                target: {"{"} dataset: {"{"} type: image-folder, path: {folder}, image_size: 32 {"}"}, validation_per_class: 20 {"}"}
                """, seeds, threads, data, scratch);
        else context.Error.WriteLine("resnet18 accuracy skipped: --folder names no image folder (scripts/make_image_folder.py makes one)");
        return 0;
    }

    void Report(string what, string model, string precision, double ours, double? peer)
    {
        context.Out.WriteLine(JsonSerializer.Serialize(new { benchmark = "precision", what, model, precision, runner_images_per_second = ours,
            pytorch_channels_last_images_per_second = peer, ratio = ours / peer }, JsonOutput.Options));
        context.Out.WriteLine(FormattableString.Invariant($"  {model} {precision}: Runner {ours:F0} img/s{(peer is { } p ? $", PyTorch {p:F0} img/s, ratio {ours / p:F2}x" : "")}"));
    }

    /// <summary>Test accuracy of scratch trials, fp32 and bf16, the same seeds, as mean ± std.</summary>
    void Accuracy(string label, string baseAndTarget, int seeds, int threads, string data, string scratch)
    {
        string yaml = $"""
            name: precision
            {baseAndTarget}
            train: {"{"} epochs: 3, batch_size: 32, learning_rate: 0.001 {"}"}
            sweep:
              parameters: {"{"} initialization: [scratch], dataset_size: [100], precision: [fp32, bf16] {"}"}
              seeds: [{string.Join(", ", Enumerable.Range(1, seeds))}]
            resources: {"{"} device: cpu {"}"}
            """;
        var trials = SweepExpander.Expand(SweepFile.Parse(yaml, "precision-bench", context.WorkingDirectory));
        var env = new TrialEnvironment(new DerivedFiles(scratch), DataFolder: data, Device: "cpu", Threads: threads, AllowDownload: false);
        foreach (var group in trials.GroupBy(t => t.PrecisionName))
        {
            var results = group.Select(t => TrialRunner.Run(t, env)).ToList();
            var accuracy = results.Select(r => r.TestAccuracy ?? double.NaN).ToList();
            double mean = accuracy.Average(), std = Math.Sqrt(accuracy.Sum(a => (a - mean) * (a - mean)) / (accuracy.Count - 1));
            double seconds = results.Sum(r => r.Seconds);
            context.Out.WriteLine(JsonSerializer.Serialize(new { benchmark = "precision", what = "accuracy", model = label, precision = group.Key,
                seeds = accuracy.Count, test_accuracy_mean = mean, test_accuracy_std = std, trial_seconds = seconds }, JsonOutput.Options));
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {label} {group.Key}: test accuracy {mean * 100:F2} ± {std * 100:F2}% over {accuracy.Count} seeds, {seconds:F0} s of trials"));
        }
    }

    double? Peer(string python, string script, string precision, params string[] args)
    {
        if (python == "none") return null;
        string path = Path.Combine(AppContext.BaseDirectory, "bench", script);
        string[] all = precision == Autocast.BFloat16 ? [.. args, "--bf16"] : args;
        if (PythonPeer.Run(python, context, path, all) is not { } line) return null;
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("images_per_second").GetDouble();
    }
}
