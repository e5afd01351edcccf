using System.Diagnostics;

namespace Runner.Testing;

/// <summary>
/// A real PostgreSQL 15 (Debian's `postgresql`) for one test class: initdb and pg_ctl as the `postgres` user in a
/// temporary folder, listening on 127.0.0.1 on a free port, stopped and removed on dispose. fsync is off: tests only.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    const string Bin = "/usr/lib/postgresql/15/bin";
    readonly string _folder;
    public int Port { get; }

    /// <summary>Why a server cannot be started here, or null.</summary>
    public static string? WhyNot() =>
        !File.Exists(Path.Combine(Bin, "initdb")) ? "PostgreSQL 15 is not installed (Debian package postgresql)"
        : Environment.UserName != "root" ? "starting PostgreSQL as its own user needs root (runuser)"
        : null;

    public PostgresServer()
    {
        _folder = Directory.CreateTempSubdirectory("runner-pg-").FullName;
        Run("chown", "postgres:", _folder);
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        AsPostgres("initdb", "-D", Path.Combine(_folder, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8");
        Start();
    }

    /// <summary>Starts the server (again, after <see cref="Stop"/>) on the same port and data.</summary>
    public void Start() =>
        AsPostgres("pg_ctl", "-D", Path.Combine(_folder, "data"), "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-l", Path.Combine(_folder, "log"), "-w", "start");

    /// <summary>Stops the server at once, as a crash would (every connection is cut).</summary>
    public void Stop() => AsPostgres("pg_ctl", "-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop");

    /// <summary>A new, empty database; its address for --store.</summary>
    public string NewDatabase(string name)
    {
        Run("/usr/bin/psql", "-h", "127.0.0.1", "-p", Port.ToString(), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", $"CREATE DATABASE \"{name}\"");
        return $"postgresql://postgres@127.0.0.1:{Port}/{name}";
    }

    void AsPostgres(string program, params string[] args) => Run("runuser", new[] { "-u", "postgres", "--", Path.Combine(Bin, program) }.Concat(args).ToArray());

    static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {error}{output.Result}");
    }

    public void Dispose()
    {
        try { Stop(); }
        catch (InvalidOperationException) { /* already down */ }
        Directory.Delete(_folder, recursive: true);
    }
}
