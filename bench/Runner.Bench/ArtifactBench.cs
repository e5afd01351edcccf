using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Runner.Artifacts;
using Runner.Cli;

namespace Runner.Bench;

/// <summary>
/// `runner-bench artifacts`: one large artifact up to a real coordinator process (`runner coordinator`) and back,
/// through the same client workers and `runner submit` use, over loopback: throughput each way, and the peak
/// resident memory each side added during the transfer (Linux's VmHWM, reset before each transfer through
/// /proc/PID/clear_refs, minus the resident memory before it). The goal: a 1 GiB artifact moves with well under
/// 100 MiB of extra memory on either side.
/// </summary>
public sealed class ArtifactBench(CliContext context)
{
    /// <param name="store">a PostgreSQL server: the coordinator's store (artifacts included) is a fresh database there; null: a folder</param>
    public int Run(int mib, string? store = null) => BenchFolder.Use("artifacts", folder => Run(mib, folder, store));

    int Run(int mib, string folder, string? store)
    {
        using var processes = new RunnerProcesses(Path.Combine(folder, "logs"), context.Cancel);
        using var database = store == null ? null : new BenchDatabase(store, "artifacts");
        int port = RunnerProcesses.FreePort(), api = RunnerProcesses.FreePort();
        var coordinator = processes.Start("coordinator", ["coordinator", "--port", port.ToString(), "--api-port", api.ToString(),
            "--state", Path.Combine(folder, "coordinator"), .. database == null ? Array.Empty<string>() : new[] { "--store", database.Url }]);
        var client = new ArtifactClient($"http://127.0.0.1:{api}/");
        WaitForApi(client, context.Cancel);

        string file = Path.Combine(folder, "artifact.bin");
        WriteRandom(file, mib);
        string sha = ContentHash.Of(file);
        context.Out.WriteLine($"artifacts: {mib} MiB file {sha[..12]}…, coordinator pid {coordinator.Id}, API :{api}");

        var up = Measure("upload", coordinator, () => client.Upload(file, sha).GetAwaiter().GetResult(), mib);
        string copy = Path.Combine(folder, "copy.bin");
        var down = Measure("download", coordinator, () => client.Download(sha, copy).GetAwaiter().GetResult(), mib);
        if (ContentHash.Of(copy) != sha) throw new CommandFailedException("the downloaded copy differs from the upload");
        context.Out.WriteLine(FormattableString.Invariant(
            $"summary: upload {up.MibPerSecond:F0} MiB/s, download {down.MibPerSecond:F0} MiB/s; extra peak memory: coordinator {Math.Max(up.ServerMib, down.ServerMib):F1} MiB, client {Math.Max(up.ClientMib, down.ClientMib):F1} MiB (goal: well under 100 MiB for 1 GiB)"));
        return 0;
    }

    record Transfer(double Seconds, double MibPerSecond, double ServerMib, double ClientMib);

    Transfer Measure(string what, Process coordinator, Action transfer, int mib)
    {
        double serverBefore = Memory.Resident(coordinator.Id), clientBefore = Memory.ResidentSelf();
        Memory.ResetPeak(coordinator.Id);
        Memory.ResetPeak(Environment.ProcessId);
        var clock = Stopwatch.StartNew();
        transfer();
        double seconds = clock.Elapsed.TotalSeconds;
        var t = new Transfer(seconds, mib / seconds, Memory.Peak(coordinator.Id) - serverBefore, Memory.Peak(Environment.ProcessId) - clientBefore);
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "artifacts", transfer = what, mib, seconds = Math.Round(seconds, 2), mib_per_second = Math.Round(t.MibPerSecond, 1),
            coordinator_extra_peak_mib = Math.Round(t.ServerMib, 1), client_extra_peak_mib = Math.Round(t.ClientMib, 1),
        }));
        return t;
    }

    /// <summary>Waits until a coordinator just started answers on its artifact routes.</summary>
    internal static void WaitForApi(ArtifactClient client, CancellationToken cancel = default)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                client.Has(new string('0', 64), cancel).GetAwaiter().GetResult();
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }
        }
    }

    static void WriteRandom(string path, int mib)
    {
        var random = new Random(14);
        var chunk = new byte[1 << 20];
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        for (int i = 0; i < mib; i++)
        {
            random.NextBytes(chunk);
            file.Write(chunk);
        }
    }

    /// <summary>Resident memory of a process from /proc, in MiB.</summary>
    static class Memory
    {
        public static double Resident(int pid) => Field(pid, "VmRSS:");
        public static double Peak(int pid) => Field(pid, "VmHWM:");

        public static double ResidentSelf()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return Resident(Environment.ProcessId);
        }

        /// <summary>Resets the peak (VmHWM) to the current resident size (Linux, clear_refs value 5).</summary>
        public static void ResetPeak(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");

        static double Field(int pid, string name)
        {
            string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(name, StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
    }
}
