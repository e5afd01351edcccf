using System.Diagnostics;

namespace Runner.Testing;

/// <summary>
/// Folders for a test's files. Every folder a test process makes lives under one run folder,
/// <c>$TMPDIR/runner-tests/run-PID-…</c>, removed before xunit reports the assembly finished
/// (<see cref="ScratchFoldersFramework"/>); run folders whose process is gone (a run that was killed) are removed by the
/// next run. Before, every suite run left its pretrained bases, feature caches and journals behind, and repeated runs
/// filled the disk (and failed CI). <c>RUNNER_KEEP_TEST_FILES=1</c> keeps them, for debugging.
/// </summary>
public static class ScratchFolders
{
    static readonly string Root = Path.Combine(Path.GetTempPath(), "runner-tests");
    static readonly Lazy<string> Run = new(StartRun);
    static bool Keep => Environment.GetEnvironmentVariable("RUNNER_KEEP_TEST_FILES") == "1";

    /// <summary>A new, empty folder whose name starts with <paramref name="name"/>.</summary>
    public static string New(string name)
    {
        string path = Path.Combine(Run.Value, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    static string StartRun()
    {
        if (!Keep) RemoveOrphans();
        string run = Path.Combine(Root, $"run-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(run);
        return run;
    }

    /// <summary>Removes this process's run folder, if it made one (and <c>RUNNER_KEEP_TEST_FILES</c> is not set).</summary>
    public static void RemoveRun()
    {
        if (Run.IsValueCreated && !Keep) TryDelete(Run.Value);
    }

    static void RemoveOrphans()
    {
        if (!Directory.Exists(Root)) return;
        foreach (string folder in Directory.GetDirectories(Root, "run-*"))
        {
            string[] parts = Path.GetFileName(folder).Split('-');
            if (parts.Length == 3 && int.TryParse(parts[1], out int pid) && !IsRunning(pid)) TryDelete(folder);
        }
    }

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>Best effort: a process the test started may still hold a file open where the system forbids removing it.</summary>
    static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
