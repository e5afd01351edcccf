using Runner.Cli;

namespace Runner.Bench;

/// <summary>
/// A benchmark's state and logs, in a new folder under the system's temp folder. A benchmark that finishes removes
/// it (one frozen-grid run leaves 1.4 GB of checkpoints and feature caches, and benchmarks are run again and again);
/// one that fails leaves it, for the logs its error message names.
/// </summary>
public static class BenchFolder
{
    public static int Use(string benchmark, Func<string, int> run)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"runner-bench-{benchmark}-{Guid.NewGuid().ToString("N")[..8]}");
        int code = run(folder);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return code;
    }
}
