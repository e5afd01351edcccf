using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Runner.Cluster.Api;
using Runner.Cluster.Hosting;
using Runner.Results;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

using Runner.Cli;

namespace Runner.Bench;

/// <summary>
/// `runner-bench bookkeeping`: how fast trials go through the whole path when training costs nothing. A coordinator
/// process (SQLite journal and results store) and worker processes on loopback, workers with the no-op trainer; a
/// generated grid sweep is submitted over the HTTP API and timed until every trial is recorded. Then the per-trial
/// overhead with trials that take a fixed time, and the same grid in Optuna (GridSampler, SQLite, as many processes).
/// </summary>
public sealed class BookkeepingBench(CliContext context)
{
    /// <param name="Slots">trial workers in each worker process (a machine with N GPUs runs N)</param>
    /// <param name="Tls">also run the no-op sweep on a second cluster whose nodes, API and client speak mutual TLS</param>
    /// <param name="Store">a PostgreSQL server (postgresql://USER@HOST:PORT/DB) on which the coordinator's store is a fresh database</param>
    public sealed record Options(int Trials, int Workers, int SlowTrials, double SlowSeconds, int PeerTrials, string Python, string? Data, int Slots = 1,
        bool Tls = false, string? Store = null);

    public int Run(Options o) => BenchFolder.Use("bookkeeping", folder => Run(o, folder));

    int Run(Options o, string folder)
    {
        context.Out.WriteLine($"bookkeeping: {o.Trials:N0} no-op trials, 1 coordinator + {o.Workers} worker processes × {o.Slots} trial worker(s), state and logs in {folder}");
        using var processes = new RunnerProcesses(Path.Combine(folder, "logs"), context.Cancel);
        int port = RunnerProcesses.FreePort(), apiPort = RunnerProcesses.FreePort();
        using var database = o.Store == null ? null : new BenchDatabase(o.Store, "bookkeeping");
        var state = StoreLocation.Parse(database?.Url, Path.Combine(folder, "coordinator"));
        if (database != null) context.Out.WriteLine($"  store: {state}");
        processes.Start("coordinator", ["coordinator", "--state", state.StateFolder, "--port", port.ToString(), "--api-port", apiPort.ToString(),
            .. database == null ? Array.Empty<string>() : new[] { "--store", database.Url }]);
        var client = new CoordinatorClient($"127.0.0.1:{apiPort}");

        var fast = StartWorkers(processes, o.Workers, o.Slots, $"127.0.0.1:{port}", folder, 0, client);
        var (wall, duplicates, recorded) = RunSweep(client, state, folder, "bookkeeping", "0, 1", o.Trials, o.Data, pollMs: 100);
        double rate = recorded / wall;
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "bookkeeping", store = database == null ? "sqlite" : "postgresql", trials = o.Trials, worker_processes = o.Workers, trial_workers_each = o.Slots, recorded, duplicates, seconds = wall, trials_per_second = rate,
        }, JsonOutput.Options));
        context.Out.WriteLine(FormattableString.Invariant($"  no-op trials: {recorded:N0} recorded in {wall:F1} s = {rate:F0} trials/s, {duplicates} duplicates"));
        if (o.Tls) RunWithTls(o, folder, rate);

        foreach (var w in fast) processes.Terminate(w);
        WaitForWorkers(client, 0, folder);
        StartWorkers(processes, o.Workers, 1, $"127.0.0.1:{port}", folder, o.SlowSeconds, client);
        // Two sweeps of N and 2N trials: the difference cancels the fixed costs (submission, the last poll), leaving
        // what each further trial costs beyond its own time.
        var (shortWall, _, shortRecorded) = RunSweep(client, state, folder, "bookkeeping-slow", "2, 3", o.SlowTrials, o.Data, pollMs: 5);
        var (longWall, slowDuplicates, longRecorded) = RunSweep(client, state, folder, "bookkeeping-slow-2", "3, 4", 2 * o.SlowTrials, o.Data, pollMs: 5);
        double overhead = (longWall - shortWall) * o.Workers / (longRecorded - shortRecorded) - o.SlowSeconds;
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "bookkeeping-overhead", trials = new[] { shortRecorded, longRecorded }, trial_seconds = o.SlowSeconds, worker_processes = o.Workers,
            duplicates = slowDuplicates, seconds = new[] { shortWall, longWall }, overhead_seconds_per_trial = overhead, overhead_fraction = overhead / o.SlowSeconds,
        }, JsonOutput.Options));
        context.Out.WriteLine(FormattableString.Invariant(
            $"  {o.SlowSeconds:G}-second trials on {o.Workers} workers: {shortRecorded} in {shortWall:F2} s, {longRecorded} in {longWall:F2} s = {overhead * 1000:F1} ms overhead per trial ({overhead / o.SlowSeconds:P2})"));

        if (o.PeerTrials > 0 && o.Python != "none") RunOptuna(o, folder);
        return 0;
    }

    /// <summary>
    /// The same no-op sweep on a cluster of its own where every connection is mutual TLS (nodes, the API, this
    /// client), with certificates of a CA made for the run: the cost of TLS as a ratio to the plain run before it.
    /// </summary>
    void RunWithTls(Options o, string folder, double plainRate)
    {
        string certs = Path.Combine(folder, "certs");
        Directory.CreateDirectory(certs);
        var ca = Runner.Cluster.Security.ClusterCertificates.CreateAuthority("bookkeeping bench CA");
        string File(string name)
        {
            string path = Path.Combine(certs, name + ".pfx");
            Runner.Cluster.Security.ClusterCertificates.Save(path, Runner.Cluster.Security.ClusterCertificates.Issue(ca, name, new[] { "127.0.0.1" }), ca, null);
            return path;
        }
        string coordinatorFile = File("coordinator"), workerFile = File("worker"), clientFile = File("client");
        using var processes = new RunnerProcesses(Path.Combine(folder, "logs-tls"), context.Cancel);
        int port = RunnerProcesses.FreePort(), apiPort = RunnerProcesses.FreePort();
        string state = Path.Combine(folder, "coordinator-tls");
        processes.Start("coordinator-tls", "coordinator", "--state", state, "--port", port.ToString(), "--api-port", apiPort.ToString(), "--tls", coordinatorFile);
        var client = new CoordinatorClient($"127.0.0.1:{apiPort}", new ApiCredentials(Runner.Cluster.Security.ClusterTls.Load(clientFile)));
        StartWorkers(processes, o.Workers, o.Slots, $"127.0.0.1:{port}", Path.Combine(folder, "tls"), 0, client, "--tls", workerFile);
        var (wall, duplicates, recorded) = RunSweep(client, StoreLocation.InFolder(state), folder, "bookkeeping-tls", "0, 1", o.Trials, o.Data, pollMs: 100);
        double rate = recorded / wall;
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "bookkeeping-tls", trials = o.Trials, worker_processes = o.Workers, trial_workers_each = o.Slots, recorded, duplicates, seconds = wall,
            trials_per_second = rate, plain_trials_per_second = plainRate, ratio_to_plain = rate / plainRate,
        }, JsonOutput.Options));
        context.Out.WriteLine(FormattableString.Invariant(
            $"  no-op trials over mutual TLS: {recorded:N0} recorded in {wall:F1} s = {rate:F0} trials/s ({rate / plainRate:P0} of plain), {duplicates} duplicates"));
    }

    /// <param name="seeds">the coordinators' cluster addresses, HOST:PORT[,HOST:PORT]</param>
    internal static List<Process> StartWorkers(RunnerProcesses processes, int count, int slots, string seeds, string folder, double seconds, CoordinatorClient client,
        params string[] extra)
    {
        string tag = seconds > 0 ? "slow" : "fast";
        var started = Enumerable.Range(1, count).Select(i => processes.StartBench($"worker-{tag}-{i}", ["worker", "--seed-nodes", seeds,
            "--devices", string.Join(",", Enumerable.Repeat("cpu", slots)),
            "--trial-seconds", seconds.ToString(CultureInfo.InvariantCulture), "--state", Path.Combine(folder, $"worker-{i}"), "--join-timeout", "60", .. extra])).ToList();
        WaitForWorkers(client, count * slots, folder);
        return started;
    }

    internal static void WaitForWorkers(CoordinatorClient client, int count, string folder)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var (status, body) = TrySend(client, HttpMethod.Get, "workers");
            if (status == 200 && body.GetArrayLength() == count) return;
            if (DateTime.UtcNow > deadline) throw new CommandFailedException($"the pool did not get to {count} workers within 90 s (logs in {folder}/logs)");
            Thread.Sleep(200);
        }
    }

    internal static (int, JsonElement) TrySend(CoordinatorClient client, HttpMethod method, string path)
    {
        try { return client.Send(method, path); }
        catch (CommandFailedException) { return (0, default); }   // the coordinator is still starting
    }

    /// <summary>Submits a generated grid of <paramref name="trials"/> trials and waits until all are recorded.</summary>
    (double Seconds, int Duplicates, int Recorded) RunSweep(CoordinatorClient client, StoreLocation state, string folder, string name, string classes, int trials, string? data, int pollMs)
    {
        string file = Path.Combine(folder, name + ".yaml");
        // Different target classes per sweep: the same trial ids would be reused from the first sweep's results.
        File.WriteAllText(file, SweepYaml(name, trials, classes));
        var definition = SweepLoader.Load(file, data, Console.Error);
        var specs = SweepExpander.Expand(definition).ToArray();
        var watch = Stopwatch.StartNew();
        var reply = client.Expect(HttpMethod.Post, "sweeps", new CoordinatorApi.SubmitRequest(SweepRequest.From(definition)));
        string id = reply.GetProperty("sweep_id").GetString()!;
        while (true)
        {
            var s = client.Expect(HttpMethod.Get, "sweeps/" + id).Deserialize<SweepStatus>(CoordinatorApi.Json)!;
            if (s.Completed + s.Failed + s.Cancelled == s.Total) break;
            if (watch.Elapsed > TimeSpan.FromMinutes(30)) throw new CommandFailedException($"sweep {id} not finished after 30 minutes: {s.Completed}/{s.Total}");
            Thread.Sleep(pollMs);   // each poll reads the store: rarely enough not to load it, often enough to time the end
        }
        double seconds = watch.Elapsed.TotalSeconds;
        // Every attempt is an assignment the journal recorded before sending it: attempts beyond one per trial are
        // trials that ran twice.
        var rows = WaitForStore(state, id, trials);
        return (seconds, rows.Sum(r => r.Attempts) - rows.Count, rows.Count(r => r.Status == TrialStatus.Completed));
    }

    /// <summary>The results store is written just behind the journal: wait for its last rows.</summary>
    static IReadOnlyList<TrialRecord> WaitForStore(StoreLocation state, string sweepId, int trials)
    {
        var store = new ResultsStore(state);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var rows = store.Trials(sweepId);
            if (rows.Count(r => r.Status is TrialStatus.Completed or TrialStatus.Failed) == trials || DateTime.UtcNow > deadline) return rows;
            Thread.Sleep(100);
        }
    }

    /// <summary>learning rates × seeds, 100 seeds a learning rate; the Optuna script builds the same values.</summary>
    internal static string SweepYaml(string name, int trials, string classes)
    {
        int seeds = Math.Min(100, trials), rates = (trials + seeds - 1) / seeds;
        var lr = string.Join(", ", Enumerable.Range(0, rates).Select(i => (1e-4 + i * 1e-6).ToString("R", CultureInfo.InvariantCulture)));
        var sb = new StringBuilder();
        sb.AppendLine($"name: {name}");
        sb.AppendLine("base: { model: convnet4 }");
        sb.AppendLine($"target: {{ dataset: fashion-mnist, classes: [{classes}], validation_per_class: 10 }}");
        sb.AppendLine("train: { epochs: 1, batch_size: 64, optimizer: adam }");
        sb.AppendLine("sweep:");
        sb.AppendLine("  method: grid");
        sb.AppendLine($"  parameters: {{ initialization: [scratch], learning_rate: [{lr}], dataset_size: [10] }}");
        sb.AppendLine($"  seeds: [{string.Join(", ", Enumerable.Range(0, seeds))}]");
        sb.AppendLine($"  max_trials: {rates * seeds}");
        sb.AppendLine("resources: { max_failures: 1 }");
        return sb.ToString();
    }

    void RunOptuna(Options o, string folder)
    {
        int seeds = Math.Min(100, o.PeerTrials), rates = (o.PeerTrials + seeds - 1) / seeds;
        string script = Path.Combine(AppContext.BaseDirectory, "bench", "optuna_grid.py");
        string? line = PythonPeer.Run(o.Python, context, script, "--learning-rates", rates.ToString(), "--seeds", seeds.ToString(),
            "--processes", o.Workers.ToString(), "--folder", Path.Combine(folder, "optuna"));
        if (line == null) return;
        context.Out.WriteLine(line);
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        context.Out.WriteLine(FormattableString.Invariant(
            $"  Optuna {r.GetProperty("optuna").GetString()} GridSampler, SQLite, {o.Workers} processes: {r.GetProperty("trials_finished").GetInt32():N0} trials of a {r.GetProperty("grid").GetInt32():N0}-point grid in {r.GetProperty("seconds").GetDouble():F1} s = {r.GetProperty("trials_per_second").GetDouble():F0} trials/s, {r.GetProperty("duplicates").GetInt32()} duplicates"));
    }
}
