using System.Diagnostics;
using System.Text.Json;
using Runner.Cluster.Api;
using Runner.Cluster.Hosting;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

using Runner.Cli;

namespace Runner.Bench;

/// <summary>
/// `runner-bench scaling`: wall time of a whole sweep (default the quickstart) with 1 and 2 local workers of
/// `runner run` (the cores split between them), then with a coordinator process and 1 or 2 worker processes
/// (the cores split between the processes). Every run starts from an empty state folder, pretraining included.
/// </summary>
public sealed class ScalingBench(CliContext context)
{
    public int Run(string sweepFile, string? data) => BenchFolder.Use("scaling", folder => Run(sweepFile, data, folder));

    int Run(string sweepFile, string? data, string folder)
    {
        var definition = SweepLoader.Load(sweepFile, data, Console.Error);
        int trials = SweepExpander.Expand(definition).Count;
        int cores = Environment.ProcessorCount;
        context.Out.WriteLine($"scaling: {Path.GetFileName(sweepFile)} ({trials} trials), {cores} cores, state and logs in {folder}");
        using var processes = new RunnerProcesses(Path.Combine(folder, "logs"), context.Cancel);
        var extra = data == null ? Array.Empty<string>() : new[] { "--data", data };

        var local = new Dictionary<int, double>();
        foreach (int workers in new[] { 1, 2 })
        {
            var clock = Stopwatch.StartNew();
            var run = processes.Start($"run-{workers}", ["run", sweepFile, "--workers", workers.ToString(), "--no-progress",
                "--state", Path.Combine(folder, $"run-{workers}"), .. extra]);
            run.WaitForExit();
            if (run.ExitCode != 0) throw new CommandFailedException($"runner run --workers {workers} failed (exit {run.ExitCode}; log in {folder}/logs)");
            local[workers] = clock.Elapsed.TotalSeconds;
            Report("local-workers", workers, cores / workers, local[workers], local[1]);
        }
        var remote = new Dictionary<int, double>();
        foreach (int workers in new[] { 1, 2 })
        {
            remote[workers] = WithProcesses(processes, folder, sweepFile, definition, workers, cores / workers, data);
            Report("worker-processes", workers, cores / workers, remote[workers], remote[1]);
        }
        return 0;
    }

    void Report(string mode, int workers, int threads, double seconds, double baseline)
    {
        context.Out.WriteLine(JsonSerializer.Serialize(new { benchmark = "scaling", mode, workers, threads_each = threads, seconds, speedup = baseline / seconds }, JsonOutput.Options));
        context.Out.WriteLine(FormattableString.Invariant($"  {mode}: {workers} x {threads} thread(s): {seconds:F1} s, {baseline / seconds:F2}x the single worker"));
    }

    double WithProcesses(RunnerProcesses processes, string folder, string sweepFile, SweepDefinition definition, int workers, int threads, string? data)
    {
        int port = RunnerProcesses.FreePort(), apiPort = RunnerProcesses.FreePort();
        string state = Path.Combine(folder, $"cluster-{workers}");
        var clock = Stopwatch.StartNew();
        var started = new List<Process>
        {
            processes.Start($"coordinator-{workers}", "coordinator", "--state", state, "--port", port.ToString(), "--api-port", apiPort.ToString()),
        };
        for (int i = 1; i <= workers; i++)
            started.Add(processes.Start($"worker-{workers}-{i}", ["worker", "--seed-nodes", $"127.0.0.1:{port}", "--threads", threads.ToString(),
                "--state", Path.Combine(folder, $"cluster-{workers}-worker-{i}"), "--join-timeout", "60", .. (data == null ? Array.Empty<string>() : new[] { "--data", data })]));
        var client = new CoordinatorClient($"127.0.0.1:{apiPort}");
        var trials = SweepExpander.Expand(definition).ToArray();
        JsonElement reply = default;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ;)
        {
            try { reply = client.Expect(HttpMethod.Post, "sweeps", new CoordinatorApi.SubmitRequest(SweepRequest.From(definition))); break; }
            catch (CommandFailedException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }   // still starting
        }
        string id = reply.GetProperty("sweep_id").GetString()!;
        while (true)
        {
            var s = client.Expect(HttpMethod.Get, "sweeps/" + id).Deserialize<SweepStatus>(CoordinatorApi.Json)!;
            if (s.Completed + s.Failed + s.Cancelled == s.Total) break;
            Thread.Sleep(200);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        foreach (var p in started) processes.Terminate(p);
        return seconds;
    }
}
