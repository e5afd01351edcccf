using System.Text.Json;
using Runner.Training.Engine;

using Runner.Cli;

namespace Runner.Bench;

/// <summary>`runner-bench trainer`: convnet4 training images/s here and in the PyTorch peer, per thread count.</summary>
public sealed class TrainerBench(CliContext context)
{
    static readonly int[] TargetClasses = { 5, 6, 7, 8, 9 };

    public int Run(string data, int[] threadCounts, int epochs, int batch, string python)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "bench", "convnet4_torch.py");
        foreach (int threads in threadCounts)
        {
            double ours = TrainerThroughput.ImagesPerSecond(data, threads, epochs, batch, TargetClasses);
            // The peer as a PyTorch user writes it (the goal's reference), and tuned the way Runner is (channels-last).
            double? peer = Peer(python, script, data, threads, epochs, batch, channelsLast: false);
            double? tuned = peer == null ? null : Peer(python, script, data, threads, epochs, batch, channelsLast: true);
            var json = new
            {
                benchmark = "trainer", threads, epochs, batch_size = batch, torchsharp_images_per_second = ours, pytorch_images_per_second = peer, ratio = ours / peer,
                pytorch_channels_last_images_per_second = tuned, ratio_channels_last = ours / tuned,
            };
            context.Out.WriteLine(JsonSerializer.Serialize(json, JsonOutput.Options));
            string peerText = peer == null ? "" : FormattableString.Invariant(
                $", PyTorch {peer:F0} img/s, ratio {ours / peer:F2}x; PyTorch channels-last {tuned:F0} img/s, ratio {ours / tuned:F2}x");
            context.Out.WriteLine(FormattableString.Invariant($"  {threads} thread(s): Runner/TorchSharp {ours:F0} img/s{peerText}"));
        }
        return 0;
    }

    double? Peer(string python, string script, string data, int threads, int epochs, int batch, bool channelsLast)
    {
        if (python == "none") return null;
        string[] args = ["--data", data, "--threads", threads.ToString(), "--epochs", epochs.ToString(), "--batch-size", batch.ToString(),
            "--classes", string.Join(",", TargetClasses), .. channelsLast ? new[] { "--channels-last" } : []];
        if (PythonPeer.Run(python, context, script, args) is not { } line) return null;
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("images_per_second").GetDouble();
    }
}
