using System.Diagnostics;
using System.Text.Json;
using Runner.Bench;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// A Runner cluster on a <see cref="HostBed"/>: host 0 runs the coordinator (API on its bed address), hosts 1..N one
/// worker each with its own private state; this machine is the user's client. Folders in <c>hidden</c> are covered
/// by an empty tmpfs on every host, so files the client has there exist only on the client.
/// </summary>
public sealed class BedCluster : IDisposable
{
    public static string Runner => Path.Combine(AppContext.BaseDirectory, "runner.dll");

    public HostBed Bed { get; }
    public string Folder { get; }
    public string Logs => Path.Combine(Folder, "logs");
    public string Api => Bed.CoordinatorApi;
    public Process Coordinator { get; }
    public Process[] Workers { get; }

    /// <param name="threads">torch threads of each worker host (one entry per worker host)</param>
    public BedCluster(string name, int[] threads, IReadOnlyList<string>? hidden = null)
    {
        Folder = ScratchFolders.New(name);
        Bed = new HostBed(1 + threads.Length, Logs);
        try
        {
            Coordinator = Bed.StartCoordinator("coordinator", Runner, hidden: hidden);
            WaitFor(() => Client("status", "--json", "--coordinator", Api).ExitCode == 0, TimeSpan.FromSeconds(60), "the coordinator's API");
            Workers = new Process[threads.Length];
            for (int host = 1; host <= threads.Length; host++)
                Workers[host - 1] = Bed.StartWorker(host, $"worker-{host}", Runner,
                    new[] { "--devices", "cpu", "--threads", threads[host - 1].ToString(), "--data", LocalCluster.Subset }, hidden: hidden);
            WaitFor(() => WorkerCount() == threads.Length, TimeSpan.FromSeconds(60), "every worker host to join");
        }
        catch
        {
            Bed.Dispose();
            throw;
        }
    }

    /// <summary>Submits a sweep file (written to the client's scratch folder) from the client; returns the sweep id.</summary>
    public string Submit(string name, string yaml)
    {
        string file = Path.Combine(Folder, name + ".yaml");
        File.WriteAllText(file, yaml);
        var submit = Client("submit", file, "--coordinator", Api);
        Assert.True(submit.ExitCode == 0, submit.Error + submit.Out);
        return submit.Out.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(w => w is ["submitted", "sweep", ..])[2].TrimEnd(':');
    }

    public JsonElement Status(string sweep)
    {
        var r = Client("status", sweep, "--json", "--coordinator", Api);
        return r.ExitCode == 0 ? JsonDocument.Parse(r.Out).RootElement : default;
    }

    public int Finished(string sweep) => Status(sweep) is { ValueKind: JsonValueKind.Object } s
        ? s.GetProperty("completed").GetInt32() + s.GetProperty("failed").GetInt32() : -1;

    public JsonElement Progress(string sweep) =>
        JsonDocument.Parse(LocalCluster.Http.GetStringAsync($"http://{Api}/sweeps/{sweep}/progress").Result).RootElement;

    /// <summary>The sweep's trials as `runner trials --format json` prints them, read on the coordinator's host (its results store is private).</summary>
    public List<JsonElement> Trials(string sweep)
    {
        var trials = Bed.Inside(Coordinator, Runner, "trials", sweep, "--state", HostBed.StateFolder, "--format", "json");
        Assert.True(trials.ExitCode == 0, trials.Error);
        return JsonDocument.Parse(trials.Out).RootElement.GetProperty("trials").EnumerateArray().ToList();
    }

    public string Log(string name) => File.Exists(Path.Combine(Logs, name + ".log")) ? File.ReadAllText(Path.Combine(Logs, name + ".log")) : "";

    public int WorkerCount()
    {
        try { return JsonDocument.Parse(LocalCluster.Http.GetStringAsync($"http://{Api}/workers").Result).RootElement.GetArrayLength(); }
        catch (AggregateException) { return -1; }
    }

    /// <summary>A `runner` command run on this machine, outside every host, as a user's client.</summary>
    public static (int ExitCode, string Out, string Error) Client(params string[] args) => RunnerProcesses.RunToEnd(args);

    public void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return;
            Thread.Sleep(500);
        }
        throw new TimeoutException($"waited {timeout.TotalSeconds:F0}s for {what}; logs in {Logs}");
    }

    public void Dispose() => Bed.Dispose();
}
