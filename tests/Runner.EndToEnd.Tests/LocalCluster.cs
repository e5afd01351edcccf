using System.Diagnostics;
using System.Text.Json;
using Runner.Results;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// A cluster of real `runner` processes on loopback with free ports: one coordinator (its state folder holds the
/// SQLite journal and results store) and any number of workers. Everything is killed on dispose.
/// </summary>
public sealed class LocalCluster : IDisposable
{
    public static string RepoRoot { get; } = FindRoot();
    public static string Subset => Path.Combine(RepoRoot, "data", "fashion-mnist-subset");

    readonly List<Process> _processes = new();
    readonly ITestOutputHelper _output;
    public string Folder { get; } = ScratchFolders.New("cluster");
    public string CoordinatorState => Path.Combine(Folder, "coordinator");
    public int ClusterPort { get; } = FreePort();
    public int ApiPort { get; } = FreePort();
    public Process? Coordinator { get; private set; }
    /// <summary>
    /// Runs every local message through its serializer too (on by default). Off where the journal plugin's own
    /// messages matter: Akka.Persistence.Sql's internal WriteFinished cannot be serialized, and when it is dropped a
    /// recovery after a failed write waits for it forever, which never happens with the setting off (production).
    /// </summary>
    public bool SerializeMessages { get; init; } = true;

    public LocalCluster(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(Folder);
    }

    static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Runner.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }

    public static int FreePort() => global::Runner.Bench.RunnerProcesses.FreePort();

    const string RunnerDll = "runner.dll", BenchDll = "runner-bench.dll";

    Process Start(string name, params string[] args) => Start(name, RunnerDll, args);

    Process Start(string name, string program, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Folder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string a in args) start.ArgumentList.Add(a);
        // Every message, local ones included, goes through its serializer, as it would between machines.
        if (SerializeMessages) start.Environment["RUNNER_AKKA_CONFIG"] = "akka.actor.serialize-messages = on";
        var p = Process.Start(start)!;
        global::Runner.Bench.RunnerProcesses.LogTo(p, Path.Combine(Folder, $"{name}-{p.Id}.log"));
        _processes.Add(p);
        return p;
    }

    public Process StartCoordinator(params string[] extra) => StartCoordinatorIn(CoordinatorState, extra);

    /// <summary>A coordinator on this cluster's ports whose state folder is <paramref name="state"/>.</summary>
    public Process StartCoordinatorIn(string state, params string[] extra)
    {
        Coordinator = StartCoordinatorOn(state, ClusterPort, ApiPort, extra);
        return Coordinator;
    }

    /// <summary>A coordinator (or a standby) on ports of its own; returns once its API answers.</summary>
    public Process StartCoordinatorOn(string state, int clusterPort, int apiPort, params string[] extra)
    {
        var p = Start("coordinator", ["coordinator", "--port", clusterPort.ToString(), "--api-port", apiPort.ToString(), "--state", state, .. extra]);
        WaitFor(() => Role(apiPort) != null, TimeSpan.FromSeconds(60), $"the coordinator API on port {apiPort} to answer");
        return p;
    }

    /// <summary>What the coordinator whose API is on <paramref name="apiPort"/> says it is (GET /health): coordinator, standby, or null when it does not answer.</summary>
    public string? Role(int apiPort)
    {
        try { return JsonDocument.Parse(_http.GetStringAsync(_credentials.BaseUrl($"127.0.0.1:{apiPort}") + "health").Result).RootElement.GetProperty("role").GetString(); }
        catch (AggregateException) { return null; }
    }

    /// <summary>A command-line run in the background (its output in a log file of this cluster's folder), such as a `runner run`.</summary>
    public Process StartCli(string name, params string[] args) => Start(name, args);

    /// <summary>Starts a worker on a known port, so that trials can be traced back to the process that ran them.</summary>
    public (Process Process, int Port) StartWorker(params string[] extra) => StartWorker(RunnerDll, extra);

    /// <summary>A worker of the benchmarks' program whose trials take <paramref name="seconds"/> and train nothing.</summary>
    public (Process Process, int Port) StartNoOpWorker(double seconds) =>
        StartWorker(BenchDll, ["--trial-seconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    /// <summary>
    /// A worker whose seed nodes are <paramref name="seeds"/> (HOST:PORT,HOST:PORT: a coordinator and its standbys), on
    /// a port of its own choosing, as by default (a worker that rejoins then need not wait for its old node to leave).
    /// </summary>
    public Process StartWorkerJoining(string seeds) => StartWorker(RunnerDll, [], seeds, port: 0).Process;

    (Process Process, int Port) StartWorker(string program, string[] extra, string? seeds = null, int? port = null)
    {
        port ??= FreePort();
        var p = Start("worker", program, ["worker", "--seed-nodes", seeds ?? $"127.0.0.1:{ClusterPort}", "--port", port.Value.ToString(), "--devices", "cpu",
            "--threads", "1", "--data", Subset, "--state", Path.Combine(Folder, "worker-artifacts"), .. extra]);
        return (p, port.Value);
    }

    /// <summary>
    /// Waits up to <paramref name="within"/> for <paramref name="p"/> to exit, then for the last of its output to reach
    /// its log (Process.WaitForExit with a timeout does not wait for that).
    /// </summary>
    public static bool Ended(Process p, TimeSpan within)
    {
        if (!p.WaitForExit(within)) return false;
        p.WaitForExit();
        return true;
    }

    public void Kill(Process p)
    {
        p.Kill(entireProcessTree: true); // SIGKILL: no goodbye to the cluster
        p.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP / SIGCONT: a paused process holds what it has and sends nothing, until resumed or killed.</summary>
    public static void Pause(Process p) => Signal(p, "STOP");

    public static void Resume(Process p) => Signal(p, "CONT");

    static void Signal(Process p, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {p.Id}");
        kill.WaitForExit();
    }

    public static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>How <see cref="Api"/> calls the coordinator (HTTPS and a credential when it speaks TLS).</summary>
    public global::Runner.Cluster.Api.ApiCredentials ApiCredentials
    {
        get => _credentials;
        set => (_credentials, _http) = (value, value.Client(TimeSpan.FromSeconds(10)));
    }

    global::Runner.Cluster.Api.ApiCredentials _credentials = global::Runner.Cluster.Api.ApiCredentials.None;
    HttpClient _http = Http;

    /// <summary>Environment variables for every `runner` command run with <see cref="Cli"/> (credentials, say).</summary>
    public Dictionary<string, string> CliEnvironment { get; } = new();

    public string ApiUrl => _credentials.BaseUrl($"127.0.0.1:{ApiPort}");

    public (int Status, JsonElement Body) Api(HttpMethod method, string path, string? json = null)
    {
        try
        {
            using var request = new HttpRequestMessage(method, ApiUrl + path);
            if (json != null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            using var response = _http.Send(request);
            using var doc = JsonDocument.Parse(response.Content.ReadAsStringAsync().Result);
            return ((int)response.StatusCode, doc.RootElement.Clone());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return (0, default);
        }
    }

    /// <summary>`runner submit FILE` against this cluster; the sweep id it printed.</summary>
    public string Submit(string file)
    {
        var r = Cli("submit", file);
        Assert.True(r.ExitCode == 0, r.Error + r.Out);
        return r.Out.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2].TrimEnd(':');
    }

    /// <summary>Runs a `runner` command to completion (submit, status ...) against this cluster.</summary>
    public (int ExitCode, string Out, string Error) Cli(params string[] args) => Run(RunnerDll, args);

    /// <summary>Runs a `runner-bench` command to completion.</summary>
    public (int ExitCode, string Out, string Error) BenchCli(params string[] args) => Run(BenchDll, args);

    (int ExitCode, string Out, string Error) Run(string program, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Folder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["RUNNER_COORDINATOR"] = $"127.0.0.1:{ApiPort}";
        foreach (var (name, value) in CliEnvironment) start.Environment[name] = value;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(120_000);
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public JsonElement Status(string sweepId) => Api(HttpMethod.Get, "sweeps/" + sweepId).Body;

    public int Count(string sweepId, string field)
    {
        var (status, body) = Api(HttpMethod.Get, "sweeps/" + sweepId);
        return status == 200 ? body.GetProperty(field).GetInt32() : -1;
    }

    public IReadOnlyList<TrialRecord> Rows(string sweepId) => new ResultsStore(CoordinatorState).Trials(sweepId);

    public void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return;
            Thread.Sleep(250);
        }
        throw new TimeoutException($"waited {timeout.TotalSeconds:F0}s for {what}; logs in {Folder}");
    }

    /// <summary>A sweep of <paramref name="trials"/> trials: pretrained and scratch (the baseline) over seeds, or with <paramref name="baseline"/> false pretrained only.</summary>
    public string WriteSweep(string name, int trials, bool baseline = true)
    {
        // Small real trials: 100 images per class, 2 epochs; a few seconds each on one thread.
        string seeds = string.Join(", ", Enumerable.Range(1, baseline ? trials / 2 : trials));
        string path = Path.Combine(Folder, name + ".yaml");
        File.WriteAllText(path, $$"""
            name: {{name}}
            base:
              model: convnet4
              pretrain: { classes: [0, 1, 2, 3, 4], epochs: 1 }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{Subset}}, validation_per_class: 50 }
            train: { epochs: 2, batch_size: 32 }
            sweep:
              parameters:
                initialization: {{(baseline ? "[pretrained, scratch]" : "[pretrained]")}}
                dataset_size: [100]
              seeds: [{{seeds}}]
            resources: { device: cpu, max_failures: 3 }
            """);
        return path;
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) p.Kill(true); } catch (InvalidOperationException) { }
        }
        foreach (var log in Directory.GetFiles(Folder, "*.log"))
        {
            _output.WriteLine($"--- {Path.GetFileName(log)} (last lines)");
            foreach (string line in File.ReadLines(log).TakeLast(15)) _output.WriteLine(line);
        }
    }
}
