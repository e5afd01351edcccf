using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

using Runner.Cli;

namespace Runner.Bench;

/// <summary>
/// Real processes started by the benchmarks: the product's `runner` (coordinator, workers, run) and this program's
/// own no-op workers (`runner-bench worker`), each with its output in a log file; all killed on dispose, and as soon
/// as the benchmark is interrupted (Ctrl-C, SIGTERM), so that none is left behind running.
/// </summary>
public sealed class RunnerProcesses : IDisposable
{
    readonly List<Process> _running = new();
    readonly string _logFolder;
    readonly CancellationTokenRegistration _onCancel;

    /// <summary>Environment variables given to the processes started from now on (stack traces of unexpected errors go to their logs).</summary>
    public Dictionary<string, string> Environment { get; } = new() { ["RUNNER_DEBUG"] = "1" };

    public RunnerProcesses(string logFolder, CancellationToken cancel = default)
    {
        _logFolder = logFolder;
        Directory.CreateDirectory(logFolder);
        _onCancel = cancel.Register(Dispose);
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>`runner ARGS`: the product, as a user runs it.</summary>
    public Process Start(string name, params string[] args) => Start(name, typeof(Runner.Cli.CliApp).Assembly, args);

    /// <summary>`runner-bench ARGS`: this program (its no-op worker).</summary>
    public Process StartBench(string name, params string[] args) => Start(name, typeof(RunnerProcesses).Assembly, args);

    /// <summary>The program's apphost when it has one beside its assembly, else `dotnet ASSEMBLY`.</summary>
    Process Start(string name, System.Reflection.Assembly program, string[] args)
    {
        var start = RunnerExecutable.StartInfo(args, program);
        (start.RedirectStandardOutput, start.RedirectStandardError) = (true, true);
        foreach (var (key, value) in Environment) start.Environment[key] = value;
        string host = start.FileName;
        var process = Process.Start(start) ?? throw new CommandFailedException($"cannot start {host}");
        LogTo(process, Path.Combine(_logFolder, $"{name}.log"));
        lock (_running) _running.Add(process);
        return process;
    }

    /// <summary>`runner ARGS` run to its end on this machine, as a user's shell runs it (a cluster's client): exit code, output, errors.</summary>
    public static (int Code, string Out, string Error) RunToEnd(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(Runner.Cli.CliApp).Assembly.Location);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Writes a started process's standard output and error, line by line as they come, to one log file.</summary>
    public static void LogTo(Process process, string path)
    {
        var log = new StreamWriter(path) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>SIGTERM, as Ctrl-C would: a worker leaves the cluster cleanly, so the pool forgets it at once.</summary>
    public void Terminate(Process process)
    {
        if (!process.HasExited) Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30))) process.Kill(entireProcessTree: true);
        _running.Remove(process);
    }

    public void Stop(Process process)
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        _running.Remove(process);
    }

    public void Dispose()
    {
        _onCancel.Dispose();
        List<Process> running;
        lock (_running) running = _running.ToList();
        foreach (var p in running) Stop(p);
    }
}
