using System.Diagnostics;

namespace Runner.Bench;

/// <summary>
/// Several hosts on this machine: each host a Linux network namespace on a bridge of its own, with its own address,
/// and each process started on a host in a mount namespace of its own with an empty tmpfs over its state folder, so
/// that hosts share nothing through the file system (the program and the shipped data subset are read-only inputs
/// every real machine has too). Names and the subnet are unique per bed; everything is removed on dispose, also after
/// a failed test. Needs root and iproute2: <see cref="WhyNot"/> says why a bed cannot be made here. Used by the
/// multi-host tests and by `runner-bench soak` and `runner-bench hosts`.
/// </summary>
public sealed class HostBed : IDisposable
{
    /// <summary>Where each process keeps its state: an empty tmpfs private to that process.</summary>
    public const string StateFolder = "/srv/runner-state";

    readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    readonly string _subnet;
    readonly List<string> _namespaces = new();
    readonly List<Process> _processes = new();
    readonly string _logs;
    string Bridge => $"rb{_tag}";

    public IReadOnlyList<string> Hosts => _namespaces;

    /// <summary>Null when this machine can make a bed; else the reason, for the skip message.</summary>
    public static string? WhyNot()
    {
        if (Environment.UserName != "root") return "host beds need root (network and mount namespaces)";
        foreach (string tool in new[] { "/usr/sbin/ip", "/usr/bin/unshare", "/usr/bin/nsenter" })
            if (!File.Exists(tool)) return $"host beds need {tool} (iproute2, util-linux)";
        // Root is not always enough (a container without CAP_NET_ADMIN or CAP_SYS_ADMIN): try each kind of thing a bed makes.
        string probe = "rp" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            foreach (var (what, args) in new (string, string[])[]
            {
                ("a bridge", new[] { "/usr/sbin/ip", "link", "add", probe, "type", "bridge" }),
                ("a network namespace", new[] { "/usr/sbin/ip", "netns", "add", probe }),
                ("a mount namespace with a tmpfs", new[] { "/usr/bin/unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs", "none", "/mnt" }),
            })
            {
                var (code, _, error) = Exec(args[0], args[1..]);
                if (code != 0) return $"cannot make {what} here: {error.Trim()}";
            }
            return null;
        }
        finally
        {
            TryRun("/usr/sbin/ip", "netns", "del", probe);
            TryRun("/usr/sbin/ip", "link", "del", probe);
        }
    }

    public HostBed(int hosts, string logs)
    {
        _logs = logs;
        Directory.CreateDirectory(logs);
        // A /24 of 10.0.0.0/8 that no interface of this machine uses: traffic stays between this bed's hosts.
        var used = Run("/usr/sbin/ip", "-o", "-4", "addr", "show");
        var random = new Random();
        do _subnet = $"10.{random.Next(64, 250)}.{random.Next(1, 250)}"; while (used.Contains(_subnet + ".", StringComparison.Ordinal));
        try
        {
            Run("/usr/sbin/ip", "link", "add", Bridge, "type", "bridge");
            Run("/usr/sbin/ip", "addr", "add", $"{_subnet}.1/24", "dev", Bridge);
            Run("/usr/sbin/ip", "link", "set", Bridge, "up");
            for (int i = 0; i < hosts; i++)
            {
                string ns = $"rh{_tag}{i}", veth = $"rv{_tag}{i}";
                Run("/usr/sbin/ip", "netns", "add", ns);
                _namespaces.Add(ns);
                Run("/usr/sbin/ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
                Run("/usr/sbin/ip", "link", "set", veth, "master", Bridge, "up");
                Run("/usr/sbin/ip", "netns", "exec", ns, "ip", "addr", "add", $"{Address(i)}/24", "dev", "eth0");
                Run("/usr/sbin/ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up");
                Run("/usr/sbin/ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Host <paramref name="host"/>'s address on the bed's bridge (this machine itself is .1).</summary>
    public string Address(int host) => $"{_subnet}.{10 + host}";

    /// <summary>
    /// Starts `dotnet DLL ARGS` on a host, in its own mount namespace with an empty tmpfs at <see cref="StateFolder"/>
    /// and over each of <paramref name="hidden"/> (folders of this machine the host must not see, such as the
    /// client's files); output goes to a log file named <paramref name="name"/>. With <paramref name="keptState"/>
    /// (a folder of this machine) the state folder is that one instead, so the host's next process finds it again:
    /// a coordinator restarted on the same machine.
    /// </summary>
    public Process Start(int host, string name, string dll, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? hidden = null, string? keptState = null)
    {
        string state = keptState == null ? $"mkdir -p {StateFolder} && mount -t tmpfs none {StateFolder}"
            : $"mkdir -p {StateFolder} {Quote(keptState)} && mount --bind {Quote(keptState)} {StateFolder}";
        string mounts = string.Join(" && ", new[] { state }.Concat((hidden ?? Array.Empty<string>())
            .Select(f => $"mkdir -p {Quote(f)} && mount -t tmpfs none {Quote(f)}")));
        string command = $"{mounts} && exec dotnet {Quote(dll)} {string.Join(" ", args.Select(Quote))}";
        var start = new ProcessStartInfo("/usr/sbin/ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "netns", "exec", _namespaces[host], "unshare", "-m", "--propagation", "private", "bash", "-c", command })
            start.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var p = Process.Start(start)!;
        RunnerProcesses.LogTo(p, Path.Combine(_logs, $"{name}.log"));
        lock (_processes) _processes.Add(p);
        return p;
    }

    // ----- a Runner cluster on the bed: host 0 the coordinator (cluster port 4053, API 4080), the others workers -----

    /// <summary>The coordinator's API, as a client outside every host reaches it.</summary>
    public string CoordinatorApi => $"{Address(0)}:4080";

    /// <summary>
    /// `DLL coordinator` on host 0, its API on its bed address (workers fetch artifacts there). The bed's network is
    /// private to this run, so its nodes speak plain TCP (--insecure); TLS between hosts is tested apart.
    /// </summary>
    public Process StartCoordinator(string name, string dll, IReadOnlyList<string>? hidden = null, string? keptState = null) =>
        Start(0, name, dll, new[] { "coordinator", "--host", Address(0), "--port", "4053", "--api-host", Address(0), "--api-port", "4080",
            "--state", StateFolder, "--insecure" }, hidden: hidden, keptState: keptState);

    /// <summary>`DLL worker` on a host, joining host 0's coordinator; <paramref name="options"/> say its devices, threads, data.</summary>
    public Process StartWorker(int host, string name, string dll, IReadOnlyList<string> options, IReadOnlyList<string>? hidden = null) =>
        Start(host, name, dll, new[] { "worker", "--seed-nodes", $"{Address(0)}:4053", "--host", Address(host), "--port", "4054",
            "--state", StateFolder, "--insecure" }.Concat(options).ToArray(), hidden: hidden);

    /// <summary>Why partitions cannot be made here (no iptables), or null.</summary>
    public static string? WhyNoPartitions() => File.Exists("/usr/sbin/iptables") ? null : "partitions need /usr/sbin/iptables (Debian package iptables)";

    /// <summary>Cuts a host off the network (every packet in or out of its interface is dropped) until <see cref="Reconnect"/>.</summary>
    public void Isolate(int host) => Firewall(host, "-A");

    public void Reconnect(int host) => Firewall(host, "-D");

    /// <summary>
    /// Cuts the link between two hosts only (host <paramref name="a"/> drops every packet from or to host
    /// <paramref name="b"/>); both still reach every other host. Undone by <see cref="Heal"/>.
    /// </summary>
    public void Cut(int a, int b) => Link(a, b, "-A");

    public void Heal(int a, int b) => Link(a, b, "-D");

    void Link(int a, int b, string action)
    {
        Run("/usr/sbin/ip", "netns", "exec", _namespaces[a], "iptables", action, "INPUT", "-s", Address(b), "-j", "DROP");
        Run("/usr/sbin/ip", "netns", "exec", _namespaces[a], "iptables", action, "OUTPUT", "-d", Address(b), "-j", "DROP");
    }

    void Firewall(int host, string action)
    {
        foreach (var (chain, side) in new[] { ("INPUT", "-i"), ("OUTPUT", "-o") })
            Run("/usr/sbin/ip", "netns", "exec", _namespaces[host], "iptables", action, chain, side, "eth0", "-j", "DROP");
    }

    /// <summary>Kills a host's process at once (SIGKILL), as a machine that loses power.</summary>
    public static void Kill(Process process)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }

    /// <summary>Runs a command to its end inside a running process's namespaces (its network and its private state).</summary>
    public (int ExitCode, string Out, string Error) Inside(Process process, string dll, params string[] args)
    {
        var start = new ProcessStartInfo("/usr/bin/nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-t", process.Id.ToString(), "-m", "-n", "--", "dotnet", dll }.Concat(args)) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(120_000);
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        List<Process> running;
        lock (_processes) running = _processes.ToList();
        foreach (var p in running)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(10_000); }
            catch (InvalidOperationException) { }
        }
        foreach (string ns in _namespaces) TryRun("/usr/sbin/ip", "netns", "del", ns);
        TryRun("/usr/sbin/ip", "link", "del", Bridge);
    }

    static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    static string Run(string file, params string[] args)
    {
        var (code, output, error) = Exec(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(" ", args)} failed ({code}): {error.Trim()}");
        return output;
    }

    static void TryRun(string file, params string[] args) => Exec(file, args);

    static (int, string, string) Exec(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd(), error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, error);
    }
}
