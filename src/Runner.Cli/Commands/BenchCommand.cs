using System.Diagnostics;
using System.Text.Json;
using Runner.Training.Data;
using Runner.Training.Engine;

namespace Runner.Cli.Commands;

public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "measure training speed beside the same network in PyTorch";
    public string Help => """
        Usage: runner bench trainer [--data DIR] [--threads 1,2] [--epochs N] [--batch-size B] [--python PATH]

        trainer: training images per second of convnet4 (freeze depth 0, Adam) on the target classes' training
        images, after one untimed warm-up epoch, for each thread count; then the same network and loop in PyTorch
        (bench/convnet4_torch.py, run with --python) in the same command, and the ratio. Prints one JSON line per
        thread count and a summary.

        Options:
          --data DIR       Fashion-MNIST folder (default: the usual search)
          --threads LIST   thread counts to measure [1,2]
          --epochs N       timed epochs [2]
          --batch-size B   [64]
          --python PATH    interpreter with torch for the peer [/usr/bin/python3]; "none" skips the peer
        """;
    public IReadOnlyCollection<string> ValueOptions => new[] { "data", "threads", "epochs", "batch-size", "python" };
    public IReadOnlyCollection<string> FlagOptions => Array.Empty<string>();

    static readonly int[] TargetClasses = { 5, 6, 7, 8, 9 };

    public int Execute(Arguments args, CliContext context)
    {
        if (args.Single("a benchmark name (trainer)") != "trainer") throw new UsageException("the only benchmark is 'trainer'");
        string data = DataLocator.Locate(args.Get("data"), null);
        int epochs = args.Int("epochs", 1) ?? 2;
        int batch = args.Int("batch-size", 1) ?? 64;
        string python = args.Get("python") ?? "/usr/bin/python3";
        var threadCounts = (args.Get("threads") ?? "1,2").Split(',').Select(t =>
            int.TryParse(t, out int n) && n > 0 ? n : throw new UsageException($"--threads: '{t}' is not a positive whole number")).ToArray();
        string script = Path.Combine(AppContext.BaseDirectory, "bench", "convnet4_torch.py");

        foreach (int threads in threadCounts)
        {
            double ours = TrainerThroughput.ImagesPerSecond(data, threads, epochs, batch, TargetClasses);
            double? peer = python == "none" ? null : RunPeer(python, script, data, threads, epochs, batch, context);
            var line = new { benchmark = "trainer", threads, epochs, batch_size = batch, torchsharp_images_per_second = ours, pytorch_images_per_second = peer, ratio = ours / peer };
            context.Out.WriteLine(JsonSerializer.Serialize(line, JsonOutput.Options));
            string peerText = peer == null ? "" : FormattableString.Invariant($", PyTorch {peer:F0} img/s, ratio {ours / peer:F2}x");
            context.Out.WriteLine(FormattableString.Invariant($"  {threads} thread(s): Runner/TorchSharp {ours:F0} img/s{peerText}"));
        }
        return 0;
    }

    static double? RunPeer(string python, string script, string data, int threads, int epochs, int batch, CliContext context)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { script, "--data", data, "--threads", threads.ToString(), "--epochs", epochs.ToString(), "--batch-size", batch.ToString(), "--classes", string.Join(",", TargetClasses) })
            start.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(start)!;
            string output = p.StandardOutput.ReadToEnd();
            string error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                context.Error.WriteLine($"PyTorch peer failed ({python} {script}): {error.Trim().Split('\n')[^1]}");
                return null;
            }
            using var doc = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            return doc.RootElement.GetProperty("images_per_second").GetDouble();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            context.Error.WriteLine($"PyTorch peer not run: cannot start {python} ({e.Message}); install python3-torch or pass --python");
            return null;
        }
    }
}
