using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Runner.Cli;

namespace Runner.Bench;

/// <summary>
/// `runner-bench base`: what building a base once per cluster saves. A coordinator host and two worker hosts on a
/// <see cref="HostBed"/> run a pretrained sweep (convnet4 pretrained --epochs on the source classes of the data
/// found): one host pretrains the base (the sweep's base task), the other fetches it from the coordinator. From the
/// hosts' logs: seconds to build and store the base against seconds for a host to fetch it (what every host
/// would otherwise spend pretraining its own).
/// </summary>
public sealed class BaseBench(CliContext context)
{
    public int Run(int epochs, string data) => BenchFolder.Use("base", folder => Run(epochs, data, folder));

    int Run(int epochs, string data, string folder)
    {
        if (HostBed.WhyNot() is { } why) throw new CommandFailedException($"base needs a host bed: {why}");
        string logs = Path.Combine(folder, "logs");
        using var bed = new HostBed(3, logs);
        string runner = typeof(Runner.Cli.CliApp).Assembly.Location;
        bed.StartCoordinator("coordinator", runner);
        for (int h = 1; h <= 2; h++) bed.StartWorker(h, $"worker-{h}", runner, new[] { "--devices", "cpu", "--threads", "1", "--data", data });
        var client = new CoordinatorClient(bed.CoordinatorApi);
        BookkeepingBench.WaitForWorkers(client, 2, folder);

        string file = Path.Combine(folder, "base.yaml");
        File.WriteAllText(file, $$"""
            name: base
            base: { model: convnet4, pretrain: { classes: [0, 1, 2, 3, 4], epochs: {{epochs}} } }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{data}} }
            train: { epochs: 1 }
            sweep:
              parameters:
                freeze_depth: [4]
                dataset_size: [100]
              seeds: [1, 2, 3, 4]
            """);
        var submit = Process("submit", file, "--coordinator", bed.CoordinatorApi);
        string id = Regex.Match(submit, @"submitted sweep (\S+):").Groups[1].Value;
        for (var deadline = DateTime.UtcNow.AddMinutes(20); ;)
        {
            var s = JsonDocument.Parse(Process("status", id, "--json", "--coordinator", bed.CoordinatorApi)).RootElement;
            if (s.GetProperty("completed").GetInt32() + s.GetProperty("failed").GetInt32() == s.GetProperty("total").GetInt32()) break;
            if (DateTime.UtcNow > deadline) throw new CommandFailedException("the sweep did not finish in 20 minutes");
            Thread.Sleep(1000);
        }
        string text = File.ReadAllText(Path.Combine(logs, "worker-1.log")) + File.ReadAllText(Path.Combine(logs, "worker-2.log"));
        var built = Regex.Match(text, @"built and stored in ([\d.]+) s \(([\d.]+) MiB\)");
        var fetched = Regex.Match(text, @"fetched artifact \S+ \(([\d.]+) MiB\) in ([\d.]+) s");
        if (!built.Success || !fetched.Success) throw new CommandFailedException($"the hosts' logs do not say how long the base took (logs in {logs})");
        double build = double.Parse(built.Groups[1].Value, CultureInfo.InvariantCulture), fetch = double.Parse(fetched.Groups[2].Value, CultureInfo.InvariantCulture);
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "base", model = "convnet4", pretrain_epochs = epochs, base_mib = double.Parse(built.Groups[2].Value, CultureInfo.InvariantCulture),
            build_and_store_seconds = build, fetch_seconds = fetch, ratio = Math.Round(build / fetch, 1),
        }));
        context.Out.WriteLine(FormattableString.Invariant($"summary: pretraining and storing the base took {build:F1} s on one host; another host fetched it in {fetch:F2} s ({build / fetch:F0}× less)"));
        return 0;
    }

    static string Process(params string[] args) => RunnerProcesses.RunToEnd(args).Out;
}
