using System.Diagnostics;

namespace Runner.Testing;

/// <summary>The repository's Python scripts (image folders, torchvision checkpoints), run with Debian's python3-torch/torchvision.</summary>
public static class PythonScripts
{
    /// <summary>Runs a script to its end and returns what it printed; a failure fails the test with the script's error output.</summary>
    public static string Run(string repoRoot, params string[] args)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repoRoot };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Xunit.Assert.True(p.ExitCode == 0, $"{args[0]} failed (needs python3-torch, python3-torchvision): {error}");
        return stdout.Result;
    }
}
