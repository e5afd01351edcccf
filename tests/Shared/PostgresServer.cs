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
    /// <summary>The network namespace the server runs in (a host of a test bed), or null: this machine's loopback.</summary>
    readonly string? _namespace;
    public string Host { get; }
    public int Port { get; }

    /// <summary>Why a server cannot be started here, or null.</summary>
    public static string? WhyNot() =>
        !File.Exists(Path.Combine(Bin, "initdb")) ? "PostgreSQL 15 is not installed (Debian package postgresql)"
        : Environment.UserName != "root" ? "starting PostgreSQL as its own user needs root (runuser)"
        : null;

    /// <param name="netns">run the server in this network namespace (a host of a test bed), listening on <paramref name="host"/> there; null: on this machine's loopback</param>
    public PostgresServer(string? netns = null, string host = "127.0.0.1")
    {
        _folder = Directory.CreateTempSubdirectory("runner-pg-").FullName;
        (_namespace, Host) = (netns, host);
        Run("chown", "postgres:", _folder);
        if (netns != null) Port = 5432;   // a namespace of its own: nothing else listens there
        else
        {
            using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            Port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        AsPostgres("initdb", "-D", Path.Combine(_folder, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8");
        // The bed's hosts connect from their own addresses (a private subnet of this run).
        if (netns != null) File.AppendAllText(Path.Combine(_folder, "data", "pg_hba.conf"), "host all all 0.0.0.0/0 trust\n");
        Start();
    }

    /// <summary>Starts the server (again, after <see cref="Stop"/>) on the same port and data.</summary>
    public void Start() =>
        AsPostgres("pg_ctl", "-D", Path.Combine(_folder, "data"), "-o", $"-p {Port} -k {_folder} -c listen_addresses={Host} -c fsync=off",
            "-l", Path.Combine(_folder, "log"), "-w", "start");

    /// <summary>Stops the server at once, as a crash would (every connection is cut).</summary>
    public void Stop() => AsPostgres("pg_ctl", "-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop");

    /// <summary>A new, empty database; its address for --store.</summary>
    public string NewDatabase(string name)
    {
        Run("/usr/bin/psql", "-h", Host, "-p", Port.ToString(), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", $"CREATE DATABASE \"{name}\"");
        return $"postgresql://postgres@{Host}:{Port}/{name}";
    }

    void AsPostgres(string program, params string[] args)
    {
        var command = new[] { "runuser", "-u", "postgres", "--", Path.Combine(Bin, program) }.Concat(args);
        if (_namespace != null) command = new[] { "/usr/sbin/ip", "netns", "exec", _namespace }.Concat(command);
        var all = command.ToArray();
        Run(all[0], all[1..]);
    }

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
