using System.Globalization;
using System.Text.Json;
using Runner.Cli;
using Runner.Training.Engine;
using Runner.Training.Models;

namespace Runner.Bench;

/// <summary>
/// `runner-bench zoo`: training images/s of built-in torchvision models and TorchScript backbones at a small input
/// size, Runner against PyTorch's same loop (bench/torchvision_torch.py: the model, a new 5-class head, Adam, random
/// images; plain and channels-last), per thread count.
/// </summary>
public sealed class ZooBench(CliContext context)
{
    /// <param name="models">built-in model names, or paths of TorchScript files (ending in .pt)</param>
    public int Run(string[] models, int[] threadCounts, int size, int images, string python)
    {
        if (OneDnnGuard.Needed)
            context.Error.WriteLine("this CPU hides its cache topology: TorchScript programs with 1x1 convolutions train without oneDNN here (OneDnnGuard)");
        foreach (string model in models)
            foreach (int threads in threadCounts)
            {
                bool scripted = model.EndsWith(".pt", StringComparison.OrdinalIgnoreCase);
                double ours = scripted
                    ? TrainerThroughput.ImagesPerSecond(() => ModelZoo.CreateTorchScript(model, 5, HeadSpec.Linear, null, size, 0), size, images, threads, 1, 32, null)
                    : TrainerThroughput.ImagesPerSecond(model, size, images, threads, 1, 32, null);
                string[] which = scripted ? ["--torchscript", model] : ["--model", model];
                double? plain = Peer(python, [.. which, "--threads", $"{threads}", "--size", $"{size}", "--images", $"{images}", "--batch-size", "32"]);
                double? tuned = plain == null ? null : Peer(python, [.. which, "--threads", $"{threads}", "--size", $"{size}", "--images", $"{images}", "--batch-size", "32", "--channels-last"]);
                string name = scripted ? $"torchscript {Path.GetFileName(model)}" : model;
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    benchmark = "zoo", model = name, threads, size, runner_images_per_second = ours, pytorch_images_per_second = plain, ratio = ours / plain,
                    pytorch_channels_last_images_per_second = tuned, ratio_channels_last = ours / tuned,
                }, JsonOutput.Options));
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name}, {threads} thread(s), {size} px: Runner {ours:F1} img/s{(plain is { } p ? $", PyTorch {p:F1} ({ours / p:F2}x), channels-last {tuned:F1} ({ours / tuned:F2}x)" : "")}"));
            }
        return 0;
    }

    double? Peer(string python, string[] args)
    {
        if (python == "none") return null;
        if (PythonPeer.Run(python, context, Path.Combine(AppContext.BaseDirectory, "bench", "torchvision_torch.py"), args) is not { } line) return null;
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("images_per_second").GetDouble();
    }
}
