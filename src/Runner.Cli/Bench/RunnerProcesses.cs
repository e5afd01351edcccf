using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Runner.Cli.Bench;

/// <summary>
/// Real `runner` processes (coordinator, workers) started by the benchmarks from this very program, each with its
/// output in a log file; all killed on dispose, and as soon as the benchmark is interrupted (Ctrl-C, SIGTERM), so
/// that none is left behind running.
/// </summary>
public sealed class RunnerProcesses : IDisposable
{
    readonly List<Process> _running = new();
    readonly string _logFolder;
    readonly CancellationTokenRegistration _onCancel;

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

    public Process Start(string name, params string[] args)
    {
        // Run as `runner ARGS` when this is the apphost, `dotnet runner.dll ARGS` when started through dotnet.
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(RunnerProcesses).Assembly.Location);
        foreach (string a in args) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new CommandFailedException($"cannot start {host}");
        var log = new StreamWriter(Path.Combine(_logFolder, $"{name}.log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_running) _running.Add(process);
        return process;
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
