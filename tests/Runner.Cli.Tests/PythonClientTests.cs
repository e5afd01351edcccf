using System.Diagnostics;
using Runner.Testing;
using Xunit.Abstractions;

namespace Runner.Cli.Tests;

/// <summary>
/// The Python client's own tests (clients/python/tests, pytest), run here so that the README's test command covers
/// them: they start a real coordinator and worker from this build's `runner`, plain and with TLS, and drive them
/// through the client. Their output is this test's output.
/// </summary>
public class PythonClientTests(ITestOutputHelper output)
{
    const string Python = "/usr/bin/python3";

    [SkippableFact]
    public void The_python_client_passes_its_tests_against_a_real_coordinator_and_worker()
    {
        Skip.If(!File.Exists(Python), $"{Python} is not installed (apt-get install python3 python3-pytest python3-pandas)");
        Skip.If(Run("-c", "import pytest, pandas").ExitCode != 0, "the Python client's tests need python3-pytest and python3-pandas (apt-get install them)");
        string temp = ScratchFolders.New("pytest");
        var (exit, text) = Run("-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", temp, Path.Combine(CliRunner.RepoRoot, "clients", "python", "tests"));
        output.WriteLine(text);
        Assert.True(exit == 0, $"pytest exited {exit}:\n{text[Math.Max(0, text.Length - 6000)..]}");
        Assert.Matches(@"\d+ passed", text);
        Assert.DoesNotContain("skipped", text);
    }

    static (int ExitCode, string Output) Run(params string[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = CliRunner.RepoRoot };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["RUNNER_EXE"] = Path.Combine(AppContext.BaseDirectory, "runner");
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        using var p = Process.Start(start)!;
        var error = p.StandardError.ReadToEndAsync();
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, text + error.GetAwaiter().GetResult());
    }
}
