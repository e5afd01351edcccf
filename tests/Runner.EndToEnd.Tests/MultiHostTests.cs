using System.Diagnostics;
using System.Text.Json;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// A coordinator and workers on separate hosts (network namespaces with their own addresses and private state
/// folders, <see cref="HostBed"/>), driven from this machine as a user's client would. Skipped, with the reason,
/// where namespaces cannot be made.
/// </summary>
public sealed class MultiHostTests(ITestOutputHelper output)
{
    static string Runner => Path.Combine(AppContext.BaseDirectory, "runner.dll");

    [SkippableFact]
    public void A_scratch_sweep_runs_on_two_worker_hosts_that_share_no_folder_each_trial_once()
    {
        string? why = HostBed.WhyNot();
        Skip.If(why != null, why);
        string folder = ScratchFolders.New("hosts");
        using var bed = new HostBed(3, Path.Combine(folder, "logs"));
        string coordinatorAddress = bed.Address(0);
        var coordinator = bed.Start(0, "coordinator", Runner, new[] { "coordinator", "--host", coordinatorAddress, "--port", "4053",
            "--api-host", coordinatorAddress, "--api-port", "4080", "--state", HostBed.StateFolder });
        string api = $"{coordinatorAddress}:4080";
        WaitFor(() => Client("status", "--json", "--coordinator", api).ExitCode == 0, TimeSpan.FromSeconds(60), "the coordinator's API", folder);
        // Different thread counts on the two hosts, as on machines of different sizes.
        for (int host = 1; host <= 2; host++)
            bed.Start(host, $"worker-{host}", Runner, new[] { "worker", "--seed-nodes", $"{coordinatorAddress}:4053", "--host", bed.Address(host),
                "--port", "4054", "--devices", "cpu", "--threads", host.ToString(), "--data", LocalCluster.Subset, "--state", HostBed.StateFolder });
        WaitFor(() => Workers(api) == 2, TimeSpan.FromSeconds(60), "both worker hosts to join", folder);

        string file = Path.Combine(folder, "hosts.yaml");
        File.WriteAllText(file, $$"""
            name: hosts
            base: { model: convnet4 }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{LocalCluster.Subset}}, validation_per_class: 20 }
            train: { epochs: 1, batch_size: 16 }
            sweep:
              parameters:
                initialization: [scratch]
                learning_rate: [0.001, 0.003]
                dataset_size: [20]
              seeds: [1, 2, 3, 4]
            resources: { max_failures: 2 }
            """);
        var submit = Client("submit", file, "--coordinator", api);
        Assert.True(submit.ExitCode == 0, submit.Error + submit.Out);
        string sweep = submit.Out.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2].TrimEnd(':');
        WaitFor(() => Done(api, sweep) == 8, TimeSpan.FromMinutes(4), "the sweep to finish", folder);

        // The results store lives in the coordinator host's private state folder: read it there.
        var trials = bed.Inside(coordinator, Runner, "trials", sweep, "--state", HostBed.StateFolder, "--format", "json");
        Assert.True(trials.ExitCode == 0, trials.Error);
        var rows = JsonDocument.Parse(trials.Out).RootElement.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(8, rows.Count);
        Assert.All(rows, r => Assert.Equal(("completed", 1), (r.GetProperty("status").GetString(), r.GetProperty("attempts").GetInt32())));
        var hosts = rows.Select(r => r.GetProperty("worker").GetString()!.Split(':')[0]).Distinct().Order().ToList();
        output.WriteLine($"trials per host: {string.Join(", ", rows.GroupBy(r => r.GetProperty("worker").GetString()!.Split(':')[0]).Select(g => $"{g.Key} {g.Count()}"))}");
        Assert.Equal(new[] { bed.Address(1), bed.Address(2) }.Order(), hosts);
        Assert.Equal(new[] { 1, 2 }, rows.Select(r => r.GetProperty("threads").GetInt32()).Distinct().Order());
    }

    /// <summary>A `runner` command run on this machine, outside every host, as a user's client.</summary>
    static (int ExitCode, string Out, string Error) Client(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Runner);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(60_000);
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    static int Workers(string api)
    {
        try { return JsonDocument.Parse(LocalCluster.Http.GetStringAsync($"http://{api}/workers").Result).RootElement.GetArrayLength(); }
        catch (AggregateException) { return -1; }
    }

    static int Done(string api, string sweep)
    {
        var r = Client("status", sweep, "--json", "--coordinator", api);
        return r.ExitCode == 0 ? JsonDocument.Parse(r.Out).RootElement.GetProperty("completed").GetInt32() : -1;
    }

    static void WaitFor(Func<bool> condition, TimeSpan timeout, string what, string folder)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return;
            Thread.Sleep(500);
        }
        throw new TimeoutException($"waited {timeout.TotalSeconds:F0}s for {what}; logs in {folder}");
    }
}
